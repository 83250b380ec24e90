// One page, one atomic write (DESIGN §5): valid runs upserted, invalid ones quarantined, the cursor
// advanced and the lease renewed — all or nothing, so a crash at any instant loses and duplicates nothing.
import { type Rejected, checkRun, recordUuid, rejectOf } from "../bird/schema.js";
import { type Database, type SqlRunner, dbErrorMessage, inSavepoint, isRecordDataError } from "../db/database.js";
import { RUN_JSON_FIELDS } from "../db/run-columns.js";
import {
  type PageCursor,
  type RunSource,
  type RunsPageWrite,
  type RunsPageWritten,
  probeRunText,
  writeRunsPage,
} from "../db/page-write.js";
import type { PageProgress } from "./outcome.js";
import { LeaseLostError } from "../errors.js";
import type { RecordTexts } from "../bird/record-texts.js";

const KNOWN_FIELDS = new Set<string>(RUN_JSON_FIELDS);

export interface CheckedRun {
  /** The uuid, lower-cased. */
  id: string;
  /** The id exactly as Bird sent it: requests about this run use it. */
  apiId: string;
  /** Its place among the page's records: its text is `texts.at(at)`. */
  at: number;
}

export interface CheckedPage {
  /** Runs that passed the schema, one per id (its last copy), in page order. */
  runs: CheckedRun[];
  /** The exact texts of the page's records. */
  texts: RecordTexts;
  /** Whether any of them carries fields beyond the OpenAPI's (kept in `extra`). */
  hasExtra: boolean;
  rejects: Rejected[];
  /** Every uuid listed, valid or not: a run still listed is live even when its new version is quarantined. */
  listedIds: string[];
  /** Records on the page, valid or not. */
  seen: number;
  /** Positions of the records that carry no uuid (a listing knows them by their text). */
  keyless: number[];
  /**
   * The records that passed, in page order, copies included: only their createdAt may say anything
   * about the listing's order or where it stops. A record Bird sent with a createdAt it cannot mean
   * (year 0000, say) sits where Bird's own order put it, and must not end a listing early.
   */
  ordered: unknown[];
}

/**
 * What the answer was asked for (exactness rule 7): the flow it was listed or fetched under, and for
 * runs read by id the id asked for each record. An answer about another run or flow is quarantined
 * with both ids named, never written over another run's row.
 */
export interface AskedFor {
  flowId: string;
  /** GET-by-id answers: `runIds[i]` is the id `records[i]` was asked for. */
  runIds?: readonly string[];
}

/** Why a valid record is not what was asked for (undefined when it is). */
function mismatch(raw: unknown, id: string, asked: AskedFor, i: number): string | undefined {
  const flow = String((raw as { approvalFlowId: string }).approvalFlowId);
  const askedRun = asked.runIds?.[i];
  if (askedRun !== undefined && askedRun.toLowerCase() !== id) {
    return `a GET of run ${askedRun} under flow ${asked.flowId} answered run ${(raw as { id: string }).id} (flow ${flow}); the stored copy of ${askedRun} is kept`;
  }
  if (flow.toLowerCase() !== asked.flowId.toLowerCase()) {
    return askedRun !== undefined
      ? `a GET of run ${askedRun} under flow ${asked.flowId} answered it with approvalFlowId ${flow}; the stored copy is kept`
      : `run ${(raw as { id: string }).id} was listed under flow ${asked.flowId} but its approvalFlowId is ${flow}; the stored copy is kept`;
  }
  return undefined;
}

/** Validates a page's records; `texts.at(i)` is the exact text `records[i]` was parsed from. */
export function checkPage(records: readonly unknown[], texts: RecordTexts, asked: AskedFor): CheckedPage {
  if (texts.count !== records.length) throw new Error(`page has ${records.length} records but ${texts.count} record texts`);
  const runs = new Map<string, CheckedRun>();
  const rejects = new Map<string, Rejected>();
  const listed = new Set<string>();
  const keyless: number[] = [];
  const ordered: unknown[] = [];
  let hasExtra = false;
  records.forEach((raw, i) => {
    const id = recordUuid(raw);
    if (id) listed.add(id);
    else keyless.push(i);
    const checked = checkRun(raw, () => texts.at(i), texts.riskyAt(i));
    const wrong = checked.ok ? mismatch(raw, checked.id, asked, i) : undefined;
    if (checked.ok && wrong === undefined) {
      // A run listed twice on one page is written once: its last copy wins.
      runs.delete(checked.id);
      runs.set(checked.id, { id: checked.id, apiId: checked.apiId, at: i });
      ordered.push(raw);
      hasExtra ||= Object.keys(raw as object).some((k) => !KNOWN_FIELDS.has(k));
    } else {
      const reject = checked.ok ? rejectOf(raw, texts.at(i), wrong!, asked.runIds?.[i]) : checked.reject;
      // Two bad copies of one run are one quarantine entry (the last), never two upserts of one row.
      rejects.set(reject.fingerprint, reject);
    }
  });
  // A run listed both valid and invalid on one page is written; its invalid copy is not quarantined.
  for (const id of runs.keys()) rejects.delete(id);
  return {
    runs: [...runs.values()],
    texts,
    hasExtra,
    rejects: [...rejects.values()],
    listedIds: [...listed],
    seen: records.length,
    keyless,
    ordered,
  };
}

export interface PageWrite {
  flowId: string;
  owner: string;
  leaseTtlMs: number;
  passId: number;
  page: CheckedPage;
  requests: number;
  /** 1 for a listed page, 0 for runs read by id. */
  pages: number;
  /** Full passes remember what they saw, for deletion marking. */
  trackSeen: boolean;
  /** The token this page was fetched with, for re-listing a stretch later (full passes). */
  pageToken?: { token: string; reverse: boolean } | undefined;
  /** Where the next page starts; undefined leaves the stored cursor alone (incremental passes). */
  cursor?: PageCursor;
}

/**
 * Writes a page atomically. When PostgreSQL refuses a value the page is written again without the
 * runs it refuses, each found by probing its own text and quarantined with PostgreSQL's reason: no
 * record can fail a page. `andThen` runs in the same transaction (a pass's last page completes it).
 */
export async function writePage(
  db: Database,
  w: PageWrite,
  andThen?: (tx: SqlRunner, progress: PageProgress) => Promise<void>,
): Promise<PageProgress> {
  if (!andThen) {
    try {
      return progressOf(w, w.page, await writeRunsPage(db, writeOf(w, w.page)));
    } catch (err) {
      if (!isRecordDataError(err)) throw err;
      return db.transaction(async (tx) => progressOf(w, w.page, await writeStorable(tx, w)));
    }
  }
  return db.transaction(async (tx) => {
    let written: RunsPageWritten & { page?: CheckedPage };
    try {
      written = await inSavepoint(tx, "page_write", () => writeRunsPage(tx, writeOf(w, w.page)));
    } catch (err) {
      if (!isRecordDataError(err)) throw err;
      written = await writeStorable(tx, w);
    }
    const progress = progressOf(w, w.page, written);
    await andThen(tx, progress);
    return progress;
  });
}

async function writeStorable(tx: SqlRunner, w: PageWrite): Promise<RunsPageWritten & { page: CheckedPage }> {
  const runs: CheckedRun[] = [];
  const rejects = [...w.page.rejects];
  for (const run of w.page.runs) {
    const text = w.page.texts.at(run.at);
    try {
      await inSavepoint(tx, "probe", () => probeRunText(tx, text));
      runs.push(run);
    } catch (err) {
      if (!isRecordDataError(err)) throw err;
      rejects.push(rejectOf(undefined, text, `PostgreSQL cannot store this run: ${dbErrorMessage(err)}`, run.apiId));
    }
  }
  const page = { ...w.page, runs, rejects };
  // The answer as a whole was refused (it may be a record that is not a run): the runs go one by one.
  return { ...(await writeRunsPage(tx, writeOf(w, page, false))), page };
}

/**
 * The page's runs as the statement reads them: picked out of the whole answer (one text, parsed once)
 * unless that answer may hold what jsonb refuses, or already has; else the runs' own texts.
 */
function writeOf(w: PageWrite, page: CheckedPage, wholeAnswer = true): RunsPageWrite {
  const { texts } = page;
  const runs: RunSource =
    wholeAnswer && texts.answer !== undefined && !texts.risky
      ? { answer: texts.answer, positions: page.runs.map((r) => r.at) }
      : { texts: page.runs.map((r) => texts.at(r.at)) };
  return {
    flowId: w.flowId,
    owner: w.owner,
    leaseTtlMs: w.leaseTtlMs,
    passId: w.passId,
    runs,
    listedIds: page.listedIds,
    hasExtra: page.hasExtra,
    rejects: page.rejects,
    pages: w.pages,
    requests: w.requests,
    seen: page.seen,
    trackSeen: w.trackSeen,
    pageToken: w.pageToken,
    cursor: w.cursor,
  };
}

function progressOf(w: PageWrite, page: CheckedPage, written: RunsPageWritten & { page?: CheckedPage }): PageProgress {
  if (!written.leased) throw new LeaseLostError(`lost the lease on flow ${w.flowId} to another process`);
  return {
    pages: w.pages,
    requests: w.requests,
    seen: page.seen,
    inserted: written.inserted,
    updated: written.updated,
    unchanged: written.valid - written.inserted - written.updated,
    rejected: (written.page ?? page).rejects.length,
    deleted: 0,
    skippedLive: 0,
  };
}
