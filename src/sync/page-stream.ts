// Pages of one listing, with the next page already in flight while the caller commits the current one.
import type { RunsPage, Upstream } from "../bird/client.js";
import { PagingLoopError } from "../errors.js";
import { type ReadWindow, timedRead } from "../model.js";
import { pageGarbageCollector } from "../memory.js";
import { IdSet } from "./id-set.js";
import { type CheckedPage, checkPage } from "./page-check.js";

// Shared by every listing in the process: the collection is per process, not per flow.
const afterPage = pageGarbageCollector(64);

export interface FetchedPage extends Omit<RunsPage, "records"> {
  /** Its records validated, once, as it arrived: what the listing's order and stopping may trust. */
  checked: CheckedPage;
  /** The token this page was fetched with (undefined: the first page). */
  token: string | undefined;
  /** HTTP attempts it took, retries included. */
  requests: number;
  /** When it was read (from its first attempt to its answer). */
  read: ReadWindow;
}

// Token semantics are not documented (keyset or offset, stable or not), so a listing ends by progress,
// not by trusting tokens (exactness rule 7): pages in a row that show no run this listing has not
// shown already end it with an error. Empty pages that still carry a token are legal, but not forever;
// pages that only repeat runs under fresh tokens get fewer chances (an offset listing repeats a page
// only when a page's worth of runs was created between two requests).
const MAX_PAGES_WITHOUT_NEW_RUNS = 50;
const MAX_REPEATED_PAGES_IN_A_ROW = 10;

export async function* listPages(
  client: Upstream,
  flowId: string,
  opts: {
    firstToken: string | undefined;
    limit: number;
    reverse?: boolean | undefined;
    signal: AbortSignal;
    /** When true for a page, the listing ends after it and no next page is fetched (no wasted request). */
    isLast?: (page: FetchedPage) => boolean;
  },
): AsyncGenerator<FetchedPage> {
  const fetchPage = async (token: string | undefined): Promise<FetchedPage> => {
    const meter = { requests: 0 };
    const { value: page, read } = await timedRead(() =>
      client.listRuns(flowId, { pageToken: token, limit: opts.limit, reverse: opts.reverse }, { signal: opts.signal, meter }),
    );
    // The parsed records are not kept: what the pass needs of them is in `checked`.
    const { records, texts, nextPageToken } = page;
    return { texts, nextPageToken, checked: checkPage(records, texts, { flowId }), token, requests: meter.requests, read };
  };
  const tokensSeen = new Set<string>();
  if (opts.firstToken) tokensSeen.add(opts.firstToken);
  const progress = new ListingProgress(flowId);
  let pending = fetchPage(opts.firstToken);
  for (;;) {
    const page = await pending;
    const next = opts.isLast?.(page) ? undefined : page.nextPageToken;
    progress.observe(page.checked);
    if (next !== undefined) {
      if (tokensSeen.has(next)) {
        throw new PagingLoopError(`the API returned page token it had already given for flow ${flowId}: paging would never end`);
      }
      progress.assertMoving();
      tokensSeen.add(next);
      pending = fetchPage(next);
      // If the caller stops before awaiting it, its failure must not surface as an unhandled rejection.
      pending.catch(() => undefined);
    }
    yield page;
    afterPage();
    if (next === undefined) return;
  }
}

/** Whether a listing still brings runs it has not shown: the bound that makes every listing end. */
export class ListingProgress {
  private readonly shown = new IdSet();
  private stalled = 0;
  private repeated = 0;
  private lastRepeat = "";

  constructor(private readonly flowId: string) {}

  observe(page: CheckedPage): void {
    let fresh = false;
    for (const id of page.listedIds) fresh = this.shown.add(id) || fresh;
    // A record without a uuid is known by its text (it is quarantined, but may repeat forever too).
    for (const at of page.keyless) fresh = this.shown.add(`text:${page.texts.at(at)}`) || fresh;
    if (fresh) {
      this.stalled = 0;
      this.repeated = 0;
      return;
    }
    this.stalled++;
    if (page.seen > 0) {
      this.repeated++;
      this.lastRepeat = page.listedIds.slice(0, 3).join(", ");
    }
  }

  /** Throws when the listing has stopped making progress; call before fetching the next page. */
  assertMoving(): void {
    if (this.repeated >= MAX_REPEATED_PAGES_IN_A_ROW) {
      throw new PagingLoopError(
        `the API returned ${this.repeated} pages in a row for flow ${this.flowId} that repeat runs it had already listed (e.g. ${this.lastRepeat || "records without an id"}), each with a new page token: paging would never end`,
      );
    }
    if (this.stalled >= MAX_PAGES_WITHOUT_NEW_RUNS) {
      throw new PagingLoopError(
        `the API returned ${this.stalled} pages in a row for flow ${this.flowId} without a run it had not listed (empty pages)`,
      );
    }
  }
}
