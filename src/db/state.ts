// bird.sync_state and bird.sync_passes: where each flow's pass stands, who works it, and its history.
import { sql } from "drizzle-orm";
import type { FlowState, PageProgress, PassKind, PassOutcome } from "../model.js";
import type { SqlRunner } from "./database.js";
import { isoUtc } from "./sql-time.js";
import { forgetSeen } from "./runs.js";

// Microseconds: these values go back into SQL (pass start vs created_at) and must not round.
const iso = (col: string) => isoUtc(col, "us");

const STATE_COLUMNS = sql`flow_id::text as "flowId", pass_id::float8 as "passId", pass_kind as "passKind",
  ${iso("pass_started_at")} as "passStartedAt", cursor, reverse_cursor as "reverseCursor",
  list_order as "listOrder", reverse_works as "reverseWorks",
  ${iso("last_full_pass_at")} as "lastFullPassAt", consecutive_failures as "consecutiveFailures",
  ${iso("next_attempt_at")} as "nextAttemptAt"`;

/**
 * The flows' rows, recorded as `organization`'s. A flow not known to belong to an organization yet
 * (NULL: from before organizations were recorded) becomes this one's; one that is another's keeps it.
 */
export async function ensureFlowRows(db: SqlRunner, flowIds: readonly string[], organization: string): Promise<void> {
  if (flowIds.length === 0) return;
  const ids = JSON.stringify(flowIds);
  await db.rows(sql`
    insert into bird.sync_state as s (flow_id, organization_id)
    select id::uuid, ${organization}::text from jsonb_array_elements_text(${ids}::jsonb) as id
    on conflict (flow_id) do update set organization_id = excluded.organization_id where s.organization_id is null`);
  await db.rows(sql`
    insert into bird.approval_flows (id)
    select id::uuid from jsonb_array_elements_text(${ids}::jsonb) as id on conflict do nothing`);
}

/**
 * Takes the flow's lease if it is free, expired or already ours. Returns the flow's state, or null
 * when another live process holds it. The conditional UPDATE is atomic: two claimants cannot both win.
 */
export async function claimFlowLease(db: SqlRunner, flowId: string, owner: string, ttlMs: number): Promise<FlowState | null> {
  const [row] = await db.rows<FlowState>(sql`
    update bird.sync_state
    set lease_owner = ${owner}, lease_expires_at = now() + ${ttlMs} * interval '1 millisecond', updated_at = now()
    where flow_id = ${flowId}::uuid
      and (lease_owner is null or lease_owner = ${owner} or lease_expires_at < now())
    returning ${STATE_COLUMNS}`);
  return row ?? null;
}

export async function releaseFlowLease(db: SqlRunner, flowId: string, owner: string): Promise<void> {
  await db.rows(sql`
    update bird.sync_state set lease_owner = null, lease_expires_at = null, updated_at = now()
    where flow_id = ${flowId}::uuid and lease_owner = ${owner}`);
}

/** Renews the lease; false when another process took the flow meanwhile. */
export async function renewFlowLease(tx: SqlRunner, flowId: string, owner: string, ttlMs: number): Promise<boolean> {
  const rows = await tx.rows(sql`
    update bird.sync_state set lease_expires_at = now() + ${ttlMs} * interval '1 millisecond', updated_at = now()
    where flow_id = ${flowId}::uuid and lease_owner = ${owner} returning 1`);
  return rows.length > 0;
}

/** Segments whose process died (outcome still NULL) are history now: interrupted, never completed. */
export async function closeAbandonedSegments(tx: SqlRunner, flowId: string): Promise<void> {
  await tx.rows(sql`
    update bird.sync_passes
    set outcome = 'interrupted', finished_at = now(),
        error = coalesce(error, 'the process working this pass stopped before finishing it')
    where flow_id = ${flowId}::uuid and outcome is null`);
}

export interface BeginPass {
  flowId: string;
  owner: string;
  kind: PassKind;
  /** false when resuming the flow's open full pass from its stored cursor. */
  fromFirstPage: boolean;
  resumedFrom: number | null;
}

/** Opens a pass segment; from the first page it also resets the cursor and the pass start. */
export async function beginPass(tx: SqlRunner, p: BeginPass): Promise<number> {
  await closeAbandonedSegments(tx, p.flowId);
  const [row] = await tx.rows<{ id: number }>(sql`
    insert into bird.sync_passes (flow_id, kind, owner, from_first_page, resumed_from)
    values (${p.flowId}::uuid, ${p.kind}, ${p.owner}, ${p.fromFirstPage}, ${p.resumedFrom})
    returning id::float8 as id`);
  const passId = row!.id;
  await tx.rows(sql`
    update bird.sync_state set
      pass_id = ${passId}, pass_kind = ${p.kind},
      pass_started_at = case when ${p.fromFirstPage} then now() else pass_started_at end,
      cursor = case when ${p.fromFirstPage} then null else cursor end,
      reverse_cursor = case when ${p.fromFirstPage} then null else reverse_cursor end,
      updated_at = now()
    where flow_id = ${p.flowId}::uuid`);
  return passId;
}

export async function addPassProgress(tx: SqlRunner, passId: number, d: PageProgress): Promise<void> {
  await tx.rows(sql`
    update bird.sync_passes set
      pages = pages + ${d.pages}, requests = requests + ${d.requests}, runs_seen = runs_seen + ${d.seen},
      runs_inserted = runs_inserted + ${d.inserted}, runs_updated = runs_updated + ${d.updated},
      runs_unchanged = runs_unchanged + ${d.unchanged}, runs_rejected = runs_rejected + ${d.rejected},
      runs_deleted = runs_deleted + ${d.deleted}, runs_skipped_live = runs_skipped_live + ${d.skippedLive}
    where id = ${passId}`);
}

export interface FinishPass {
  flowId: string;
  passId: number;
  /** Only the process that ran the segment may close it (another may have taken the flow over). */
  owner: string;
  kind: PassKind;
  outcome: PassOutcome;
  error?: string | undefined;
  /** Cap of the exponential backoff after consecutive failures. */
  maxBackoffMs?: number;
  /** A failed pass: no new attempt before this instant (ms since the epoch; Bird's Retry-After). */
  notBefore?: number | undefined;
}

/**
 * Closes this process's open segment. Completed clears the open pass; interrupted and failed keep the
 * cursor to resume from. Returns false (and changes nothing) when the segment is not ours or not open.
 */
export async function finishPass(tx: SqlRunner, f: FinishPass): Promise<boolean> {
  const closed = await tx.rows(sql`
    update bird.sync_passes set outcome = ${f.outcome}, finished_at = now(), error = ${f.error ?? null}
    where id = ${f.passId} and owner = ${f.owner} and outcome is null
    returning 1`);
  if (closed.length === 0) return false;
  if (f.outcome === "completed") {
    const full = f.kind === "full";
    await tx.rows(sql`
      update bird.sync_state set
        pass_id = null, pass_kind = null, pass_started_at = null, cursor = null, reverse_cursor = null,
        last_full_pass_at = case when ${full} then now() else last_full_pass_at end,
        last_incremental_pass_at = case when ${full} then last_incremental_pass_at else now() end,
        last_success_at = now(), consecutive_failures = 0, next_attempt_at = null, last_error = null,
        recheck_debt = case when ${full} then 0 else recheck_debt end,
        -- what the next incremental pass lists down to (see watermark() in runs.ts): the newest run
        -- stored before this pass began listing from page one. A run stored since may have come from
        -- anywhere (an answer that repeats runs, a page re-listed after a restart) while runs added
        -- at the head next to it were never listed: the mark must not rise past them. Only before
        -- the first pass stores anything does the newest run it stored stand in.
        high_water_mark = (select coalesce(max(r.created_at) filter (where r.first_synced_at < pass_started_at), max(r.created_at))
                           from bird.approval_runs r
                           where r.approval_flow_id = ${f.flowId}::uuid and r.deleted_at is null and r.created_at <= r.first_synced_at),
        updated_at = now()
      where flow_id = ${f.flowId}::uuid`);
  } else if (f.outcome === "failed") {
    const cap = f.maxBackoffMs ?? 3_600_000;
    await tx.rows(sql`
      update bird.sync_state set
        consecutive_failures = consecutive_failures + 1, last_error = ${f.error ?? null},
        next_attempt_at = greatest(
          now() + least(${cap}::float8, 30000 * power(2, consecutive_failures)) * interval '1 millisecond',
          to_timestamp(${f.notBefore ?? null}::float8 / 1000)),
        pass_id = case when pass_kind = 'full' then pass_id else null end,
        pass_kind = case when pass_kind = 'full' then pass_kind else null end,
        updated_at = now()
      where flow_id = ${f.flowId}::uuid`);
  }
  return true;
}

/**
 * Forgets the open pass so the next sync starts a full pass from page one; the data stays. "all" with
 * an organization: its flows (and those of no known organization), never another's.
 */
export async function resetFlowState(db: SqlRunner, flowIds: readonly string[] | "all", organization?: string): Promise<number> {
  const filter =
    flowIds !== "all"
      ? sql`flow_id in (select id::uuid from jsonb_array_elements_text(${JSON.stringify(flowIds)}::jsonb) as id)`
      : organization === undefined
        ? sql`true`
        : sql`flow_id in (select flow_id from bird.sync_state where organization_id is null or organization_id = ${organization})`;
  const rows = await db.rows(sql`
    update bird.sync_state set pass_id = null, pass_kind = null, pass_started_at = null, cursor = null,
      reverse_cursor = null, reverse_works = null, last_full_pass_at = null, consecutive_failures = 0, next_attempt_at = null, last_error = null, updated_at = now()
    where ${filter} returning flow_id`);
  await db.rows(sql`delete from bird.sync_seen where ${filter}`);
  return rows.length;
}

/** What the reverse probe of a two-ended pass showed: false keeps this flow's later passes one-ended. */
export async function setReverseWorks(db: SqlRunner, flowId: string, works: boolean): Promise<void> {
  await db.rows(sql`update bird.sync_state set reverse_works = ${works}, updated_at = now() where flow_id = ${flowId}::uuid`);
}

/**
 * Why these flows were stopped (a rejected key), where `status` and the page show it. No backoff: it is
 * not the flows' failure. A flow another live process holds is left to that process.
 */
export async function recordFlowsStopped(db: SqlRunner, flowIds: readonly string[], owner: string, error: string): Promise<void> {
  if (flowIds.length === 0) return;
  await db.rows(sql`
    update bird.sync_state set last_error = ${error}, updated_at = now()
    where flow_id in (select id::uuid from jsonb_array_elements_text(${JSON.stringify(flowIds)}::jsonb) as id)
      and (lease_owner is null or lease_owner = ${owner} or lease_expires_at < now())`);
}

export async function markFlowMissing(db: SqlRunner, flowId: string, error: string): Promise<void> {
  await db.rows(sql`
    update bird.approval_flows set missing_since = coalesce(missing_since, now()) where id = ${flowId}::uuid`);
  await db.rows(sql`update bird.sync_state set last_error = ${error}, updated_at = now() where flow_id = ${flowId}::uuid`);
}

/**
 * In the transaction of a full pass's last page: the seen set is dropped and the pass completed (its
 * deletions were proven by GET before, each in its own batch). False when the pass is no longer this
 * process's (the caller rolls the transaction back).
 */
export async function completeFullPass(tx: SqlRunner, flowId: string, passId: number, owner: string): Promise<boolean> {
  await forgetSeen(tx, flowId);
  return finishPass(tx, { flowId, passId, owner, kind: "full", outcome: "completed" });
}

/** The pass start of the flow's open pass (microseconds: it is compared with stored instants). */
export async function passStartedAt(db: SqlRunner, flowId: string): Promise<string | null> {
  const [row] = await db.rows<{ started: string | null }>(sql`
    select ${iso("pass_started_at")} as started from bird.sync_state where flow_id = ${flowId}::uuid`);
  return row?.started ?? null;
}

/** The sync_passes id of the flow's open segment when this process runs it. */
export async function readOpenPassId(db: SqlRunner, flowId: string, owner: string): Promise<number | undefined> {
  const [row] = await db.rows<{ id: number | null }>(sql`
    select s.pass_id::float8 as id from bird.sync_state s join bird.sync_passes p on p.id = s.pass_id
    where s.flow_id = ${flowId}::uuid and p.owner = ${owner} and p.outcome is null`);
  return row?.id ?? undefined;
}

/** How many of these flows never completed a full pass (a first sync reads flow names for reports). */
export async function flowsWithoutFullPass(db: SqlRunner, flowIds: readonly string[]): Promise<number> {
  const [row] = await db.rows<{ done: number }>(sql`
    select count(*)::int as done from bird.sync_state
    where last_full_pass_at is not null
      and flow_id in (select id::uuid from jsonb_array_elements_text(${JSON.stringify(flowIds)}::jsonb) as id)`);
  // A flow named twice (in two cases) is one flow: counted once, like the query counts it.
  return new Set(flowIds.map((id) => id.toLowerCase())).size - (row?.done ?? 0);
}

export async function readLeaseOwner(db: SqlRunner, flowId: string): Promise<string | null> {
  const [row] = await db.rows<{ owner: string | null }>(sql`
    select lease_owner as owner from bird.sync_state where flow_id = ${flowId}::uuid and lease_expires_at > now()`);
  return row?.owner ?? null;
}

/** Takes over a lease from a holder known to be dead; compare-and-swap on the dead owner's id. */
export async function takeOverFlowLease(
  db: SqlRunner,
  flowId: string,
  deadOwner: string,
  owner: string,
  ttlMs: number,
): Promise<FlowState | null> {
  const [row] = await db.rows<FlowState>(sql`
    update bird.sync_state
    set lease_owner = ${owner}, lease_expires_at = now() + ${ttlMs} * interval '1 millisecond', updated_at = now()
    where flow_id = ${flowId}::uuid and lease_owner = ${deadOwner}
    returning ${STATE_COLUMNS}`);
  return row ?? null;
}

/**
 * Records a pass's re-checks: how many due runs it re-read, and how many it left for later (debt).
 * Returns the debt the flow had before, so a growing debt can be reported.
 */
export async function recordRecheck(db: SqlRunner, flowId: string, passId: number, rechecked: number, debt: number): Promise<number> {
  const [row] = await db.rows<{ before: number }>(sql`
    with before as (select recheck_debt from bird.sync_state where flow_id = ${flowId}::uuid),
    pass as (update bird.sync_passes set runs_rechecked = runs_rechecked + ${rechecked} where id = ${passId})
    update bird.sync_state s set recheck_debt = ${debt} from before
    where s.flow_id = ${flowId}::uuid returning before.recheck_debt as before`);
  return row?.before ?? 0;
}
