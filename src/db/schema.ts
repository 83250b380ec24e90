// The tables of DESIGN §4. drizzle-kit generates migrations/ from this file;
// the hot-path SQL lives in src/db/*.ts as plain statements over these names.
import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  numeric,
  pgSchema,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

export const bird = pgSchema("bird");

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: "string" });

/**
 * The columns an ApprovalRun feeds (besides its id), shared by the current row and its past versions:
 * a new field Bird ships is one column here, and both tables get it (RUN_COLUMNS reads approval_runs).
 */
const runFields = () => ({
  // The id exactly as Bird sent it when that differs from id::text (say, upper case): requests use it.
  apiId: text("api_id"),
  approvalFlowId: uuid("approval_flow_id").notNull(),
  organizationId: uuid("organization_id"),
  workspaceId: uuid("workspace_id"),
  status: text("status").notNull(),
  // numeric, not float8: the step keeps the exact value Bird sent (9007199254740993, 1.50), issue 20.
  activeStep: numeric("active_step"),
  invokerType: text("invoker_type"),
  invokerId: uuid("invoker_id"),
  object: jsonb("object"),
  previousObject: jsonb("previous_object"),
  tags: jsonb("tags").notNull(),
  results: jsonb("results").notNull(),
  // Top-level fields Bird added after the seed's OpenAPI was written: kept, not rejected.
  extra: jsonb("extra"),
  createdAt: ts("created_at").notNull(),
  updatedAt: ts("updated_at").notNull(),
});

/** One row per approval run, upstream values verbatim; NULL where the API omitted a field. */
export const approvalRuns = bird.table(
  "approval_runs",
  {
    id: uuid("id").primaryKey(),
    ...runFields(),
    firstSyncedAt: ts("first_synced_at").notNull().defaultNow(),
    lastSyncedAt: ts("last_synced_at").notNull().defaultNow(),
    deletedAt: ts("deleted_at"),
    // Decision history (issue 22): the current version's number and observation window. It changed
    // after `changed_after` (a read that still showed the previous version) and at or before
    // `observed_at` (the first read that showed it); instants on the database's clock.
    version: integer("version").notNull().default(1),
    changedAfter: ts("changed_after"),
    observedAt: ts("observed_at").notNull().defaultNow(),
    // When the read that first showed this version was sent: no later change can precede it.
    firstReadSentAt: ts("first_read_sent_at"),
    // Windows kept with the row so reports never walk the history (issue 26): per element of `results`,
    // the window of the first version of its unbroken stretch and Bird's updatedAt when that pins it;
    // when the run left `pending`; when it began its current stretch on `active_step`. NULL (legacy
    // rows): between created_at and observed_at.
    decisionAfter: ts("decision_after").array(),
    decisionBefore: ts("decision_before").array(),
    decisionAt: ts("decision_at").array(),
    decidedAfter: ts("decided_after"),
    decidedBefore: ts("decided_before"),
    decidedAt: ts("decided_at"),
    stepEnteredAfter: ts("step_entered_after"),
    stepEnteredBefore: ts("step_entered_before"),
    // Seconds from creation to decision of a decided run (bird.decision_instant, migration 0010): indexed
    // per flow, so latency percentiles are read at their rank instead of sorting every decided run.
    decisionSeconds: doublePrecision("decision_seconds").generatedAlwaysAs(
      sql`CASE WHEN status IN ('approved', 'denied') THEN extract(epoch FROM bird.decision_instant(decided_at, decided_before, created_at, updated_at, observed_at) - created_at) END`,
    ),
  },
  (t) => [
    // A flow's live runs by creation (issue 26: it replaces approval_runs_flow_created_idx, every query by
    // flow and created_at leaves deleted runs out). Migration 0010 adds what drizzle-kit cannot express,
    // INCLUDE (status, decision_seconds): per-flow counts and decisions per day are index-only scans.
    index("approval_runs_live_idx")
      .on(t.approvalFlowId, t.createdAt)
      .where(sql`deleted_at IS NULL`),
    // Decided live runs by flow and latency (INCLUDE (created_at), migration 0010): a percentile is a rank.
    index("approval_runs_latency_idx")
      .on(t.approvalFlowId, t.decisionSeconds)
      .where(sql`deleted_at IS NULL AND status IN ('approved', 'denied')`),
    // Where each live run's decision windows can end (issue 26): at or before observed_at, and at or
    // after created_at unless the run is dated after it was seen. `decisions --since/--until` checks
    // both in this index, so only the runs a range can hold are read (migration 0014).
    index("approval_runs_decision_end_idx")
      .on(t.observedAt, sql`bird.decision_span_start(${t.createdAt}, ${t.observedAt})`)
      .where(sql`deleted_at IS NULL`),
    index("approval_runs_deleted_idx").on(t.approvalFlowId).where(sql`deleted_at IS NOT NULL`),
    index("approval_runs_status_idx").on(t.status, t.approvalFlowId),
    index("approval_runs_updated_idx").on(t.updatedAt),
    index("approval_runs_pending_idx").on(t.approvalFlowId, t.createdAt).where(sql`status = 'pending' AND deleted_at IS NULL`),
  ],
);

/**
 * Past versions of runs (issue 22): when a run's row changes, the version it replaces is kept here with
 * its window. The current version stays in approval_runs; bird.approval_run_versions shows both.
 */
export const approvalRunHistory = bird.table(
  "approval_run_history",
  {
    id: uuid("id").notNull(),
    version: integer("version").notNull(),
    ...runFields(),
    deletedAt: ts("deleted_at"),
    changedAfter: ts("changed_after"),
    observedAt: ts("observed_at").notNull(),
    // The first read of the next version: the end of this one's life as far as reads can tell.
    supersededAt: ts("superseded_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.id, t.version] }), index("approval_run_history_superseded_idx").on(t.supersededAt)],
);

/** Flow metadata for reports; missing_since is set when the flow 404s or is no longer listed. */
export const approvalFlows = bird.table("approval_flows", {
  id: uuid("id").primaryKey(),
  organizationId: text("organization_id"),
  workspaceId: text("workspace_id"),
  ownerId: text("owner_id"),
  name: text("name"),
  description: text("description"),
  objectType: text("object_type"),
  objectAction: text("object_action"),
  steps: jsonb("steps"),
  tags: jsonb("tags"),
  createdAt: ts("created_at"),
  updatedAt: ts("updated_at"),
  firstSeenAt: ts("first_seen_at").notNull().defaultNow(),
  lastSeenAt: ts("last_seen_at").notNull().defaultNow(),
  missingSince: ts("missing_since"),
});

/** One row per flow: where its current pass stands, who works it, how it has been failing. */
export const syncState = bird.table("sync_state", {
  flowId: uuid("flow_id").primaryKey(),
  // The organization (BIRD_ORGANIZATION_ID, lower case when a uuid) whose processes sync this flow:
  // discovery, missing-flow marking and the request budget of one organization see only its flows.
  // NULL: not known (a flow from before organizations were recorded that nothing attributes).
  organizationId: text("organization_id"),
  // The open pass: its kind, the sync_passes row of the current segment, when it began at page one.
  passId: bigint("pass_id", { mode: "number" }),
  passKind: text("pass_kind"),
  passStartedAt: ts("pass_started_at"),
  cursor: text("cursor"),
  // A full pass of a large flow also lists it with `reverse=true` from the other end: that stream's cursor.
  reverseCursor: text("reverse_cursor"),
  // 'asc' | 'desc': the order the API lists this flow's runs in when `reverse` is not sent.
  listOrder: text("list_order"),
  // Whether the API honours `reverse` for this flow (NULL: not probed yet); false keeps passes one-ended.
  reverseWorks: boolean("reverse_works"),
  highWaterMark: ts("high_water_mark"),
  lastFullPassAt: ts("last_full_pass_at"),
  lastIncrementalPassAt: ts("last_incremental_pass_at"),
  lastSuccessAt: ts("last_success_at"),
  leaseOwner: text("lease_owner"),
  leaseExpiresAt: ts("lease_expires_at"),
  consecutiveFailures: integer("consecutive_failures").notNull().default(0),
  nextAttemptAt: ts("next_attempt_at"),
  lastError: text("last_error"),
  // Pending runs that were due for a re-read but did not fit SYNC_MAX_REQUESTS_PER_HOUR last pass.
  recheckDebt: integer("recheck_debt").notNull().default(0),
  // Re-lists from a stored page token that Bird answered, and that it refused (expired): the cost model.
  tokenReuses: integer("token_reuses").notNull().default(0),
  tokenRefusals: integer("token_refusals").notNull().default(0),
  updatedAt: ts("updated_at").notNull().defaultNow(),
});

/**
 * Page tokens a full listing passed, with the createdAt range of the page each one fetched: a stretch
 * dense with due re-checks is re-listed from its token instead of GETting each run (issue 13).
 */
export const pageTokens = bird.table(
  "page_tokens",
  {
    flowId: uuid("flow_id").notNull(),
    token: text("token").notNull(),
    // Whether the listing that passed it sent reverse=true (a token is only valid with its own order).
    reverse: boolean("reverse").notNull().default(false),
    oldestCreatedAt: ts("oldest_created_at").notNull(),
    newestCreatedAt: ts("newest_created_at").notNull(),
    recordedAt: ts("recorded_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.flowId, t.token] })],
);

/**
 * When each pending run was last read from Bird (listed or fetched), for the age-based re-check
 * (SYNC_RECHECK_FACTOR). Kept apart from approval_runs so that a read that changes nothing writes
 * no run row.
 */
export const runReads = bird.table("run_reads", {
  runId: uuid("run_id").primaryKey(),
  lastReadAt: ts("last_read_at").notNull().defaultNow(),
});

/** Pass history: one row per segment of a pass worked by one process. */
export const syncPasses = bird.table(
  "sync_passes",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    flowId: uuid("flow_id").notNull(),
    kind: text("kind").notNull(),
    owner: text("owner"),
    startedAt: ts("started_at").notNull().defaultNow(),
    finishedAt: ts("finished_at"),
    // completed | interrupted | failed; NULL while the segment runs (or if its process died).
    outcome: text("outcome"),
    fromFirstPage: boolean("from_first_page").notNull(),
    resumedFrom: bigint("resumed_from", { mode: "number" }),
    pages: integer("pages").notNull().default(0),
    requests: integer("requests").notNull().default(0),
    runsSeen: integer("runs_seen").notNull().default(0),
    runsInserted: integer("runs_inserted").notNull().default(0),
    runsUpdated: integer("runs_updated").notNull().default(0),
    runsUnchanged: integer("runs_unchanged").notNull().default(0),
    runsRejected: integer("runs_rejected").notNull().default(0),
    runsDeleted: integer("runs_deleted").notNull().default(0),
    // Runs the completed listing did not show that a GET proved live (exactness rule 5): a count above
    // zero says Bird's paging is unstable (offset tokens while runs are deleted, say).
    runsSkippedLive: integer("runs_skipped_live").notNull().default(0),
    // Pending runs re-read because they were due (SYNC_RECHECK_FACTOR), by listing or by id.
    runsRechecked: integer("runs_rechecked").notNull().default(0),
    error: text("error"),
  },
  (t) => [index("sync_passes_flow_started_idx").on(t.flowId, t.startedAt)],
);

/** Dead letter for records that fail validation; a re-seen record updates its row in place. */
export const syncRejects = bird.table(
  "sync_rejects",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    flowId: uuid("flow_id").notNull(),
    // The record's id when it has one (it may not be a valid uuid: that can be the reason).
    runId: text("run_id"),
    // run id, or a hash of the payload when the record has no usable id.
    fingerprint: text("fingerprint").notNull(),
    reason: text("reason").notNull(),
    // Raw JSON text: a rejected record may hold what jsonb cannot (NUL, lone surrogates).
    payload: text("payload").notNull(),
    firstSeenAt: ts("first_seen_at").notNull().defaultNow(),
    lastSeenAt: ts("last_seen_at").notNull().defaultNow(),
    timesSeen: integer("times_seen").notNull().default(1),
  },
  (t) => [uniqueIndex("sync_rejects_flow_fingerprint_key").on(t.flowId, t.fingerprint)],
);

/**
 * One API budget per organization and API origin, shared by every process on the database (issue 23):
 * the next request slot not yet handed out, and the Retry-After pause any of them was told about.
 */
export const requestBudget = bird.table(
  "request_budget",
  {
    organizationId: text("organization_id").notNull(),
    apiOrigin: text("api_origin").notNull(),
    nextSlotAt: ts("next_slot_at").notNull(),
    blockedUntil: ts("blocked_until"),
    // Processes that claimed slots in the last few seconds: owner -> when (ms since the epoch).
    claimants: jsonb("claimants").notNull().default(sql`'{}'::jsonb`),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.organizationId, t.apiOrigin] })],
);

/** Ids seen by the open full pass of a flow: what it did not see is marked deleted when it completes. */
export const syncSeen = bird.table(
  "sync_seen",
  {
    flowId: uuid("flow_id").notNull(),
    runId: uuid("run_id").notNull(),
    // Two-ended passes: 'f' listed by the default-order stream, 'r' by the reverse one, 'b' by both.
    side: text("side"),
  },
  (t) => [primaryKey({ columns: [t.flowId, t.runId] })],
);
