// The per-flow picture behind `status` (and the daemon's readiness and lag metrics).
import { sql } from "drizzle-orm";
import type { SqlRunner } from "./database.js";
import { isoUtc } from "./sql-time.js";

export interface FlowStatus {
  flowId: string;
  /** The organization whose processes sync the flow (null: not known, a flow from before that was recorded). */
  organizationId: string | null;
  name: string | null;
  missingSince: string | null;
  mode: "backfill" | "resuming-backfill" | "incremental";
  runs: number;
  /** Stored runs still pending (the ones re-checked by age). */
  pending: number;
  /** Due re-checks the last pass left for later (SYNC_MAX_REQUESTS_PER_HOUR). */
  recheckDebt: number;
  /** The order Bird lists the flow in by default, as detected ('asc' | 'desc'; null until known). */
  listOrder: string | null;
  deletedRuns: number;
  rejects: number;
  cursorHeld: boolean;
  leaseOwner: string | null;
  leaseExpiresAt: string | null;
  lastFullPassAt: string | null;
  lastIncrementalPassAt: string | null;
  lastSuccessAt: string | null;
  lagSeconds: number | null;
  highWaterMark: string | null;
  /** Whether Bird honours `reverse` for the flow (null: not probed; full passes of large flows probe it). */
  reverseWorks: boolean | null;
  consecutiveFailures: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  lastPass: {
    id: number;
    kind: string;
    startedAt: string;
    finishedAt: string | null;
    outcome: string | null;
    pages: number;
    requests: number;
    runsSeen: number;
    inserted: number;
    updated: number;
    rejected: number;
    deleted: number;
    /** Runs the completed listing skipped that a GET proved live (unstable paging). */
    skippedLive: number;
    rechecked: number;
    error: string | null;
  } | null;
}

const iso = (col: string) => isoUtc(col, "ms");

/** Every flow's status, or (`organization`) one organization's. */
export async function readFlowStatuses(db: SqlRunner, organization?: string): Promise<FlowStatus[]> {
  return db.rows<FlowStatus>(sql`
    select s.flow_id::text as "flowId", s.organization_id as "organizationId", f.name, ${iso("f.missing_since")} as "missingSince",
      case when s.last_full_pass_at is not null then 'incremental'
           when s.pass_kind = 'full' and s.cursor is not null then 'resuming-backfill'
           else 'backfill' end as mode,
      coalesce(r.runs, 0) as runs, coalesce(r.pending, 0) as pending, s.recheck_debt as "recheckDebt",
      s.list_order as "listOrder", coalesce(dr.deleted, 0) as "deletedRuns", coalesce(q.n, 0) as rejects,
      s.cursor is not null as "cursorHeld",
      case when s.lease_expires_at > now() then s.lease_owner end as "leaseOwner",
      case when s.lease_expires_at > now() then ${iso("s.lease_expires_at")} end as "leaseExpiresAt",
      ${iso("s.last_full_pass_at")} as "lastFullPassAt", ${iso("s.last_incremental_pass_at")} as "lastIncrementalPassAt",
      ${iso("s.last_success_at")} as "lastSuccessAt",
      extract(epoch from now() - s.last_success_at)::float8 as "lagSeconds",
      ${iso("s.high_water_mark")} as "highWaterMark", s.reverse_works as "reverseWorks",
      s.consecutive_failures as "consecutiveFailures", ${iso("s.next_attempt_at")} as "nextAttemptAt",
      s.last_error as "lastError",
      (select json_build_object('id', p.id, 'kind', p.kind, 'startedAt', ${iso("p.started_at")},
              'finishedAt', ${iso("p.finished_at")}, 'outcome', p.outcome, 'pages', p.pages, 'requests', p.requests,
              'runsSeen', p.runs_seen, 'inserted', p.runs_inserted, 'updated', p.runs_updated,
              'rejected', p.runs_rejected, 'deleted', p.runs_deleted, 'skippedLive', p.runs_skipped_live, 'rechecked', p.runs_rechecked, 'error', p.error)
         from bird.sync_passes p where p.flow_id = s.flow_id order by p.id desc limit 1) as "lastPass"
    from bird.sync_state s
    left join bird.approval_flows f on f.id = s.flow_id
    -- live and deleted runs counted apart: each count reads only its partial index (issue 26)
    left join (select approval_flow_id, count(*)::int as runs, count(*) filter (where status = 'pending')::int as pending
               from bird.approval_runs where deleted_at is null group by approval_flow_id) r on r.approval_flow_id = s.flow_id
    left join (select approval_flow_id, count(*)::int as deleted
               from bird.approval_runs where deleted_at is not null group by approval_flow_id) dr on dr.approval_flow_id = s.flow_id
    left join (select flow_id, count(*)::int as n from bird.sync_rejects group by flow_id) q on q.flow_id = s.flow_id
    where ${organization ?? null}::text is null or s.organization_id = ${organization ?? null}::text
    order by s.organization_id nulls last, coalesce(f.name, ''), s.flow_id`);
}

/** Answers when the database does (readiness checks). */
export async function pingDatabase(db: SqlRunner): Promise<void> {
  await db.rows(sql`select 1`);
}
