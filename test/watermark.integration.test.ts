// The incremental pass lists down to the flow's high-water mark, so a completed pass may raise it only
// past runs it proved stored. Found by the simulation (seed 1087, 3 of 6 replays before the fix): a
// full pass resumed after a restart got, on a repeated page, the two newest of four runs added at the
// head meanwhile; the mark rose to them and the next incremental pass stopped above the other two,
// which were never stored. The mark is now the newest run stored before the pass began from page one.
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { openDatabase } from "../src/db/connect.js";
import type { Database } from "../src/db/database.js";
import { beginPass, claimFlowLease, ensureFlowRows, finishPass } from "../src/db/state.js";
import { watermark } from "../src/db/runs.js";
import { freshDatabaseUrl, query } from "./helpers/db.js";

const FLOW = "0c000000-0000-4000-8000-000000000001";
const OWNER = "test-owner";

describe("the high-water mark a completed pass leaves", () => {
  let db: Database;
  let url: string;
  const addRun = (id: string, createdAt: string) =>
    query(
      url,
      `insert into bird.approval_runs (id, approval_flow_id, status, tags, results, created_at, updated_at, observed_at)
       values ($1, $2, 'pending', '[]', '[]', $3, $3, now())`,
      [id, FLOW, createdAt],
    );
  const pass = async (stored: () => Promise<void>) => {
    await claimFlowLease(db, FLOW, OWNER, 60_000);
    const passId = await beginPass(db, { flowId: FLOW, owner: OWNER, kind: "full", fromFirstPage: true, resumedFrom: null });
    await stored();
    expect(await finishPass(db, { flowId: FLOW, passId, owner: OWNER, kind: "full", outcome: "completed" })).toBe(true);
  };

  beforeAll(async () => {
    url = await freshDatabaseUrl();
    const config = loadConfig({ env: { DATABASE_URL: url, LOG_LEVEL: "silent" }, cwd: "/nonexistent", requireBird: false });
    db = await openDatabase(config, pino({ level: "silent" }));
    await ensureFlowRows(db, [FLOW], "org");
  });
  afterAll(async () => {
    await db?.close();
  });

  it("the first pass: the newest run it stored", async () => {
    await pass(async () => {
      await addRun("0c000000-0000-4000-8000-0000000000a1", "2025-05-01T00:00:00Z");
      await addRun("0c000000-0000-4000-8000-0000000000a2", "2025-05-02T00:00:00Z");
    });
    expect(await watermark(db, FLOW)).toBe("2025-05-02T00:00:00.000000Z");
  });

  it("a later pass: not past the runs stored before it began, whatever it stored newer", async () => {
    await pass(async () => {
      // what a repeated page showed: a run added at the head while the pass went on
      await addRun("0c000000-0000-4000-8000-0000000000a4", "2025-05-04T00:00:00Z");
    });
    expect(await watermark(db, FLOW)).toBe("2025-05-02T00:00:00.000000Z");
    // the pass after that one proves it: it was stored before that pass began
    await pass(async () => undefined);
    expect(await watermark(db, FLOW)).toBe("2025-05-04T00:00:00.000000Z");
  });
});
