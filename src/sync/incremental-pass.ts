// Incremental pass (DESIGN §5): list newest-first until past the high-water mark, then re-read the runs
// that can still change (pending) and are older than that — by re-listing further or by GET-by-id,
// whichever the stored data says costs fewer requests. A flow with no upstream change costs one request.
import pLimit from "p-limit";
import { AbortedError, LeaseLostError } from "../errors.js";
import { countRunsBetween, markRunDeleted, newestCreatedAt, openRuns } from "../db/runs.js";
import { addPassProgress, beginPass, finishPass } from "../db/state.js";
import type { FlowState, PageProgress } from "./outcome.js";
import type { SyncContext } from "./context.js";
import type { PassResult } from "./full-pass.js";
import { addProgress, emptyProgress } from "./outcome.js";
import { detectListOrder } from "./list-order.js";
import { checkPage, writePage } from "./page-commit.js";
import { type FetchedPage, listPages } from "./page-stream.js";

/** Thrown when the flow cannot be listed newest-first; the caller runs a full pass instead. */
export class NewestFirstUnavailable extends Error {}

const GET_BATCH = 100;

function oldestCreatedAt(page: FetchedPage): number | undefined {
  let oldest: number | undefined;
  for (const r of page.records) {
    const at = Date.parse((r as { createdAt?: unknown })?.createdAt as string);
    if (!Number.isNaN(at) && (oldest === undefined || at < oldest)) oldest = at;
  }
  return oldest;
}

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
  const seenIds = new Set<string>();
  const hwm = await newestCreatedAt(db, flowId);
  const hwmMs = hwm === null ? undefined : Date.parse(hwm);
  // Bird's `reverse` flips the default order; newest-first is the default when the flow lists 'desc'.
  const reverse = state.listOrder === "asc" ? true : undefined;

  const commitListed = async (page: FetchedPage) => {
    if (signal.aborted) throw new AbortedError("stopped before writing the next page");
    if (detectListOrder(page.records) === "asc") {
      throw new NewestFirstUnavailable("the API did not list newest-first; falling back to a full pass");
    }
    for (const r of page.records) {
      const id = (r as { id?: unknown })?.id;
      if (typeof id === "string") seenIds.add(id.toLowerCase());
    }
    const progress = await writePage(db, {
      flowId,
      owner,
      leaseTtlMs: config.leaseTtlMs,
      passId,
      page: checkPage(page.records, page.rawText),
      requests: page.requests,
      pages: 1,
      trackSeen: false,
    });
    addProgress(totals, progress);
    ctx.observer.pageCommitted?.(flowId, "incremental", progress);
  };

  // 1. Newest-first down to just past the high-water mark (the rest of that page is the overlap).
  let coveredFrom: number | undefined;
  let nextToken: string | undefined;
  for await (const page of listPages(ctx.client, flowId, {
    firstToken: undefined,
    limit: config.pageSize,
    reverse,
    signal,
    isLast: (p) => hwmMs !== undefined && (oldestCreatedAt(p) ?? Infinity) < hwmMs,
  })) {
    await commitListed(page);
    coveredFrom = Math.min(coveredFrom ?? Infinity, oldestCreatedAt(page) ?? Infinity);
    nextToken = page.nextPageToken;
  }
  const reachedEnd = nextToken === undefined || !Number.isFinite(coveredFrom);

  // 2. Pending runs can still change upstream. Those at or below what the listing covered are re-read
  //    by listing further or by id, whichever is fewer requests; those inside the covered range that
  //    the listing did not show are read by id, where a 404 proves them deleted.
  const boundary = reachedEnd ? -Infinity : coveredFrom!;
  const open = await openRuns(db, flowId);
  const older = open.filter((r) => Date.parse(r.createdAt) <= boundary);
  if (older.length > 0) {
    const oldestOpen = Date.parse(older[0]!.createdAt);
    const through = new Date(boundary + 1).toISOString();
    const pagesToRelist = Math.ceil((await countRunsBetween(db, flowId, older[0]!.createdAt, through)) / config.pageSize);
    if (pagesToRelist < older.length) {
      for await (const page of listPages(ctx.client, flowId, {
        firstToken: nextToken,
        limit: config.pageSize,
        reverse,
        signal,
        isLast: (p) => (oldestCreatedAt(p) ?? Infinity) < oldestOpen,
      })) {
        await commitListed(page);
      }
    }
  }
  const unseen = open.filter((r) => !seenIds.has(r.id));
  if (unseen.length > 0) addProgress(totals, await refreshById(ctx, flowId, passId, unseen.map((r) => r.id), signal));
  const closed = await db.transaction((tx) => finishPass(tx, { flowId, passId, owner, kind: "incremental", outcome: "completed" }));
  if (!closed) throw new LeaseLostError(`flow ${flowId} was taken over before its incremental pass could complete`);
  return { passId, totals };
}

/** GETs runs by id; 404 means deleted upstream. Written in batches, one transaction each. */
async function refreshById(ctx: SyncContext, flowId: string, passId: number, ids: readonly string[], signal: AbortSignal) {
  const { db, config, owner, client } = ctx;
  const totals = emptyProgress();
  const limit = pLimit(Math.max(1, Math.min(8, config.concurrency)));
  for (let i = 0; i < ids.length; i += GET_BATCH) {
    const batch = ids.slice(i, i + GET_BATCH);
    const meter = { requests: 0 };
    const fetched = await Promise.all(batch.map((id) => limit(async () => ({ id, body: await client.getRun(flowId, id, { signal, meter }) }))));
    if (signal.aborted) throw new AbortedError("stopped before writing fetched runs");
    const bodies = fetched.filter((f) => f.body !== null).map((f) => f.body);
    const gone = fetched.filter((f) => f.body === null).map((f) => f.id);
    const progress = await db.transaction(async (tx) => {
      const p = await writePage(tx, {
        flowId,
        owner,
        leaseTtlMs: config.leaseTtlMs,
        passId,
        page: checkPage(bodies),
        requests: meter.requests,
        pages: 0,
        trackSeen: false,
      });
      for (const id of gone) p.deleted += await markRunDeleted(tx, id);
      if (p.deleted > 0) await addPassProgress(tx, passId, { ...emptyProgress(), deleted: p.deleted });
      return p;
    });
    addProgress(totals, progress);
    ctx.observer.pageCommitted?.(flowId, "incremental", progress);
  }
  return totals;
}

