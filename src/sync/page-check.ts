// A page's records checked once, as the page arrives: which runs may be written (valid, storable, and
// what was asked for), which are quarantined, which ids were listed. What a listing trusts about its
// order and where it stops comes from here too.
import { type Rejected, checkRun, recordUuid, rejectOf } from "../bird/schema.js";
import type { RecordTexts } from "../bird/record-texts.js";
import { RUN_JSON_FIELDS } from "../db/run-columns.js";

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
   * (year 0000, say) sits where Bird's own order put it, and must not end a listing early. Only their
   * createdAt is kept: a page in flight holds no parsed record.
   */
  ordered: Array<{ createdAt: unknown }>;
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
  const ordered: Array<{ createdAt: unknown }> = [];
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
      ordered.push({ createdAt: (raw as { createdAt: unknown }).createdAt });
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
