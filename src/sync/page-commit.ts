// One page, one atomic write (DESIGN §5): valid runs upserted, invalid ones quarantined, the cursor
// advanced and the lease renewed — all or nothing, so a crash at any instant loses and duplicates nothing.
import { KNOWN_RUN_FIELDS, type Rejected, checkRun } from "../bird/schema.js";
import type { SqlRunner } from "../db/database.js";
import { writeRunsPage } from "../db/page-write.js";
import type { ListOrder, PageProgress } from "./outcome.js";
import { LeaseLostError } from "../errors.js";

const KNOWN_FIELDS = new Set<string>(KNOWN_RUN_FIELDS);

export interface CheckedPage {
  /** JSON text the database reads the valid runs from. */
  source: string;
  /** 1-based positions of the valid runs in source's array, one per run id (its last copy). */
  positions: number[];
  /** Whether any valid run carries fields beyond the OpenAPI's (kept in `extra`). */
  hasExtra: boolean;
  rejects: Rejected[];
  /** Records on the page, valid or not. */
  seen: number;
}

// A NUL or a surrogate written as a JSON escape: jsonb would reject the whole text, so such a page is
// checked record by record and only its storable runs are sent. Pages without them go as Bird sent them.
const RISKY_ESCAPE = /\\u0000|\\u[dD][89a-fA-F]/;

/** Validates a page's records. `rawText` is the answer they were parsed from, when there is one. */
export function checkPage(records: readonly unknown[], rawText?: string): CheckedPage {
  const verbatim = rawText !== undefined && !RISKY_ESCAPE.test(rawText);
  // A run listed twice on one page is written once: its last copy wins.
  const positionById = new Map<string, number>();
  const valid: unknown[] = [];
  let hasExtra = false;
  let rejects: Rejected[] = [];
  records.forEach((raw, i) => {
    const checked = checkRun(raw, !verbatim);
    if (checked.ok) {
      positionById.set(checked.id, verbatim ? i + 1 : valid.length + 1);
      valid.push(raw);
      hasExtra ||= Object.keys(raw as object).some((k) => !KNOWN_FIELDS.has(k));
    } else {
      rejects.push(checked.reject);
    }
  });
  // A run listed both valid and invalid on one page is written; its invalid copy is not quarantined.
  if (rejects.some((r) => r.runId && positionById.has(r.fingerprint))) rejects = rejects.filter((r) => !positionById.has(r.fingerprint));
  const positions = [...positionById.values()].sort((a, b) => a - b);
  return { source: verbatim ? rawText : JSON.stringify(valid), positions, hasExtra, rejects, seen: records.length };
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
  /** Where the next page starts; undefined leaves the stored cursor alone (incremental passes). */
  cursor?: { next: string | null; listOrder: ListOrder | null };
}

export async function writePage(db: SqlRunner, w: PageWrite): Promise<PageProgress> {
  const written = await writeRunsPage(db, {
    flowId: w.flowId,
    owner: w.owner,
    leaseTtlMs: w.leaseTtlMs,
    passId: w.passId,
    source: w.page.source,
    positions: w.page.positions,
    hasExtra: w.page.hasExtra,
    rejects: w.page.rejects,
    pages: w.pages,
    requests: w.requests,
    seen: w.page.seen,
    trackSeen: w.trackSeen,
    cursor: w.cursor,
  });
  if (!written.leased) throw new LeaseLostError(`lost the lease on flow ${w.flowId} to another process`);
  return {
    pages: w.pages,
    requests: w.requests,
    seen: w.page.seen,
    inserted: written.inserted,
    updated: written.updated,
    unchanged: written.valid - written.inserted - written.updated,
    rejected: w.page.rejects.length,
    deleted: 0,
  };
}
