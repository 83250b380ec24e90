// A full pass proves a deletion only for a stored run its listing did not show (exactness rule 5). The
// seen set is per flow: a run moved to another flow and listed there by a pass running at the same time
// is still unseen in its old flow, so it is a candidate there (and the GET under the old flow proves it
// gone). Found by the simulation (seed 2976, about 1 replay in 3 before the fix): the stale row stayed
// live in its old flow because the candidates query read any flow's seen set.
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { openDatabase } from "../src/db/connect.js";
import type { Database } from "../src/db/database.js";
import { deletionCandidates } from "../src/db/runs.js";
import { ensureFlowRows } from "../src/db/state.js";
import { freshDatabaseUrl, query } from "./helpers/db.js";

const OLD_FLOW = "0d000000-0000-4000-8000-000000000001";
const NEW_FLOW = "0d000000-0000-4000-8000-000000000002";
const MOVED = "0d000000-0000-4000-8000-0000000000a1";
const LISTED = "0d000000-0000-4000-8000-0000000000a2";

describe("deletion candidates of a full pass", () => {
  let db: Database;
  let url: string;

  beforeAll(async () => {
    url = await freshDatabaseUrl();
    const config = loadConfig({ env: { DATABASE_URL: url, LOG_LEVEL: "silent" }, cwd: "/nonexistent", requireBird: false });
    db = await openDatabase(config, pino({ level: "silent" }));
    await ensureFlowRows(db, [OLD_FLOW, NEW_FLOW], "org");
    for (const id of [MOVED, LISTED])
      await query(
        url,
        `insert into bird.approval_runs (id, approval_flow_id, status, tags, results, created_at, updated_at, observed_at,
           first_synced_at, last_synced_at)
         values ($1, $2, 'pending', '[]', '[]', '2025-05-01Z', '2025-05-01Z', '2025-05-02Z', '2025-05-02Z', '2025-05-02Z')`,
        [id, OLD_FLOW],
      );
    // this pass of the old flow listed LISTED; a pass of the new flow listed MOVED there
    await query(url, "insert into bird.sync_seen (flow_id, run_id) values ($1, $2), ($3, $4)", [OLD_FLOW, LISTED, NEW_FLOW, MOVED]);
  });
  afterAll(async () => {
    await db?.close();
  });

  it("are the flow's stored runs its own listing did not show, whatever other flows listed", async () => {
    const candidates = await deletionCandidates(db, OLD_FLOW, "2025-06-01T00:00:00Z", []);
    expect(candidates.map((c) => c.id)).toEqual([MOVED]);
    expect(await deletionCandidates(db, OLD_FLOW, "2025-06-01T00:00:00Z", [MOVED])).toEqual([]);
  });
});
