// Pages of one listing, with the next page already in flight while the caller commits the current one.
import type { RunsPage, Upstream } from "../bird/client.js";
import { PagingLoopError } from "../errors.js";
import { pageGarbageCollector } from "../memory.js";
import { type CheckedPage, checkPage } from "./page-commit.js";

// Shared by every listing in the process: the collection is per process, not per flow.
const afterPage = pageGarbageCollector(64);

export interface FetchedPage extends RunsPage {
  /** Its records validated, once, as it arrived: what the listing's order and stopping may trust. */
  checked: CheckedPage;
  /** The token this page was fetched with (undefined: the first page). */
  token: string | undefined;
  /** HTTP attempts it took, retries included. */
  requests: number;
}

// Empty pages that still carry a token are legal, but not forever.
const MAX_EMPTY_PAGES_IN_A_ROW = 50;

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
    const page = await client.listRuns(
      flowId,
      { pageToken: token, limit: opts.limit, reverse: opts.reverse },
      { signal: opts.signal, meter },
    );
    return { ...page, checked: checkPage(page.records, page.texts), token, requests: meter.requests };
  };
  const tokensSeen = new Set<string>();
  if (opts.firstToken) tokensSeen.add(opts.firstToken);
  let emptyInARow = 0;
  let pending = fetchPage(opts.firstToken);
  for (;;) {
    const page = await pending;
    const next = opts.isLast?.(page) ? undefined : page.nextPageToken;
    emptyInARow = page.records.length === 0 ? emptyInARow + 1 : 0;
    if (next !== undefined) {
      if (tokensSeen.has(next)) {
        throw new PagingLoopError(`the API returned page token it had already given for flow ${flowId}: paging would never end`);
      }
      if (emptyInARow >= MAX_EMPTY_PAGES_IN_A_ROW) {
        throw new PagingLoopError(`the API returned ${emptyInARow} empty pages in a row for flow ${flowId}`);
      }
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
