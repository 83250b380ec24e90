// The hot path (DESIGN §5): one page of runs in ONE statement — one round trip, atomic by itself. It is
// kept whole here, a comment per step, as graphile-worker keeps its hot queries (src/sql/). The page's
// runs are read from the API's own JSON text, so jsonb values are stored exactly as Bird sent them and
// the page is never re-serialized in Node. Nothing at all happens when this process no longer holds
// the flow's lease: every step that writes reads `lease` first.
//
// The column lists come from RUN_COLUMNS (the Drizzle table): a new top-level field Bird ships is one
// column in schema.ts plus a generated migration, and nothing here changes.
import type { Rejected } from "../../bird/schema.js";
import type { ListOrder } from "../../model.js";
import type { DbReadWindow } from "../clock.js";
import type { SqlRunner } from "../database.js";
import { RUN_COLUMNS, RUN_JSON_FIELDS, runColumnFromJson } from "../run-columns.js";
import { bindNamed, bindStatement } from "./bind.js";
import { WINDOWS_ON_UPDATE } from "./version-windows.js";

/** What stays the same for every page of one pass. */
export interface PassTarget {
  flowId: string;
  owner: string;
  leaseTtlMs: number;
  passId: number;
}

/** One page as the statement writes it. */
export interface RunsPageRows {
  /** The runs to write (validated, one per id), read from the texts Bird sent. */
  runs: RunSource;
  /** Every run id the page listed, valid or not (lower-cased uuids): the seen set. */
  listedIds: readonly string[];
  /** Some run has fields beyond the known ones (otherwise `extra` is NULL without computing it). */
  hasExtra: boolean;
  rejects: readonly Rejected[];
  /** Counters added to the pass. */
  pages: number;
  requests: number;
  seen: number;
  /** Full passes remember what they saw, for deletion candidates. */
  trackSeen: boolean;
  /** The token the page was fetched with, remembered with the page's createdAt range (full passes). */
  pageToken?: { token: string; reverse: boolean } | undefined;
  /** Where the next page starts; undefined leaves the stored cursor alone. */
  cursor?: PageCursor | undefined;
  /** When the page was read, on the database's clock: the bounds of the versions it shows. */
  read: DbReadWindow;
  /** Keep the versions the page replaces (SYNC_RUN_HISTORY). */
  history: boolean;
}

/**
 * Where the statement reads the runs from: the positions (0-based) of the runs among the records of a
 * list answer's `results`, the answer's whole UTF-8 (sent as bytea) parsed once by PostgreSQL; or each run's own text.
 */
export type RunSource = { answer: Buffer; positions: readonly number[] } | { texts: readonly string[] };

export interface PageCursor {
  next: string | null;
  listOrder: ListOrder | null;
  /** Which stream of a two-ended pass listed the page ('r': the `reverse=true` one); undefined: one-ended. */
  side?: "f" | "r" | undefined;
}

export interface RunsPageWritten {
  leased: boolean;
  inserted: number;
  updated: number;
  /** Distinct valid runs on the page. */
  valid: number;
}

// Fields without a column go to `extra`; `api_id` is the id as Bird spelled it when not lower case.
const KNOWN = `array[${RUN_JSON_FIELDS.map((k) => `'${k}'`).join(",")}]`;
const WRITTEN = [...RUN_COLUMNS.map((c) => c.column), "api_id", "extra"];
const DATA = WRITTEN.filter((c) => c !== "id");
const COLUMNS = WRITTEN.join(", ");
const SET_LIST = DATA.map((c) => `${c} = excluded.${c}`).join(", ");
const CURRENT = `(${DATA.map((c) => `t.${c}`).join(", ")})`;
const INCOMING = `(${DATA.map((c) => `excluded.${c}`).join(", ")})`;
const STORED = `(${DATA.map((c) => `t.${c}`).join(", ")})`;
const READ = `(${DATA.map((c) => `i.${c}`).join(", ")})`;
/** The stored row is a deletion this read predates, and the read shows the run in another flow. */
const MOVED_NOT_DELETED = `(t.deleted_at is not null and t.approval_flow_id <> excluded.approval_flow_id
          and t.first_read_sent_at > @read_sent::timestamptz)`;
/** A past version keeps every column the run feeds, and whether the run was deleted then. */
export const KEPT = [...WRITTEN, "deleted_at"].join(", ");
/** KEPT read from the stored row `t`. */
export const KEPT_FROM_T = [...WRITTEN, "deleted_at"].map((c) => `t.${c}`).join(", ");

/** Columns of a run from its jsonb `e`: every cast PostgreSQL may refuse is here, so a probe finds them. */
const PROJECTION = `${RUN_COLUMNS.map((c) => `${runColumnFromJson(c, "e")} as ${c.column}`).join(", ")},
      nullif(e->>'id', lower(e->>'id')) as api_id,
      case when @has_extra then nullif(e - ${KNOWN}, '{}'::jsonb) end as extra`;

/** The page's runs as jsonb elements: picked out of the whole answer by position, or from their own texts. */
const PICK = {
  answer: `select e from jsonb_array_elements(convert_from(@source::bytea, 'UTF8')::jsonb -> 'results') with ordinality as a(e, pos)
        where pos - 1 = any(@positions::int[])`,
  texts: "select e from jsonb_array_elements(@source::jsonb) as a(e)",
};

// The statement, whole; `{pick}` is where the page's runs come from (PICK).
const STATEMENT = `
    with lease as (
      -- 1. renew the lease and move this stream's cursor; no row: another process holds the flow
      update bird.sync_state set
        lease_expires_at = now() + @lease_ttl_ms * interval '1 millisecond',
        cursor = case when @set_cursor then @next::text else cursor end,
        reverse_cursor = case when @set_reverse_cursor then @next::text else reverse_cursor end,
        list_order = coalesce(@list_order::text, list_order),
        updated_at = now()
      where flow_id = @flow_id::uuid and lease_owner = @owner
      returning flow_id
    ), picked as (
      -- 2. the runs as Bird's texts hold them: parsed once, never re-serialized
      select e from ({pick}) as p where exists (select 1 from lease)
    ), input as (
      -- 3. one row per run, every column cast from its JSON value
      select ${PROJECTION} from picked
    ), written as (
      -- 4. change-only upsert: a row is written only when a value differs, or to bring a deleted run back;
      --    each write is a new version, changed after the last read that showed the one before. A run
      --    marked deleted by a 404 under one flow that a read sent before that 404 shows in another
      --    flow was moved, not deleted: the deletion is withdrawn (this version replaces it, number kept;
      --    the trigger approval_runs_withdrawn_deletion ends the version before it where this one was seen)
      --    A run written for the first time leaves its windows NULL: "after created_at, by observed_at"
      insert into bird.approval_runs as t (${COLUMNS}, observed_at, first_read_sent_at)
      select ${COLUMNS}, @read_received::timestamptz, @read_sent::timestamptz
      from input
      on conflict (id) do update set ${SET_LIST}, last_synced_at = now(), deleted_at = null,
        version = t.version + case when ${MOVED_NOT_DELETED} then 0 else 1 end, observed_at = excluded.observed_at, first_read_sent_at = excluded.first_read_sent_at,
        ${WINDOWS_ON_UPDATE}
      where (${CURRENT} is distinct from ${INCOMING} or t.deleted_at is not null)
        and (coalesce(t.first_read_sent_at, '-infinity') <= @read_sent::timestamptz
          or (t.deleted_at is not null and t.approval_flow_id <> excluded.approval_flow_id))
      returning id, version, (xmax = 0) as inserted, status, active_step, changed_after, approval_flow_id, created_at
    ), stale as (
      -- 5. runs whose stored version this read may not replace: they differ, yet the upsert skipped them
      --    (the read was sent before the one that first showed the stored version, so it may show an
      --    older one; issue 22). Only runs the upsert did not write are looked up: none in a backfill
      select i.id from input i join bird.approval_runs t on t.id = i.id
      where i.id not in (select id from written) and (${STORED} is distinct from ${READ} or t.deleted_at is not null)
    ), replaced as (
      -- 6. the stored versions those writes replaced, as this statement's snapshot still shows them, each
      --    looked up by its key (OFFSET 0 keeps the lookup a lookup: flattened, the planner may scan every
      --    pending run per page when its statistics lag a backfill)
      select t.*, w.status as next_status, w.active_step as next_active_step, w.changed_after as next_changed_after
      from written w cross join lateral (
        select * from bird.approval_runs r where r.id = w.id and r.version = w.version - 1 offset 0) as t
      where not w.inserted
    ), superseded as (
      -- 7. each replaced version into the history
      insert into bird.approval_run_history (${KEPT}, version, changed_after, observed_at, superseded_at)
      select ${KEPT_FROM_T}, t.version, t.changed_after, t.observed_at, @read_received::timestamptz
      from replaced t where @history::boolean
      on conflict (id, version) do nothing
    ), stretch as (
      -- 8. a pending run that left its step (for another or a decision): the stretch it spent there
      insert into bird.run_step_times (run_id, flow_id, step, run_created_at, entered_after, entered_before, left_after, left_before)
      select t.id, t.approval_flow_id, t.active_step, t.created_at,
        coalesce(t.step_entered_after, case when t.created_at <= t.observed_at then t.created_at end),
        coalesce(t.step_entered_before, t.observed_at), t.next_changed_after, @read_received::timestamptz
      from replaced t
      where t.status = 'pending' and t.deleted_at is null and t.active_step is not null
        and (t.next_status <> 'pending' or t.next_active_step is distinct from t.active_step)
        -- a run dated in the future has no lower bound to time its steps from: nothing is recorded
        and coalesce(t.step_entered_after, case when t.created_at <= t.observed_at then t.created_at end) is not null
        and t.next_changed_after is not null
      on conflict do nothing
    ), marked as (
      -- 9. the report segments (flow, UTC month) the new runs fall in, for the rollups to refresh; the
      --    triggers of migration 0012 mark what updates and deletions touch (see 0013 for why not inserts)
      insert into bird.report_segments_dirty (flow_id, month)
      select distinct approval_flow_id, bird.utc_month(created_at) from written where inserted
      on conflict (flow_id, month) do update set marked_at = now()
    ), seen as (
      -- 10. the pass's seen set (deletion candidates are what it misses); a run both streams of a
      --    two-ended pass listed is marked 'b', the proof that they met, which survives a restart
      insert into bird.sync_seen as s (flow_id, run_id, side)
      select @flow_id::uuid, id::uuid, @side::text from jsonb_array_elements_text(@listed_ids::jsonb) as l(id)
      where @track_seen and exists (select 1 from lease)
      on conflict (flow_id, run_id) do update set side = 'b' where s.side is distinct from excluded.side
    ), reads as (
      -- 11. when each pending run was last read (sent), for the age-based re-check and as the lower bound
      --    of its next version's window; decided runs need no entry. A stale read proves nothing new.
      insert into bird.run_reads as rr (run_id, last_read_at)
      select id, @read_sent::timestamptz from input where status = 'pending' and id not in (select id from stale)
      on conflict (run_id) do update set last_read_at = greatest(rr.last_read_at, excluded.last_read_at)
    ), settled as (
      delete from bird.run_reads where run_id in (select id from input where status <> 'pending' and id not in (select id from stale))
    ), token as (
      -- 12. the page's token with its createdAt range, to re-list just this stretch later
      insert into bird.page_tokens (flow_id, token, reverse, oldest_created_at, newest_created_at)
      select @flow_id::uuid, @page_token::text, @page_token_reverse, min(created_at), max(created_at)
      from input where @page_token::text is not null having count(*) > 0
      on conflict (flow_id, token) do update set oldest_created_at = excluded.oldest_created_at,
        newest_created_at = excluded.newest_created_at, recorded_at = now()
    ), released as (
      -- 13. runs valid again leave quarantine; the page's invalid records enter it (re-seen: updated in place)
      delete from bird.sync_rejects where flow_id = @flow_id::uuid and fingerprint in (select id::text from input)
    ), quarantined as (
      insert into bird.sync_rejects as q (flow_id, run_id, fingerprint, reason, payload)
      select @flow_id::uuid, run_id, fingerprint, reason, payload
      from jsonb_to_recordset(@rejects::jsonb) as r(run_id text, fingerprint text, reason text, payload text)
      where exists (select 1 from lease)
      on conflict (flow_id, fingerprint) do update
        set reason = excluded.reason, payload = excluded.payload, last_seen_at = now(), times_seen = q.times_seen + 1
    ), counts as (
      select count(*) filter (where inserted)::int as inserted, count(*) filter (where not inserted)::int as updated from written
    ), progress as (
      -- 14. the page's counts into its pass
      update bird.sync_passes set
        pages = pages + @pages, requests = requests + @requests, runs_seen = runs_seen + @seen,
        runs_inserted = runs_inserted + (select inserted from counts),
        runs_updated = runs_updated + (select updated from counts),
        runs_unchanged = runs_unchanged + (select count(*) from input) - (select inserted + updated from counts),
        runs_rejected = runs_rejected + @rejected
      where id = @pass_id and exists (select 1 from lease)
    )
    select exists (select 1 from lease) as leased, inserted, updated, (select count(*) from input)::int as valid from counts`;

/** The statement's two texts: runs picked from the list answer's whole text, or from their own texts. */
export const WRITE_RUNS_PAGE = {
  answer: STATEMENT.replace("{pick}", PICK.answer),
  texts: STATEMENT.replace("{pick}", PICK.texts),
} as const;

/** Throws what PostgreSQL says when it cannot store this run (its text alone), else resolves. */
export async function probeRunText(db: SqlRunner, text: string): Promise<void> {
  await db.rows(bindNamed(`select ${PROJECTION} from (select @text::jsonb as e) as picked`, { text, has_extra: true }));
}

/** µs since the epoch as the timestamptz text PostgreSQL reads back to the same microsecond. */
export function usInstant(us: number): string {
  const ms = Math.floor(us / 1000);
  return `${new Date(ms).toISOString().slice(0, -1)}${String(us - ms * 1000).padStart(3, "0")}Z`;
}

/** Quarantine entries go through jsonb: strings that jsonb refuses are made storable first. */
function storableText(s: string | null): string | null {
  return s === null ? null : s.toWellFormed().replaceAll("\u0000", "\uFFFD");
}

export async function writeRunsPage(db: SqlRunner, pass: PassTarget, page: RunsPageRows): Promise<RunsPageWritten> {
  const side = page.cursor?.side ?? null;
  const fromAnswer = "answer" in page.runs;
  const rejects = page.rejects.map((r) => ({
    run_id: storableText(r.runId),
    fingerprint: storableText(r.fingerprint),
    reason: storableText(r.reason),
    payload: r.payload,
  }));
  const values = {
    flow_id: pass.flowId,
    owner: pass.owner,
    pass_id: pass.passId,
    lease_ttl_ms: pass.leaseTtlMs,
    set_cursor: page.cursor !== undefined && side !== "r",
    set_reverse_cursor: side === "r",
    next: page.cursor?.next ?? null,
    list_order: page.cursor?.listOrder ?? null,
    source: "answer" in page.runs ? page.runs.answer : `[${page.runs.texts.join(",")}]`,
    positions: "answer" in page.runs ? `{${page.runs.positions.join(",")}}` : null,
    has_extra: page.hasExtra,
    side,
    listed_ids: JSON.stringify(page.listedIds),
    track_seen: page.trackSeen,
    page_token: page.pageToken?.token ?? null,
    page_token_reverse: page.pageToken?.reverse ?? false,
    rejects: JSON.stringify(rejects),
    pages: page.pages,
    requests: page.requests,
    seen: page.seen,
    rejected: page.rejects.length,
    read_sent: usInstant(page.read.sentUs),
    read_received: usInstant(page.read.receivedUs),
    history: page.history,
  };
  const text = fromAnswer ? WRITE_RUNS_PAGE.answer : WRITE_RUNS_PAGE.texts;
  const [row] = await db.rows<RunsPageWritten>(bindStatement(text, values), { prepare: "page_write" });
  return row ?? { leased: false, inserted: 0, updated: 0, valid: 0 };
}
