// Issue 15 (9): bird.sync_passes gains one row per flow per cycle. Old rows are pruned after
// SYNC_HISTORY_DAYS; what `status`, the reports and a resuming pass still read is always kept.
import { sql } from "drizzle-orm";
import type { SqlRunner } from "./database.js";

// Small batches: a prune never holds many row locks or a long transaction next to the page writers.
const BATCH = 5000;

/**
 * Deletes passes that ended (or, for a process that died mid-pass, began) more than `days` ago,
 * except each flow's latest pass and the pass a flow's cursor belongs to. Returns how many went.
 */
export async function pruneSyncPasses(db: SqlRunner, days: number): Promise<number> {
  if (days <= 0) return 0;
  let total = 0;
  for (;;) {
    const rows = await db.rows<{ id: number }>(sql`
      delete from bird.sync_passes where id in (
        select p.id from bird.sync_passes p
        where coalesce(p.finished_at, p.started_at) < now() - make_interval(days => ${days}::int)
          and p.id <> (select max(l.id) from bird.sync_passes l where l.flow_id = p.flow_id)
          and not exists (select 1 from bird.sync_state s where s.pass_id = p.id)
        limit ${BATCH})
      returning id`);
    total += rows.length;
    if (rows.length < BATCH) return total;
  }
}

/**
 * SYNC_RUN_HISTORY_DAYS (issue 22): deletes past versions of runs that were superseded more than `days`
 * ago. A run's current version lives in approval_runs and is never pruned. Returns how many went.
 */
export async function pruneRunHistory(db: SqlRunner, days: number): Promise<number> {
  if (days <= 0) return 0;
  let total = 0;
  for (;;) {
    const rows = await db.rows<{ id: string }>(sql`
      delete from bird.approval_run_history where ctid in (
        select ctid from bird.approval_run_history
        where superseded_at < now() - make_interval(days => ${days}::int)
        limit ${BATCH})
      returning id`);
    total += rows.length;
    if (rows.length < BATCH) return total;
  }
}
