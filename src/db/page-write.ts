// The hot path: one page of runs in ONE statement (one round trip, atomic by itself). Data-modifying
// CTEs renew the lease and advance the cursor, upsert the page's valid runs change-only, remember
// them for deletion marking, release fixed records from quarantine, quarantine the invalid ones and
// count it all into the pass — and do nothing at all if this process no longer holds the flow's lease.
//
// The runs are read from the API's own JSON text (`source`), so jsonb values are stored exactly as
// Bird sent them (numbers keep their precision) and the page is never re-serialized in Node.
import { type SQL, sql } from "drizzle-orm";
import type { Rejected } from "../bird/schema.js";
import type { SqlRunner } from "./database.js";
import { RUN_COLUMNS, RUN_JSON_FIELDS, runColumnFromJson } from "./run-columns.js";
import type { ListOrder } from "../sync/outcome.js";

export interface RunsPageWrite {
  flowId: string;
  owner: string;
  leaseTtlMs: number;
  passId: number;
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
  /** Full passes remember what they saw, for deletion marking. */
  trackSeen: boolean;
  /** The token the page was fetched with, remembered with the page's createdAt range (full passes). */
  pageToken?: { token: string; reverse: boolean } | undefined;
  /** Where the next page starts; undefined leaves the stored cursor alone. */
  cursor?: PageCursor | undefined;
}

/**
 * Where the statement reads the runs from: the positions (0-based) of the runs among the records of a
 * list answer's `results`, the answer's whole text parsed once by PostgreSQL; or each run's own text.
 */
export type RunSource = { answer: string; positions: readonly number[] } | { texts: readonly string[] };

export interface PageCursor {
  next: string | null;
  listOrder: ListOrder | null;
  /** Which stream of a two-ended pass listed the page ('r': the `reverse=true` one); undefined: a one-ended pass. */
  side?: "f" | "r" | undefined;
}

export interface RunsPageWritten {
  leased: boolean;
  inserted: number;
  updated: number;
  /** Distinct valid runs on the page. */
  valid: number;
}

// Every column and expression below comes from RUN_COLUMNS (the Drizzle table): a new top-level field
// Bird ships is one column in schema.ts plus a generated migration, and nothing here changes.
// Fields without a column go to `extra`; `api_id` is the id as Bird spelled it when not lower case.
const KNOWN = sql.raw(`array[${RUN_JSON_FIELDS.map((k) => `'${k}'`).join(",")}]`);
const WRITTEN = [...RUN_COLUMNS.map((c) => c.column), "api_id", "extra"];
const DATA = WRITTEN.filter((c) => c !== "id");
const COLUMNS = sql.raw(WRITTEN.join(", "));
const SET_LIST = sql.raw(DATA.map((c) => `${c} = excluded.${c}`).join(", "));
const CURRENT = sql.raw(`(${DATA.map((c) => `t.${c}`).join(", ")})`);
const INCOMING = sql.raw(`(${DATA.map((c) => `excluded.${c}`).join(", ")})`);
const FROM_THE_RUN = sql.raw(RUN_COLUMNS.map((c) => `${runColumnFromJson(c, "e")} as ${c.column}`).join(", "));

/** Columns of a run from its jsonb `e`: every cast PostgreSQL may refuse is here, so a probe finds them. */
const projection = (hasExtra: boolean) => sql`
  ${FROM_THE_RUN}, nullif(e->>'id', lower(e->>'id')) as api_id,
  case when ${hasExtra} then nullif(e - ${KNOWN}, '{}'::jsonb) end as extra`;

/** Throws what PostgreSQL says when it cannot store this run (its text alone), else resolves. */
export async function probeRunText(db: SqlRunner, text: string): Promise<void> {
  await db.rows(sql`select ${projection(true)} from (select ${text}::jsonb as e) as picked`);
}

/** Quarantine entries go through jsonb: strings that jsonb refuses are made storable first. */
function storableText(s: string | null): string | null {
  return s === null ? null : s.toWellFormed().replaceAll("\u0000", "\uFFFD");
}

function pickRuns(runs: RunSource): SQL {
  if ("texts" in runs) return sql`select e from jsonb_array_elements(${`[${runs.texts.join(",")}]`}::jsonb) as a(e) where true`;
  return sql`select e from jsonb_array_elements(${runs.answer}::jsonb -> 'results') with ordinality as a(e, pos)
      where pos - 1 = any(${`{${runs.positions.join(",")}}`}::int[])`;
}

/** Renews the lease and moves the stream's cursor; yields the flow only while this process holds it. */
function renewLease(w: RunsPageWrite): SQL {
  const side = w.cursor?.side ?? null;
  const setCursor = w.cursor !== undefined && side !== "r";
  const setReverse = side === "r";
  return sql`
      update bird.sync_state set
        lease_expires_at = now() + ${w.leaseTtlMs} * interval '1 millisecond',
        cursor = case when ${setCursor} then ${w.cursor?.next ?? null}::text else cursor end,
        reverse_cursor = case when ${setReverse} then ${w.cursor?.next ?? null}::text else reverse_cursor end,
        list_order = coalesce(${w.cursor?.listOrder ?? null}::text, list_order),
        updated_at = now()
      where flow_id = ${w.flowId}::uuid and lease_owner = ${w.owner}
      returning flow_id`;
}

/** What the pass remembers about the page: the seen set, when pending runs were read, the page's token. */
function remember(w: RunsPageWrite): SQL {
  return sql`seen as (
      -- a run both streams of a two-ended pass listed is marked 'b': the proof that they met survives a restart
      insert into bird.sync_seen as s (flow_id, run_id, side)
      select ${w.flowId}::uuid, id::uuid, ${w.cursor?.side ?? null}::text from jsonb_array_elements_text(${JSON.stringify(w.listedIds)}::jsonb) as l(id)
      where ${w.trackSeen} and exists (select 1 from lease)
      on conflict (flow_id, run_id) do update set side = 'b' where s.side is distinct from excluded.side
    ), reads as (
      -- when each pending run was last read, for the age-based re-check; decided runs need no entry
      insert into bird.run_reads as rr (run_id, last_read_at)
      select id, now() from input where status = 'pending'
      on conflict (run_id) do update set last_read_at = excluded.last_read_at
    ), settled as (
      delete from bird.run_reads where run_id in (select id from input where status <> 'pending')
    ), token as (
      insert into bird.page_tokens (flow_id, token, reverse, oldest_created_at, newest_created_at)
      select ${w.flowId}::uuid, ${w.pageToken?.token ?? null}::text, ${w.pageToken?.reverse ?? false}, min(created_at), max(created_at)
      from input where ${w.pageToken?.token ?? null}::text is not null having count(*) > 0
      on conflict (flow_id, token) do update set oldest_created_at = excluded.oldest_created_at,
        newest_created_at = excluded.newest_created_at, recorded_at = now()
    )`;
}

/** Releases the page's valid runs from quarantine and quarantines its invalid records. */
function quarantine(w: RunsPageWrite): SQL {
  const rejects = w.rejects.map((r) => ({
    run_id: storableText(r.runId),
    fingerprint: storableText(r.fingerprint),
    reason: storableText(r.reason),
    payload: r.payload,
  }));
  return sql`released as (
      delete from bird.sync_rejects
      where flow_id = ${w.flowId}::uuid and fingerprint in (select id::text from input)
    ), quarantined as (
      insert into bird.sync_rejects as q (flow_id, run_id, fingerprint, reason, payload)
      select ${w.flowId}::uuid, run_id, fingerprint, reason, payload
      from jsonb_to_recordset(${JSON.stringify(rejects)}::jsonb) as r(run_id text, fingerprint text, reason text, payload text)
      where exists (select 1 from lease)
      on conflict (flow_id, fingerprint) do update
        set reason = excluded.reason, payload = excluded.payload, last_seen_at = now(), times_seen = q.times_seen + 1
    )`;
}

/** Adds the page to its pass's counters. */
function countIntoPass(w: RunsPageWrite): SQL {
  return sql`counts as (
      select count(*) filter (where inserted)::int as inserted, count(*) filter (where not inserted)::int as updated from written
    ), progress as (
      update bird.sync_passes set
        pages = pages + ${w.pages}, requests = requests + ${w.requests}, runs_seen = runs_seen + ${w.seen},
        runs_inserted = runs_inserted + (select inserted from counts),
        runs_updated = runs_updated + (select updated from counts),
        runs_unchanged = runs_unchanged + (select count(*) from input) - (select inserted + updated from counts),
        runs_rejected = runs_rejected + ${w.rejects.length}
      where id = ${w.passId} and exists (select 1 from lease)
    )`;
}

export async function writeRunsPage(db: SqlRunner, w: RunsPageWrite): Promise<RunsPageWritten> {
  const [row] = await db.rows<RunsPageWritten>(
    sql`
    with lease as (${renewLease(w)}
    ), picked as (
      -- the runs as Bird's texts hold them: parsed once, never re-serialized
      ${pickRuns(w.runs)} and exists (select 1 from lease)
    ), input as (
      select ${projection(w.hasExtra)} from picked
    ), written as (
      insert into bird.approval_runs as t (${COLUMNS})
      select ${COLUMNS} from input
      on conflict (id) do update set ${SET_LIST}, last_synced_at = now(), deleted_at = null
      where ${CURRENT} is distinct from ${INCOMING} or t.deleted_at is not null
      returning (xmax = 0) as inserted
    ), ${remember(w)}, ${quarantine(w)}, ${countIntoPass(w)}
    select exists (select 1 from lease) as leased, inserted, updated, (select count(*) from input)::int as valid from counts`,
    { prepare: "page_write" },
  );
  return row ?? { leased: false, inserted: 0, updated: 0, valid: 0 };
}
