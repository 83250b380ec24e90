// `npm run recordings`: makes the recordings under test/recordings/ again (make.recordings.ts). Not part
// of `npm test`, which replays them (recordings.test.ts).
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  root: fileURLToPath(new URL("../..", import.meta.url)),
  test: {
    include: ["test/recordings/make.recordings.ts"],
    globalSetup: ["test/setup/global-db.ts"],
    setupFiles: ["test/setup/hygiene.ts"],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    pool: "forks",
    maxWorkers: 1,
  },
});
