// Issue 7 (2): `demo` from an empty directory with no DATABASE_URL and no Bird credentials.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { runCli, startCli } from "./helpers/cli.js";
import { waitFor } from "./helpers/wait.js";

const dir = mkdtempSync(join(tmpdir(), "bas-demo-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("syncs into ./.data/pglite, prints status, reports and row counts; the second run is incremental", async () => {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME };
  const first = await runCli(["demo", "--flows", "3", "--runs", "800"], env, { cwd: dir });
  expect(first.code).toBe(0);
  expect(first.stdout).toContain(`Database: embedded PGlite at ${join(dir, ".data/pglite")}`);
  // 24 pages; a two-ended pass also fetches the page where its streams meet (one or two per flow).
  const requests = Number(/Synced 3 flows \(full pass\) .*: 2400 runs inserted, (\d+) API requests\./.exec(first.stdout)?.[1]);
  expect(requests).toBeGreaterThanOrEqual(24);
  expect(requests).toBeLessThanOrEqual(24 + 2 * 3);
  expect(first.stdout).toContain("Runs stored: 2400");
  expect(first.stdout).toContain("approvals-sync status");
  expect(first.stdout).toContain("approvals-sync report summary");
  expect(first.stdout).toContain("approvals-sync report latency");
  expect(first.stdout).toContain("Try next:");
  expect(first.stdout).toContain("npx approvals-sync ui --port 9464");
  expect(existsSync(join(dir, ".data/pglite/PG_VERSION"))).toBe(true);

  const second = await runCli(["demo", "--flows", "3", "--runs", "800"], env, { cwd: dir });
  expect(second.code).toBe(0);
  expect(second.stdout).toMatch(/Synced 3 flows \(incremental pass\) .*: 0 runs inserted, 3 API requests\./);
  expect(second.stdout).toContain("Runs stored: 2400");
});

// Runs after the test above, on the database it left in `dir`.
it("offers the status page: `ui` serves what the demo synced from the embedded database", async () => {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME };
  const ui = startCli(["ui", "--port", "0"], env, dir);
  try {
    let base = "";
    await waitFor("the ui URL", () => (base = /status page: (http:\/\/\S+)/.exec(ui.output())?.[1] ?? "") !== "");
    const status = (await (await fetch(`${base}api/status`)).json()) as { flows: Array<{ runs: number; state: string }> };
    expect(status.flows.map((f) => [f.runs, f.state])).toEqual([
      [800, "on time"],
      [800, "on time"],
      [800, "on time"],
    ]);
  } finally {
    ui.child.kill("SIGTERM");
    expect((await ui.done).code).toBe(0);
  }
});

// Issue 15 (8): with DATABASE_URL the closing hint named the variable as if it were a folder.
it("with DATABASE_URL set, says the data went to that PostgreSQL database", async () => {
  const { freshDatabaseUrl } = await import("./helpers/db.js");
  const url = await freshDatabaseUrl();
  const r = await runCli(
    ["demo", "--flows", "1", "--runs", "50"],
    { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: url },
    { cwd: dir },
  );
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/The data went to the PostgreSQL database in DATABASE_URL \(postgres:\/\/127\.0\.0\.1:5432\/bas_t_\w+\)\./);
  expect(r.stdout).not.toMatch(/embedded database lives in DATABASE_URL/);
});
