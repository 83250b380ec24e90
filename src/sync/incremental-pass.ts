// Incremental pass (DESIGN §5): list newest-first until past the high-water mark, then re-read the runs
// that can still change (pending) and are older than that — by re-listing further or by GET-by-id,
// whichever the stored data says costs fewer requests. A flow with no upstream change costs one request.
//
// Exactness rule 4: the listing stops early only once it has itself shown newest-first order (never
// contradicted) and gone below a watermark that no future-dated run can raise. When in doubt it lists on.
import pLimit from "p-limit";
import { AbortedError, LeaseLostError } from "../errors.js";
import { type OpenRun, countRunsBetween, markRunDeleted, openRuns, watermark } from "../db/runs.js";
import { addPassProgress, beginPass, finishPass } from "../db/state.js";
import type { FlowState, PageProgress } from "./outcome.js";
import type { SyncContext } from "./context.js";
import type { PassResult } from "./full-pass.js";
import { addProgress, emptyProgress } from "./outcome.js";
import { ListOrderTracker, oldestInstant } from "./list-order.js";
import { checkPage, writePage } from "./page-commit.js";
import { type FetchedPage, listPages } from "./page-stream.js";

/** Thrown when the flow cannot be listed newest-first; the caller runs a full pass instead. */
export class NewestFirstUnavailable extends Error {}

const GET_BATCH = 100;

export async function runIncrementalPass(
  ctx: SyncContext,
  state: FlowState,
  signal: AbortSignal,
  totals: PageProgress = emptyProgress(),
): Promise<PassResult> {
  const { db, config, owner } = ctx;
  const flowId = state.flowId;
  if (state.listOrder === null) throw new NewestFirstUnavailable("list order of the flow is not known yet");
  const passId = await db.transaction((tx) => beginPass(tx, { flowId, owner, kind: "incremental", fromFirstPage: true, resumedFrom: null }));
  ctx.observer.passStarted?.(flowId, "incremental", false);
  const listedIds = new Set<string>();
  const hwm = await watermark(db, flowId);
  const hwmMs = hwm === null ? undefined : Date.parse(hwm);
  // Bird's `reverse` flips the default order; newest-first is the default when the flow lists 'desc'.
  const reverse = state.listOrder === "asc" ? true : undefined;

  const commitListed = async (page: FetchedPage) => {
    if (signal.aborted) throw new AbortedError("stopped before writing the next page");
    const checked = checkPage(page.records, page.texts);
    for (const id of checked.listedIds) listedIds.add(id);
    const progress = await writePage(db, {
      flowId,
      owner,
      leaseTtlMs: config.leaseTtlMs,
      passId,
      page: checked,
      requests: page.requests,
      pages: 1,
      trackSeen: false,
    });
    addProgress(totals, progress);
    ctx.observer.pageCommitted?.(flowId, "incremental", progress);
  };

  // 1. Newest-first down to just past the high-water mark (the rest of that page is the overlap).
  const order = new ListOrderTracker();
  const belowWatermark = (p: FetchedPage, below: number | undefined) => {
    order.observe(p.records);
    return below !== undefined && order.order === "desc" && (oldestInstant(p.records) ?? Infinity) < below;
  };
  let coveredFrom = Infinity;
  let nextToken: string | undefined;
  for await (const page of listPages(ctx.client, flowId, { firstToken: undefined, limit: config.pageSize, reverse, signal, isLast: (p) => belowWatermark(p, hwmMs) })) {
    await commitListed(page);
    coveredFrom = Math.min(coveredFrom, oldestInstant(page.records) ?? Infinity);
    nextToken = page.nextPageToken;
  }
  // The listing reached its end unless it stopped early on proof of order and watermark.
  const reachedEnd = nextToken === undefined || order.order !== "desc" || !Number.isFinite(coveredFrom);

  // 2. Pending runs can still change upstream. Those at or below what the listing covered are re-read
  //    by listing further or by id, whichever is fewer requests; those inside the covered range that
  //    the listing did not show are read by id, where a 404 proves them deleted.
  const open = await openRuns(db, flowId);
  if (!reachedEnd) await relistOlderOpenRuns(ctx, flowId, open, coveredFrom, nextToken, reverse, signal, commitListed);
  const unseen = open.filter((r) => !listedIds.has(r.id));
  if (unseen.length > 0) addProgress(totals, await refreshById(ctx, flowId, passId, unseen, signal));
  const closed = await db.transaction((tx) => finishPass(tx, { flowId, passId, owner, kind: "incremental", outcome: "completed" }));
  if (!closed) throw new LeaseLostError(`flow ${flowId} was taken over before its incremental pass could complete`);
  return { passId, totals };
}

/** Lists on from where the first listing stopped when that is cheaper than GETting the open runs below it. */
async function relistOlderOpenRuns(
  ctx: SyncContext,
  flowId: string,
  open: readonly OpenRun[],
  coveredFrom: number,
  nextToken: string | undefined,
  reverse: boolean | undefined,
  signal: AbortSignal,
  commitListed: (page: FetchedPage) => Promise<void>,
): Promise<void> {
  const older = open.filter((r) => Date.parse(r.createdAt) <= coveredFrom);
  if (older.length === 0) return;
  const oldestOpen = Date.parse(older[0]!.createdAt);
  const through = new Date(coveredFrom + 1).toISOString();
  const pagesToRelist = Math.ceil((await countRunsBetween(ctx.db, flowId, older[0]!.createdAt, through)) / ctx.config.pageSize);
  if (pagesToRelist >= older.length) return;
  const order = new ListOrderTracker();
  for await (const page of listPages(ctx.client, flowId, {
    firstToken: nextToken,
    limit: ctx.config.pageSize,
    reverse,
    signal,
    isLast: (p) => {
      order.observe(p.records);
      return order.order !== "asc" && (oldestInstant(p.records) ?? Infinity) < oldestOpen;
    },
  })) {
    await commitListed(page);
  }
}

/** GETs runs by the id Bird sent; 404 proves one deleted. Written in batches, one transaction each. */
async function refreshById(ctx: SyncContext, flowId: string, passId: number, runs: readonly OpenRun[], signal: AbortSignal) {
  const { db, config, owner, client } = ctx;
  const totals = emptyProgress();
  const limit = pLimit(Math.max(1, Math.min(8, config.concurrency)));
  for (let i = 0; i < runs.length; i += GET_BATCH) {
    const batch = runs.slice(i, i + GET_BATCH);
    const meter = { requests: 0 };
    const fetched = await Promise.all(batch.map((run) => limit(async () => ({ run, answer: await client.getRun(flowId, run.apiId, { signal, meter }) }))));
    if (signal.aborted) throw new AbortedError("stopped before writing fetched runs");
    const found = fetched.flatMap((f) => (f.answer === null ? [] : [f.answer]));
    const gone = fetched.filter((f) => f.answer === null).map((f) => f.run.id);
    const write = {
      flowId,
      owner,
      leaseTtlMs: config.leaseTtlMs,
      passId,
      page: checkPage(
        found.map((a) => a.record),
        found.map((a) => a.text),
      ),
      requests: meter.requests,
      pages: 0,
      trackSeen: false,
    };
    const progress = await writePage(db, write, async (tx, p) => {
      for (const id of gone) p.deleted += await markRunDeleted(tx, flowId, id);
      if (p.deleted > 0) await addPassProgress(tx, passId, { ...emptyProgress(), deleted: p.deleted });
    });
    addProgress(totals, progress);
    ctx.observer.pageCommitted?.(flowId, "incremental", progress);
  }
  return totals;
}
