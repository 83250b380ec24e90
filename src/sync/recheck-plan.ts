// Which pending runs an incremental pass re-reads, and how (issue 13): the due ones (SYNC_RECHECK_FACTOR),
// most overdue first, as many as the request budget allows; those below the stretch the listing covered
// by listing on when that costs fewer requests than GETting them one by one. The rest is recheck debt.
import type { StoredPage } from "../db/page-tokens.js";
import type { DueRun } from "../db/runs.js";
import { instantUs } from "../bird/date-time.js";

export interface RecheckInput {
  /** Due runs the listing has not already re-read, most overdue first. */
  due: readonly DueRun[];
  /** Requests the budget leaves this flow for re-checks (Infinity without SYNC_MAX_REQUESTS_PER_HOUR). */
  allowance: number;
  /** Oldest createdAt (ms) the newest-first listing reached; runs below it need another read. */
  coveredFrom: number;
  /** Whether the listing went to its last page (then every listed run was already read). */
  reachedEnd: boolean;
  /** Pages a re-listing from where the listing stopped would take to reach a createdAt (µs). */
  pagesDownTo: (createdUs: number) => Promise<number>;
  /** Pages a full listing passed, with their tokens (empty when Bird refuses such reuses too often). */
  storedPages: readonly StoredPage[];
}

export interface RecheckPlan {
  /** Re-read now: listed on (when `relistDownTo` is set) or by id. */
  runs: DueRun[];
  /** List on from where the listing stopped down to this createdAt (µs), then GET what it did not show. */
  relistDownTo: number | undefined;
  /** Stored pages to re-list from their tokens: each holds two or more of the due runs. */
  tokenPages: StoredPage[];
  /** Due runs left for a later pass. */
  debt: number;
}

export async function planRecheck(input: RecheckInput): Promise<RecheckPlan> {
  const runs = input.due.slice(0, Math.max(0, Math.floor(input.allowance)));
  const debt = input.due.length - runs.length;
  const below = input.reachedEnd ? [] : runs.filter((r) => instantUs(r.createdAt) < (input.coveredFrom + 1) * 1000);
  if (below.length > 0) {
    const oldest = Math.min(...below.map((r) => instantUs(r.createdAt)));
    // A page re-read costs one request like a GET; list on only when it takes fewer of them.
    if ((await input.pagesDownTo(oldest)) < below.length) return { runs, relistDownTo: oldest, tokenPages: [], debt };
  }
  return { runs, relistDownTo: undefined, tokenPages: densePages(below, input.storedPages), debt };
}

/** Stored pages that each re-read at least two of the runs (one request instead of two GETs), densest first. */
function densePages(runs: readonly DueRun[], pages: readonly StoredPage[]): StoredPage[] {
  let left = runs.map((r) => instantUs(r.createdAt));
  const chosen: StoredPage[] = [];
  const inside = (p: StoredPage) => left.filter((us) => us >= p.oldestUs && us <= p.newestUs);
  for (const page of [...pages].sort((a, b) => inside(b).length - inside(a).length)) {
    const covered = inside(page);
    if (covered.length < 2) continue;
    chosen.push(page);
    left = left.filter((us) => !covered.includes(us));
  }
  return chosen;
}
