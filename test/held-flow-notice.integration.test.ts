// Issue 24: with two replicas, a flow the other one holds is skipped every cycle. That is the normal
// of replicas, so it is a warning the first time per flow and debug after that, not a WARN a cycle.
import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSyncContext } from "../src/app.js";
import { loadConfig } from "../src/config.js";
import { openDatabase } from "../src/db/connect.js";
import type { Database } from "../src/db/database.js";
import { ensureFlowRows } from "../src/db/state.js";
import { syncFlow } from "../src/sync/flow-sync.js";
import { freshDatabaseUrl, query } from "./helpers/db.js";

const FLOW = "5e1d0000-0000-4000-8000-000000000001";
const OTHER = "5e1d0000-0000-4000-8000-000000000002";

describe("a flow held by another process", () => {
  let url: string;
  let db: Database;
  beforeAll(async () => {
    url = await freshDatabaseUrl();
    db = await openDatabase({ databaseUrl: url, pgliteDir: "" }, pino({ level: "silent" }), { poolSize: 2 });
    await ensureFlowRows(db, [FLOW, OTHER], "org");
    await query(url, "update bird.sync_state set lease_owner = 'replica-b:42:abc', lease_expires_at = now() + interval '1 hour'");
  });
  afterAll(async () => db?.close());

  it("is a warning the first time per flow, then debug: replicas skip each other's flows every cycle", async () => {
    const lines: Array<{ level: number; msg: string; flowId?: string }> = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const l of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(l));
        done();
      },
    });
    const config = loadConfig({
      // Never contacted: the lease is held, so nothing is fetched.
      env: { DATABASE_URL: url, BIRD_API_URL: "http://127.0.0.1:9", BIRD_ACCESS_KEY: "k-123456", BIRD_ORGANIZATION_ID: "org" },
      cwd: "/nonexistent",
    });
    const ctx = createSyncContext(config, pino({ level: "debug" }, sink), db);
    const opts = { full: false, respectBackoff: true, signal: new AbortController().signal };
    for (let cycle = 0; cycle < 3; cycle++) {
      for (const id of [FLOW, OTHER]) expect((await syncFlow(ctx, id, opts)).outcome).toBe("skipped-leased");
    }
    const held = lines.filter((l) => l.msg === "flow is being synced by another process; skipped");
    expect(held.map((l) => [l.flowId, l.level])).toEqual([
      [FLOW, 40],
      [OTHER, 40],
      [FLOW, 20],
      [OTHER, 20],
      [FLOW, 20],
      [OTHER, 20],
    ]);
  });
});
