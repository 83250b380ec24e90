// Writes of bird.approval_runs and its dead letter: one multi-row statement per page, change-only.
import { sql } from "drizzle-orm";
import type { Rejected, RunRow } from "../bird/schema.js";
import type { SqlRunner } from "./database.js";

export interface PageWriteCounts {
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
}

const RUN_RECORD = sql.raw(`r(
  id uuid, approval_flow_id uuid, organization_id uuid, workspace_id uuid, status text,
  active_step double precision, invoker_type text, invoker_id uuid, object jsonb, previous_object jsonb,
  tags jsonb, results jsonb, extra jsonb, created_at timestamptz, updated_at timestamptz)`);

const DATA_COLUMNS = [
  "approval_flow_id",
  "organization_id",
  "workspace_id",
  "status",
  "active_step",
  "invoker_type",
  "invoker_id",
  "object",
  "previous_object",
  "tags",
  "results",
  "extra",
  "created_at",
  "updated_at",
];
const SET_LIST = sql.raw(DATA_COLUMNS.map((c) => `${c} = excluded.${c}`).join(", "));
const CURRENT = sql.raw(`(${DATA_COLUMNS.map((c) => `t.${c}`).join(", ")})`);
const INCOMING = sql.raw(`(${DATA_COLUMNS.map((c) => `excluded.${c}`).join(", ")})`);
const COLUMN_LIST = sql.raw(["id", ...DATA_COLUMNS].join(", "));

/**
 * Upserts valid runs, writing only rows that differ (jsonb compares by value) or come back from deletion.
 * Rows must have unique ids (ON CONFLICT cannot touch a row twice in one statement).
 */
export async function upsertRuns(tx: SqlRunner, rows: readonly RunRow[]): Promise<Omit<PageWriteCounts, "rejected">> {
  if (rows.length === 0) return { inserted: 0, updated: 0, unchanged: 0 };
  const [res] = await tx.rows<{ inserted: number; updated: number }>(sql`
    with written as (
      insert into bird.approval_runs as t (${COLUMN_LIST})
      select ${COLUMN_LIST} from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as ${RUN_RECORD}
      on conflict (id) do update set ${SET_LIST}, last_synced_at = now(), deleted_at = null
      where ${CURRENT} is distinct from ${INCOMING} or t.deleted_at is not null
      returning (xmax = 0) as inserted
    )
    select count(*) filter (where inserted)::int as inserted,
           count(*) filter (where not inserted)::int as updated
    from written`);
  const inserted = res?.inserted ?? 0;
  const updated = res?.updated ?? 0;
  return { inserted, updated, unchanged: rows.length - inserted - updated };
}

/** Quarantines invalid records; a record seen again updates its row in place. */
export async function quarantineRecords(tx: SqlRunner, flowId: string, rejects: readonly Rejected[]): Promise<void> {
  if (rejects.length === 0) return;
  const input = rejects.map((r) => ({ run_id: r.runId, fingerprint: r.fingerprint, reason: r.reason, payload: r.payload }));
  await tx.rows(sql`
    insert into bird.sync_rejects as q (flow_id, run_id, fingerprint, reason, payload)
    select ${flowId}::uuid, run_id, fingerprint, reason, payload
    from jsonb_to_recordset(${JSON.stringify(input)}::jsonb) as r(run_id text, fingerprint text, reason text, payload text)
    on conflict (flow_id, fingerprint) do update
      set reason = excluded.reason, payload = excluded.payload, last_seen_at = now(), times_seen = q.times_seen + 1`);
}

/** A run that now validates leaves the quarantine. */
export async function releaseFixedRecords(tx: SqlRunner, flowId: string, runIds: readonly string[]): Promise<number> {
  if (runIds.length === 0) return 0;
  const rows = await tx.rows(sql`
    delete from bird.sync_rejects
    where flow_id = ${flowId}::uuid
      and fingerprint in (select jsonb_array_elements_text(${JSON.stringify(runIds)}::jsonb))
    returning id`);
  return rows.length;
}

/** Remembers the ids a full pass saw, for deletion marking when it completes. */
export async function recordSeen(tx: SqlRunner, flowId: string, runIds: readonly string[]): Promise<void> {
  if (runIds.length === 0) return;
  await tx.rows(sql`
    insert into bird.sync_seen (flow_id, run_id)
    select ${flowId}::uuid, id::uuid from jsonb_array_elements_text(${JSON.stringify(runIds)}::jsonb) as id
    on conflict do nothing`);
}

export async function forgetSeen(tx: SqlRunner, flowId: string): Promise<void> {
  await tx.rows(sql`delete from bird.sync_seen where flow_id = ${flowId}::uuid`);
}

/**
 * After a full pass that walked every page from the first: runs of the flow it did not see, and that
 * were already stored when it began, are gone upstream.
 */
export async function markUnseenDeleted(tx: SqlRunner, flowId: string, passStartedAt: string): Promise<number> {
  const rows = await tx.rows(sql`
    update bird.approval_runs t set deleted_at = now()
    where t.approval_flow_id = ${flowId}::uuid
      and t.deleted_at is null
      and t.first_synced_at < ${passStartedAt}::timestamptz
      and not exists (select 1 from bird.sync_seen s where s.flow_id = t.approval_flow_id and s.run_id = t.id)
    returning t.id`);
  return rows.length;
}

export async function markRunDeleted(tx: SqlRunner, runId: string): Promise<number> {
  const rows = await tx.rows(sql`
    update bird.approval_runs set deleted_at = now() where id = ${runId}::uuid and deleted_at is null returning id`);
  return rows.length;
}

/** The newest created_at stored for a flow (the incremental pass's high-water mark). */
export async function newestCreatedAt(db: SqlRunner, flowId: string): Promise<string | null> {
  const [row] = await db.rows<{ at: string | null }>(sql`
    select to_char(max(created_at) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at
    from bird.approval_runs where approval_flow_id = ${flowId}::uuid and deleted_at is null`);
  return row?.at ?? null;
}

export interface OpenRun {
  id: string;
  createdAt: string;
}

/** Pending runs of a flow created before `before`, oldest first: what an incremental pass must re-read. */
export async function openRunsBefore(db: SqlRunner, flowId: string, before: string): Promise<OpenRun[]> {
  return db.rows<OpenRun>(sql`
    select id::text as "id", to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as "createdAt"
    from bird.approval_runs
    where approval_flow_id = ${flowId}::uuid and status = 'pending' and deleted_at is null
      and created_at < ${before}::timestamptz
    order by created_at, id`);
}

/** Stored runs of a flow created in [from, before): what re-listing that stretch would page through. */
export async function countRunsBetween(db: SqlRunner, flowId: string, from: string, before: string): Promise<number> {
  const [row] = await db.rows<{ n: number }>(sql`
    select count(*)::int as n from bird.approval_runs
    where approval_flow_id = ${flowId}::uuid and deleted_at is null
      and created_at >= ${from}::timestamptz and created_at < ${before}::timestamptz`);
  return row?.n ?? 0;
}
