// bird.approval_runs outside the page write: deletion marking and what the incremental planner reads.
import { sql } from "drizzle-orm";
import type { DbReadWindow } from "./clock.js";
import type { SqlRunner } from "./database.js";
import { WINDOWS_CARRIED } from "./sql/version-windows.js";
import { KEPT, KEPT_FROM_T, usInstant } from "./sql/write-runs-page.js";

export async function forgetSeen(tx: SqlRunner, flowId: string): Promise<void> {
  await tx.rows(sql`delete from bird.sync_seen where flow_id = ${flowId}::uuid`);
}

/**
 * When a full pass has listed every page from the first (exactness rule 5): runs of the flow stored
 * before it began that it did not list, that no pass wrote since it began (a run that moved here from
 * another flow was written), and that no other flow's open full pass listed (it may have moved there).
 * They are only candidates: each is deleted when a GET of it answers 404. `listedNow`: ids of the
 * pass's last page, not yet in the seen set.
 */
export async function deletionCandidates(
  db: SqlRunner,
  flowId: string,
  passStartedAt: string,
  listedNow: readonly string[],
): Promise<OpenRun[]> {
  return db.rows<OpenRun>(sql`
    select t.id::text as id, coalesce(t.api_id, t.id::text) as "apiId",
      to_char(t.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as "createdAt"
    from bird.approval_runs t
    where t.approval_flow_id = ${flowId}::uuid
      and t.deleted_at is null
      and t.first_synced_at < ${passStartedAt}::timestamptz
      and t.last_synced_at < ${passStartedAt}::timestamptz
      and not exists (select 1 from bird.sync_seen s where s.flow_id = t.approval_flow_id and s.run_id = t.id)
      and t.id <> all(${`{${listedNow.join(",")}}`}::uuid[])
    order by t.created_at, t.id`);
}

/**
 * A GET of the run under this flow answered 404: it is gone (exactness rule 5). The deletion is a
 * version too (issue 22): it happened after the last read that showed the run, and by the 404. A 404
 * asked before the read that first showed the stored version proves nothing about it.
 */
export async function markRunDeleted(
  tx: SqlRunner,
  flowId: string,
  runId: string,
  proof: { read: DbReadWindow; history: boolean },
): Promise<number> {
  const sent = usInstant(proof.read.sentUs);
  const received = usInstant(proof.read.receivedUs);
  const rows = await tx.rows(sql`
    with gone as (
      update bird.approval_runs t set deleted_at = now(), version = t.version + 1,
        changed_after = coalesce(greatest(t.first_read_sent_at, (select rr.last_read_at from bird.run_reads rr where rr.run_id = t.id)),
          (case when t.created_at <= ${sent}::timestamptz then t.created_at end)),
        observed_at = ${received}::timestamptz, first_read_sent_at = ${sent}::timestamptz,
        ${sql.raw(WINDOWS_CARRIED)}
      where id = ${runId}::uuid and approval_flow_id = ${flowId}::uuid and deleted_at is null
        and coalesce(first_read_sent_at, '-infinity') <= ${sent}::timestamptz
      returning id, version
    ), steps as (
      delete from bird.run_step_times s using gone where s.run_id = gone.id
    ), superseded as (
      insert into bird.approval_run_history (${sql.raw(KEPT)}, version, changed_after, observed_at, superseded_at)
      select ${sql.raw(KEPT_FROM_T)}, t.version, t.changed_after, t.observed_at, ${received}::timestamptz
      from bird.approval_runs t join gone g on g.id = t.id and t.version = g.version - 1
      where ${proof.history}::boolean
      on conflict (id, version) do nothing
    )
    select id from gone`);
  return rows.length;
}

/**
 * The incremental pass's high-water mark, as the flow's last completed pass left it: the newest
 * created_at of its live runs that were not dated in the future when first stored. Only a completed
 * pass sets it, because only a completed listing proves every run above it stored; an interrupted
 * one may have stored the newest page and not those below it. A run dated 2099 must not hide the
 * runs created after it was seen (exactness rule 4); a clock ahead of ours only lowers the mark.
 */
export async function watermark(db: SqlRunner, flowId: string): Promise<string | null> {
  const [row] = await db.rows<{ at: string | null }>(sql`
    select to_char(high_water_mark at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at
    from bird.sync_state where flow_id = ${flowId}::uuid`);
  return row?.at ?? null;
}

export interface OpenRun {
  id: string;
  /** The id as Bird sent it: GETs use it. */
  apiId: string;
  createdAt: string;
}

export interface DueRun extends OpenRun {
  /** How long past due it is: the most overdue are re-read first when the budget is short. */
  overdueSeconds: number;
}

/**
 * Pending runs of a flow due for a re-read (SYNC_RECHECK_FACTOR): the time since each was last read
 * (listed or fetched; before any read, since it was stored) is at least `factor` × its age. Most
 * overdue first. A factor of 0 makes every pending run due.
 */
export async function dueOpenRuns(db: SqlRunner, flowId: string, factor: number): Promise<DueRun[]> {
  return db.rows<DueRun>(sql`
    select id, "apiId", "createdAt", since - ${factor}::float8 * age as "overdueSeconds" from (
      select r.id::text as id, coalesce(r.api_id, r.id::text) as "apiId",
        to_char(r.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as "createdAt",
        extract(epoch from now() - coalesce(rr.last_read_at, r.last_synced_at))::float8 as since,
        greatest(extract(epoch from now() - r.created_at), 0)::float8 as age
      from bird.approval_runs r left join bird.run_reads rr on rr.run_id = r.id
      where r.approval_flow_id = ${flowId}::uuid and r.status = 'pending' and r.deleted_at is null
    ) p
    where since >= ${factor}::float8 * age
    order by since - ${factor}::float8 * age desc, id`);
}

/**
 * Requests every process of `organization` made in the last hour, from the pass history: what its
 * SYNC_MAX_REQUESTS_PER_HOUR has left, shared among its flows. Another organization's have their own.
 */
export async function requestsInLastHour(db: SqlRunner, organization: string): Promise<{ used: number; flows: number }> {
  const [row] = await db.rows<{ used: number; flows: number }>(sql`
    select (select coalesce(sum(p.requests), 0)::float8 from bird.sync_passes p
            join bird.sync_state s on s.flow_id = p.flow_id
            where p.started_at > now() - interval '1 hour' and s.organization_id = ${organization}) as used,
      (select greatest(count(*), 1)::int from bird.sync_state where organization_id = ${organization}) as flows`);
  return row ?? { used: 0, flows: 1 };
}

/** Stored runs of a flow created in [from, before) (µs since the epoch): what re-listing that stretch would page through. */
export async function countRunsBetween(db: SqlRunner, flowId: string, fromUs: number, beforeUs: number): Promise<number> {
  const [row] = await db.rows<{ n: number }>(sql`
    select count(*)::int as n from bird.approval_runs
    where approval_flow_id = ${flowId}::uuid and deleted_at is null
      and created_at >= timestamptz 'epoch' + ${fromUs}::float8 * interval '1 microsecond'
      and created_at < timestamptz 'epoch' + ${beforeUs}::float8 * interval '1 microsecond'`);
  return row?.n ?? 0;
}

/**
 * Whether the flow's open full pass has anything to mark deleted when it completes: runs stored before
 * it began. A first backfill has none, so it need not remember what it saw.
 */
export async function hasRunsFromBeforePass(db: SqlRunner, flowId: string): Promise<boolean> {
  const [row] = await db.rows<{ found: boolean }>(sql`
    select exists (
      select 1 from bird.approval_runs r, bird.sync_state s
      where s.flow_id = ${flowId}::uuid and r.approval_flow_id = s.flow_id
        and r.deleted_at is null and r.first_synced_at < s.pass_started_at
    ) as found`);
  return row?.found ?? true;
}

/** Live runs stored for a flow: what a full reconcile of it will roughly page through. */
export async function countStoredRuns(db: SqlRunner, flowId: string): Promise<number> {
  const [row] = await db.rows<{ n: number }>(sql`
    select count(*)::int as n from bird.approval_runs where approval_flow_id = ${flowId}::uuid and deleted_at is null`);
  return row?.n ?? 0;
}

/** The open full pass's seen set with the stream that listed each run, for a two-ended pass resuming. */
export async function readSeenSides(db: SqlRunner, flowId: string): Promise<Array<[string, "f" | "r" | "b"]>> {
  const rows = await db.rows<{ id: string; side: "f" | "r" | "b" }>(sql`
    select run_id::text as id, side from bird.sync_seen where flow_id = ${flowId}::uuid and side is not null`);
  return rows.map((r) => [r.id, r.side]);
}
