// Issue 15 (6): `approvals-sync forget` — a flow synced by mistake (`sync --flow <wrong id>`) or gone
// for good stays "missing" in status, reports and metrics forever unless it can be forgotten.
import { sql } from "drizzle-orm";
import type { Database } from "./database.js";

export interface ForgetResult {
  flowId: string;
  /** false: the database never knew this flow. */
  known: boolean;
  /** A live process holds its lease: nothing was removed. */
  leasedBy: string | null;
  passes: number;
  rejects: number;
  runsDeleted: number;
}

/**
 * Removes everything the worker keeps about one flow — sync state, pass history, quarantine, the
 * seen-set and the flow row — in one transaction; its runs only when `deleteRuns`. A flow whose lease
 * is held by a live process is left alone (that process would write it all back).
 */
export async function forgetFlow(db: Database, flowId: string, opts: { deleteRuns: boolean }): Promise<ForgetResult> {
  return db.transaction(async (tx) => {
    const id = sql`${flowId}::uuid`;
    const [state] = await tx.rows<{ lease: string | null }>(sql`
      select case when lease_expires_at > now() then lease_owner end as lease from bird.sync_state where flow_id = ${id} for update`);
    const [flow] = await tx.rows<{ n: number }>(sql`select count(*)::int as n from bird.approval_flows where id = ${id}`);
    const [runs] = await tx.rows<{ n: number }>(sql`select count(*)::int as n from bird.approval_runs where approval_flow_id = ${id}`);
    const result: ForgetResult = {
      flowId,
      known: state !== undefined || (flow?.n ?? 0) > 0 || (runs?.n ?? 0) > 0,
      leasedBy: state?.lease ?? null,
      passes: 0,
      rejects: 0,
      runsDeleted: 0,
    };
    if (!result.known || result.leasedBy) return result;
    result.passes = (await tx.rows(sql`delete from bird.sync_passes where flow_id = ${id} returning id`)).length;
    result.rejects = (await tx.rows(sql`delete from bird.sync_rejects where flow_id = ${id} returning flow_id`)).length;
    await tx.rows(sql`delete from bird.sync_seen where flow_id = ${id}`);
    await tx.rows(sql`delete from bird.sync_state where flow_id = ${id}`);
    await tx.rows(sql`delete from bird.approval_flows where id = ${id}`);
    if (opts.deleteRuns) {
      result.runsDeleted = (await tx.rows(sql`delete from bird.approval_runs where approval_flow_id = ${id} returning id`)).length;
    }
    return result;
  });
}
