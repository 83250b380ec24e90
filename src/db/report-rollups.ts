// Issue 26: the tag and reviewer rollups behind `report tags` and `report reviewers` are recomputed for
// the segments page writes marked dirty, once they have settled (a segment still being written, like
// the current month, is counted from its runs by the reports themselves, so it need not be refreshed
// after every page). One process at a time; a bounded amount of work per call.
import { sql } from "drizzle-orm";
import type { Database } from "./database.js";

const BATCH = 25;

export interface RefreshOptions {
  /** Segments marked more recently than this are left for later. */
  settledMs: number;
  /** Stop starting batches after this long. */
  budgetMs: number;
}

/** Refreshes dirty segments in batches within the budget; returns how many it recomputed. */
export async function refreshReportRollups(db: Database, opts: RefreshOptions): Promise<number> {
  const started = Date.now();
  let total = 0;
  while (Date.now() - started < opts.budgetMs) {
    const done = await db.transaction(async (tx) => {
      const [lock] = await tx.rows<{ got: boolean }>(sql`select pg_try_advisory_xact_lock(hashtext('bird.report_segments')) as got`);
      if (!lock?.got) return 0;
      const [row] = await tx.rows<{ n: number }>(sql`
        select bird.refresh_report_segments(${BATCH}, ${opts.settledMs}::int * interval '1 millisecond') as n`);
      return row?.n ?? 0;
    });
    total += done;
    if (done < BATCH) break;
  }
  return total;
}
