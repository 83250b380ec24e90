// Issue 7 (1): the core suite on the embedded database — same migrations, same engine, same exactness.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeBirdApi } from "../src/fake/index.js";
import { logLines, runCli, startCli } from "./helpers/cli.js";
import { expectedRows, storedRunsVia } from "./helpers/compare.js";
import { refetchedFullPassPages, startFake, syncEnv } from "./helpers/fake.js";

/** Reads the embedded database after the CLI exited (PGlite is single-process). */
async function withPglite<T>(dir: string, fn: (db: PGlite) => Promise<T>): Promise<T> {
  const db = await PGlite.create(dir);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

async function expectEqualsFake(api: FakeBirdApi, dir: string): Promise<void> {
  await withPglite(dir, async (db) => {
    const q = async <T>(text: string, params: unknown[]) => (await db.query<T>(text, params)).rows;
    for (const flowId of api.store.flowIds()) {
      expect(await storedRunsVia(q, flowId)).toEqual(expectedRows(api.store.runs(flowId)));
    }
  });
}

function pgliteEnv(api: FakeBirdApi, dir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = syncEnv(api, "", { PGLITE_DIR: dir, ...extra });
  delete env.DATABASE_URL;
  return env;
}

describe("on embedded PGlite", () => {
  let api: FakeBirdApi;
  const dirs: string[] = [];
  const newDir = () => {
    const d = mkdtempSync(join(tmpdir(), "bas-pglite-"));
    dirs.push(d);
    return join(d, "data");
  };
  beforeAll(async () => {
    api = await startFake({ flows: 3, runsPerFlow: 1050, seed: 83 });
  });
  afterAll(async () => {
    await api.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("sync stores the fake's data exactly, and a rerun inserts and updates nothing", async () => {
    const dir = newDir();
    const first = await runCli(["sync"], pgliteEnv(api, dir));
    expect(first.code).toBe(0);
    expect(first.stderr).toContain(`using the embedded database at ${dir}`);
    await expectEqualsFake(api, dir);
    const again = await runCli(["sync", "--full"], pgliteEnv(api, dir));
    expect(again.code).toBe(0);
    expect(logLines(again.stderr).find((l) => String(l.msg).startsWith("sync finished:"))).toMatchObject({ inserted: 0, updated: 0 });
  });

  it("resumes after kill -9 from the committed cursor", async () => {
    const dir = newDir();
    api.resetCounters();
    api.setFaults({ latencyMs: 40 });
    try {
      for (const pages of [6, 14]) {
        const p = startCli(["sync"], pgliteEnv(api, dir, { SYNC_PAGE_SIZE: "50" }));
        const until = Date.now() + 60_000;
        while (api.counters.listRequests < pages && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
        p.child.kill("SIGKILL");
        expect((await p.done).signal).toBe("SIGKILL");
      }
    } finally {
      api.setFaults({ latencyMs: 0 });
    }
    // The last run under a cap: the shared request budget (issue 23) works on PGlite through the same code.
    const final = await runCli(["sync"], pgliteEnv(api, dir, { SYNC_PAGE_SIZE: "50", BIRD_MAX_RPS: "200" }));
    expect(final.code).toBe(0);
    await expectEqualsFake(api, dir);
    const budgets = await withPglite(
      dir,
      async (db) => (await db.query("select organization_id, api_origin from bird.request_budget")).rows,
    );
    expect(budgets).toEqual([{ organization_id: api.organizationId, api_origin: new URL(api.url).origin }]);
    const refetched = refetchedFullPassPages(api);
    for (const flowId of api.store.flowIds()) expect(refetched[flowId] ?? 0).toBeLessThanOrEqual(2 * 2);
  });

  it("refuses a second process on the same directory, and replaces the lock of a dead one", async () => {
    const dir = newDir();
    const env = { PATH: process.env.PATH, PGLITE_DIR: dir };
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}.lock`, String(process.pid));
    // migrate, not status: status does not open an embedded database that was never created.
    const busy = await runCli(["migrate"], env);
    expect(busy.code).toBe(2);
    expect(busy.stderr).toContain(`in use by process ${process.pid}`);
    writeFileSync(`${dir}.lock`, "2147483646");
    const free = await runCli(["migrate"], env);
    expect(free.code).toBe(0);
    expect(existsSync(`${dir}.lock`)).toBe(false);
  });
});
