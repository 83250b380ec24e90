// What both full-pass strategies (one stream, full-pass.ts; two streams, two-ended.ts) share: where a
// pass starts, a listed page's counters and cursor, and the page that completes the listing.
import { LeaseLostError } from "../errors.js";
import type { PageCursor } from "../db/sql/write-runs-page.js";
import { completeFullPass } from "../db/state.js";
import { type PageProgress, addProgress } from "../model.js";
import type { SyncContext } from "./context.js";
import type { FetchedPage } from "./page-stream.js";
import type { PageMeta, PassWriter } from "./pass-writer.js";
import { proveDeletions } from "./read-by-id.js";

export interface FullPassStart {
  passId: number;
  /** Resuming the flow's open pass: where each stream stands (undefined: from its first page / not begun). */
  resumed: boolean;
  /** Restarted after the API rejected a stored token: listed from one end (half the requests per token's life). */
  restarted: boolean;
  forwardToken: string | undefined;
  reverseToken: string | undefined;
}

/** A listed page's counters, token and cursor. `reverse`: the page came from the `reverse=true` stream. */
export function pageMeta(page: FetchedPage, cursor: PageCursor, reverse = false, carried = 0): PageMeta {
  return {
    requests: page.requests + carried,
    pages: 1,
    pageToken: page.token === undefined ? undefined : { token: page.token, reverse },
    cursor,
    read: page.read,
  };
}

/**
 * The page that completes a listing begun at page one (a resumed pass kept its start and its seen set):
 * the stored runs the listing did not show are proven gone or live by GET (exactness rule 5), then this
 * page is written and the pass completed in one transaction.
 */
export async function completeListing(
  ctx: SyncContext,
  writer: PassWriter,
  page: FetchedPage,
  meta: PageMeta,
  signal: AbortSignal,
  totals: PageProgress,
): Promise<void> {
  const flowId = writer.flowId;
  addProgress(totals, await proveDeletions(ctx, { flowId, writer, signal }, page.checked.listedIds));
  const progress = await writer.write(page.checked, meta, async (tx) => {
    if (!(await completeFullPass(tx, flowId, writer.passId, ctx.owner))) {
      throw new LeaseLostError(`flow ${flowId} was taken over before its full pass could complete`);
    }
  });
  addProgress(totals, progress);
  ctx.logger.debug({ flowId, passId: writer.passId, ...progress }, "full listing complete; pass completed");
}
