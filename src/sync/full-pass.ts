// Full pass: walks every page in the API's default order, resumable from the committed cursor.
// Only when it reaches the last page of a listing that began at page one does it mark unseen runs deleted.
import { AbortedError } from "../errors.js";
import { forgetPageTokens } from "../db/page-tokens.js";
import { countStoredRuns, forgetSeen, hasRunsFromBeforePass } from "../db/runs.js";
import { beginPass, completeFullPass } from "../db/state.js";
import type { FlowState, ListOrder, PageProgress } from "./outcome.js";
import type { SyncContext } from "./context.js";
import { ListOrderTracker } from "./list-order.js";
import { checkPage, writePage } from "./page-commit.js";
import { addProgress, emptyProgress } from "./outcome.js";
import { listPages } from "./page-stream.js";

export interface PassResult {
  passId: number;
  totals: PageProgress;
}

/** Opens the pass segment: resumes the flow's open full pass at its cursor, or starts one at page one. */
export async function beginFullPass(
  ctx: SyncContext,
  state: FlowState,
  restart: boolean,
): Promise<{ passId: number; firstToken: string | undefined }> {
  const resume = !restart && state.passKind === "full" && state.cursor !== null;
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
  return { passId, firstToken: resume ? (state.cursor ?? undefined) : undefined };
}

export async function runFullPass(
  ctx: SyncContext,
  state: FlowState,
  passId: number,
  firstToken: string | undefined,
  signal: AbortSignal,
  /** Added to as pages commit, so a pass that fails half way still reports what it wrote. */
  totals: PageProgress = emptyProgress(),
): Promise<PassResult> {
  const { db, config, owner, logger } = ctx;
  const flowId = state.flowId;
  const order = new ListOrderTracker();
  const trackSeen = await hasRunsFromBeforePass(db, flowId);
  for await (const page of listPages(ctx.client, flowId, { firstToken, limit: config.pageSize, signal })) {
    if (signal.aborted) throw new AbortedError("stopped before writing the next page");
    order.observe(page.records);
    const listOrder: ListOrder | null = order.order ?? state.listOrder;
    const write = {
      flowId,
      owner,
      leaseTtlMs: config.leaseTtlMs,
      passId,
      page: checkPage(page.records, page.texts),
      requests: page.requests,
      pages: 1,
      trackSeen,
      pageToken: page.token === undefined ? undefined : { token: page.token, reverse: false },
      cursor: { next: page.nextPageToken ?? null, listOrder },
    };
    const progress =
      page.nextPageToken !== undefined
        ? await writePage(db, write)
        : // The listing is complete and began at page one (a resumed pass kept its start and its seen set).
          await writePage(db, write, async (tx, p) => {
            p.deleted = await completeFullPass(tx, flowId, passId, owner);
          });
    addProgress(totals, progress);
    ctx.observer.pageCommitted?.(flowId, "full", progress);
    logger.debug({ flowId, passId, ...progress, next: page.nextPageToken !== undefined }, "page committed");
  }
  return { passId, totals };
}
