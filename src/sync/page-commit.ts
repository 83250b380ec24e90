// One page, one transaction (DESIGN §5): valid runs upserted, invalid ones quarantined, the cursor
// advanced and the lease renewed — all or nothing, so a crash at any instant loses and duplicates nothing.
import { type RunRow, checkRun } from "../bird/schema.js";
import type { SqlRunner } from "../db/database.js";
import { quarantineRecords, recordSeen, releaseFixedRecords, upsertRuns } from "../db/runs.js";
import { type ListOrder, type PageProgress, addPassProgress, renewFlowLease, saveCursor } from "../db/state.js";
import type { Rejected } from "../bird/schema.js";

export interface CheckedPage {
  rows: RunRow[];
  rejects: Rejected[];
}

/** Validates a page's records; a run listed twice on one page is written once (the last copy wins). */
export function checkPage(records: readonly unknown[]): CheckedPage {
  const byId = new Map<string, RunRow>();
  const rejects: Rejected[] = [];
  for (const raw of records) {
    const checked = checkRun(raw);
    if (checked.ok) byId.set(checked.row.id, checked.row);
    else rejects.push(checked.reject);
  }
  return { rows: [...byId.values()], rejects };
}

export interface PageWrite {
  flowId: string;
  owner: string;
  leaseTtlMs: number;
  passId: number;
  page: CheckedPage;
  requests: number;
  /** Full passes remember what they saw, for deletion marking. */
  trackSeen: boolean;
  /** Where the next page starts; undefined leaves the stored cursor alone (incremental passes). */
  cursor?: { next: string | null; listOrder: ListOrder | null };
}

export async function writePage(tx: SqlRunner, w: PageWrite): Promise<PageProgress> {
  await renewFlowLease(tx, w.flowId, w.owner, w.leaseTtlMs);
  const counts = await upsertRuns(tx, w.page.rows);
  await quarantineRecords(tx, w.flowId, w.page.rejects);
  const ids = w.page.rows.map((r) => r.id);
  await releaseFixedRecords(tx, w.flowId, ids);
  if (w.trackSeen) await recordSeen(tx, w.flowId, ids);
  if (w.cursor) await saveCursor(tx, w.flowId, w.cursor.next, w.cursor.listOrder);
  const progress: PageProgress = {
    pages: 1,
    requests: w.requests,
    seen: w.page.rows.length + w.page.rejects.length,
    ...counts,
    rejected: w.page.rejects.length,
    deleted: 0,
  };
  await addPassProgress(tx, w.passId, progress);
  return progress;
}
