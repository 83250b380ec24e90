// Full pass: walks every page in the API's default order, resumable from the committed cursor, as a
// plain loop: fetch a page (the next one is already in flight), write it with its cursor, repeat. A
// large flow is listed from both ends instead (two-ended.ts, with its meeting rule in meeting.ts). Only
// when the listing is complete and began at page one are the runs it did not show read by id (deleted
// on 404, kept on 200), and then its last page completes the pass in its own transaction.
import { AbortedError } from "../errors.js";
import { forgetPageTokens } from "../db/page-tokens.js";
import { countStoredRuns, forgetSeen, hasRunsFromBeforePass, readSeenSides } from "../db/runs.js";
import { beginPass } from "../db/state.js";
import { type FlowState, type PageProgress, addProgress, emptyProgress } from "../model.js";
import type { SyncContext } from "./context.js";
import { ListOrderTracker } from "./list-order.js";
import { Meeting } from "./meeting.js";
import { listPages } from "./page-stream.js";
import { type FullPassStart, completeListing, pageMeta } from "./full-listing.js";
import { PassWriter } from "./pass-writer.js";
import { listFromBothEnds } from "./two-ended.js";

export type { FullPassStart };

export interface PassResult {
  passId: number;
  totals: PageProgress;
}

/** Opens the pass segment: resumes the flow's open full pass at its cursors, or starts one at page one. */
export async function beginFullPass(ctx: SyncContext, state: FlowState, restart: boolean): Promise<FullPassStart> {
  const resume = !restart && state.passKind === "full" && (state.cursor !== null || state.reverseCursor !== null);
  const passId = await ctx.db.transaction(async (tx) => {
    if (!resume) {
      await forgetSeen(tx, state.flowId);
      await forgetPageTokens(tx, state.flowId);
    }
    return beginPass(tx, {
      flowId: state.flowId,
      owner: ctx.owner,
      kind: "full",
      fromFirstPage: !resume,
      resumedFrom: resume ? state.passId : null,
    });
  });
  // A reconcile re-reads what is stored: that count gives progress bars a total and an ETA.
  const expected = state.lastFullPassAt !== null && ctx.observer.passStarted ? await countStoredRuns(ctx.db, state.flowId) : undefined;
  ctx.observer.passStarted?.(state.flowId, "full", resume, expected || undefined);
  return {
    passId,
    resumed: resume,
    restarted: restart,
    forwardToken: resume ? (state.cursor ?? undefined) : undefined,
    reverseToken: resume ? (state.reverseCursor ?? undefined) : undefined,
  };
}

export async function runFullPass(
  ctx: SyncContext,
  state: FlowState,
  start: FullPassStart,
  signal: AbortSignal,
  /** Added to as pages commit, so a pass that fails half way still reports what it wrote. */
  totals: PageProgress = emptyProgress(),
): Promise<PassResult> {
  const { db, settings } = ctx;
  // The seen set finds deletion candidates: only runs stored before the pass can be gone. A first
  // backfill has none, so it need not remember what it saw (a second stream turns it on: meeting.ts).
  const writer = new PassWriter(ctx, state.flowId, start.passId, "full", await hasRunsFromBeforePass(db, state.flowId));
  const twoEnded = settings.twoEndedPages > 0 && state.reverseWorks !== false && !start.restarted;
  if (!twoEnded) {
    await listFromOneEnd(ctx, state, start, writer, signal, totals);
    return { passId: start.passId, totals };
  }
  const meeting = new Meeting(start.resumed ? await readSeenSides(db, state.flowId) : []);
  // A flow known to be large starts its reverse stream after the first page; one of unknown size once
  // it has shown it has that many pages. Either way a flow of one page never costs a reverse request.
  const stored = start.resumed ? 0 : await countStoredRuns(db, state.flowId);
  const reverseAfter = stored >= settings.twoEndedPages * settings.pageSize ? 1 : Math.max(1, settings.twoEndedPages - 1);
  await listFromBothEnds({ ctx, state, start, writer, signal, totals, meeting, reverseAfter });
  return { passId: start.passId, totals };
}

/** The ordinary full pass: one stream, page after page, each written with the cursor to the next. */
async function listFromOneEnd(
  ctx: SyncContext,
  state: FlowState,
  start: FullPassStart,
  writer: PassWriter,
  signal: AbortSignal,
  totals: PageProgress,
): Promise<void> {
  const order = new ListOrderTracker();
  const pages = listPages(ctx.client, state.flowId, { firstToken: start.forwardToken, limit: ctx.settings.pageSize, signal });
  for await (const page of pages) {
    if (signal.aborted) throw new AbortedError("stopped before writing the next page");
    order.observe(page.checked.ordered);
    const cursor = { next: page.nextPageToken ?? null, listOrder: order.order ?? state.listOrder };
    if (page.nextPageToken === undefined) {
      await completeListing(ctx, writer, page, pageMeta(page, cursor), signal, totals);
      return;
    }
    addProgress(totals, await writer.write(page.checked, pageMeta(page, cursor)));
  }
}
