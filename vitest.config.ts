import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/setup/global-db.ts"],
    setupFiles: ["test/setup/hygiene.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    // 2 cores here: suites spawn CLI processes and a fake API; more workers only add noise.
    maxWorkers: 2,
  },
});
