// Incremental pass (DESIGN §5): list newest-first until past the high-water mark, then re-read the runs
// that can still change (pending) and are older than that — by re-listing further or by GET-by-id,
// whichever the stored data says costs fewer requests. A flow with no upstream change costs one request.
//
// Exactness rule 4: the listing stops early only once it has itself shown newest-first order (never
// contradicted) and gone below a watermark that no future-dated run can raise. When in doubt it lists on.
import { AbortedError, LeaseLostError, PageTokenRejectedError } from "../errors.js";
import { type StoredPage, recordTokenReuse, storedPages, tokenRecord } from "../db/page-tokens.js";
import { countRunsBetween, dueOpenRuns, requestsInLastHour, watermark } from "../db/runs.js";
import { organizationKey } from "../uuid.js";
import { beginPass, finishPass, recordRecheck } from "../db/state.js";
import { type FlowState, type PageProgress, addProgress, emptyProgress } from "../model.js";
import type { SyncContext } from "./context.js";
import type { PassResult } from "./full-pass.js";
import { ListOrderTracker, listsOlderThan, oldestInstant } from "./list-order.js";
import { PassWriter } from "./pass-writer.js";
import { readRunsById } from "./read-by-id.js";
import { instantUs } from "../bird/date-time.js";
import { planRecheck } from "./recheck-plan.js";
import { type FetchedPage, listPages } from "./page-stream.js";

// A listing newest-first plus up to two confirmations when it spans pages (see runIncrementalPass).
const MAX_LISTINGS = 3;

/** Thrown when the flow cannot be listed newest-first; the caller runs a full pass instead. */
export class NewestFirstUnavailable extends Error {}

export async function runIncrementalPass(
  ctx: SyncContext,
  state: FlowState,
  signal: AbortSignal,
  totals: PageProgress = emptyProgress(),
): Promise<PassResult> {
  const { db, owner } = ctx;
  const flowId = state.flowId;
  if (state.listOrder === null) throw new NewestFirstUnavailable("list order of the flow is not known yet");
  const passId = await db.transaction((tx) =>
    beginPass(tx, { flowId, owner, kind: "incremental", fromFirstPage: true, resumedFrom: null }),
  );
  ctx.observer.passStarted?.(flowId, "incremental", false);
  const writer = new PassWriter(ctx, flowId, passId, "incremental", false);
  const listedIds = new Set<string>();
  const hwm = await watermark(db, flowId);
  // Bird's `reverse` flips the default order; newest-first is the default when the flow lists 'desc'.
  const reverse = state.listOrder === "asc" ? true : undefined;

  const quarantined = new Set<string>();
  const commitListed = async (page: FetchedPage) => {
    if (signal.aborted) throw new AbortedError("stopped before writing the next page");
    // A run listed again in this pass (a confirming listing, a page that slid) is counted once.
    const again = page.checked.listedIds.filter((id) => listedIds.has(id)).length;
    const checked = {
      ...page.checked,
      seen: page.checked.seen - again,
      rejects: page.checked.rejects.filter((r) => !quarantined.has(r.fingerprint)),
    };
    for (const id of checked.listedIds) listedIds.add(id);
    for (const r of checked.rejects) quarantined.add(r.fingerprint);
    addProgress(totals, await writer.write(checked, { requests: page.requests, pages: 1, read: page.read }));
  };

  const listNewestFirst = () => listNewest(ctx, flowId, hwm === null ? undefined : instantUs(hwm), reverse, signal, commitListed);
  const listing = await listUntilSteady(ctx, flowId, listNewestFirst, listedIds);
  await recheckDue(ctx, { flowId, passId, writer, listing, listedIds, reverse, signal, commitListed, totals });
  const closed = await db.transaction((tx) => finishPass(tx, { flowId, passId, owner, kind: "incremental", outcome: "completed" }));
  if (!closed) throw new LeaseLostError(`flow ${flowId} was taken over before its incremental pass could complete`);
  return { passId, totals };
}

/**
 * Tokens may be offsets (exactness rule 7): a run deleted above the cursor between two page requests
 * slides the run after it onto the page already read, and the listing never shows it. Only a listing of
 * more than one page has such a seam, and only one that stops at the watermark would not come back to
 * it, so only then is it listed once more (unchanged runs write nothing), until a listing brings no run
 * the pass had not seen, at most MAX_LISTINGS times.
 */
async function listUntilSteady(ctx: SyncContext, flowId: string, listOnce: () => Promise<Listing>, listedIds: ReadonlySet<string>) {
  let listing = await listOnce();
  // A listing that cannot go newest-first lists the whole flow on every pass: the next one shows what this one slid past.
  for (let round = 1; listing.pages > 1 && listing.newestFirst && round < MAX_LISTINGS; round++) {
    const known = listedIds.size;
    const again = await listOnce();
    listing = { ...again, coveredFrom: Math.min(listing.coveredFrom, again.coveredFrom) };
    if (listedIds.size === known) break;
    ctx.logger.warn(
      { flowId, found: listedIds.size - known },
      "listing newest-first again showed runs the first listing skipped (unstable paging)",
    );
  }
  return listing;
}

interface Listing {
  pages: number;
  /** The listing showed newest-first order, so it may stop at the watermark (else it lists everything). */
  newestFirst: boolean;
  /** The oldest createdAt the listing showed, in ms (Infinity: none). */
  coveredFrom: number;
  /** Where the listing stopped (undefined: at its end). */
  nextToken: string | undefined;
  reachedEnd: boolean;
}

/** 1. Newest-first down to just past the high-water mark (the rest of that page is the overlap). */
async function listNewest(
  ctx: SyncContext,
  flowId: string,
  hwmUs: number | undefined,
  reverse: boolean | undefined,
  signal: AbortSignal,
  commitListed: (page: FetchedPage) => Promise<void>,
): Promise<Listing> {
  const order = new ListOrderTracker();
  const belowWatermark = (p: FetchedPage) => {
    order.observe(p.checked.ordered);
    return hwmUs !== undefined && order.order === "desc" && listsOlderThan(p.checked.ordered, hwmUs);
  };
  let coveredFrom = Infinity;
  let nextToken: string | undefined;
  let pageCount = 0;
  const pages = listPages(ctx.client, flowId, {
    firstToken: undefined,
    limit: ctx.settings.pageSize,
    reverse,
    signal,
    isLast: belowWatermark,
  });
  for await (const page of pages) {
    await commitListed(page);
    pageCount++;
    coveredFrom = Math.min(coveredFrom, oldestInstant(page.checked.ordered) ?? Infinity);
    nextToken = page.nextPageToken;
  }
  // The listing reached its end unless it stopped early on proof of order and watermark.
  const reachedEnd = nextToken === undefined || order.order !== "desc" || !Number.isFinite(coveredFrom);
  return { pages: pageCount, newestFirst: order.order === "desc", coveredFrom, nextToken, reachedEnd };
}

interface Recheck {
  flowId: string;
  passId: number;
  writer: PassWriter;
  listing: Listing;
  /** What the pass has listed so far: those runs are fresh already. */
  listedIds: ReadonlySet<string>;
  reverse: boolean | undefined;
  signal: AbortSignal;
  commitListed: (page: FetchedPage) => Promise<void>;
  totals: PageProgress;
}

/** 2. Pending runs can still change upstream: re-read the due ones the listing did not show. */
async function recheckDue(ctx: SyncContext, c: Recheck): Promise<void> {
  const { db, settings } = ctx;
  const { flowId, listing, listedIds } = c;
  const tokens = await tokenRecord(db, flowId);
  // The cost model: once Bird has refused stored tokens more often than it took them, GET instead.
  const trustTokens = tokens.refusals < 3 || tokens.reuses >= tokens.refusals;
  const plan = await planRecheck({
    due: (await dueOpenRuns(db, flowId, settings.recheckFactor)).filter((r) => !listedIds.has(r.id)),
    storedPages: trustTokens ? await storedPages(db, flowId) : [],
    allowance: await recheckAllowance(ctx),
    coveredFrom: listing.coveredFrom,
    reachedEnd: listing.reachedEnd,
    pagesDownTo: async (createdUs) => {
      const n = await countRunsBetween(db, flowId, createdUs, (listing.coveredFrom + 1) * 1000);
      return Math.ceil(n / settings.pageSize);
    },
  });
  if (plan.relistDownTo !== undefined) {
    await relistDownTo(ctx, flowId, plan.relistDownTo, listing.nextToken, c.reverse, c.signal, c.commitListed);
  }
  if (plan.tokenPages.length > 0) await relistStoredPages(ctx, flowId, plan.tokenPages, c.signal, c.commitListed);
  const unseen = plan.runs.filter((r) => !listedIds.has(r.id));
  if (unseen.length > 0) {
    const read = await readRunsById(ctx, unseen, { flowId, writer: c.writer, signal: c.signal });
    addProgress(c.totals, read.totals);
  }
  const debtBefore = await recordRecheck(db, flowId, c.passId, plan.runs.length, plan.debt);
  if (plan.debt > debtBefore) {
    ctx.logger.warn(
      { flowId, debt: plan.debt, budget: settings.maxRequestsPerHour },
      "recheck debt grew: pending runs due for a re-read wait for request budget",
    );
  }
}

/** Requests this flow may spend on re-checks now: its share of what SYNC_MAX_REQUESTS_PER_HOUR has left. */
async function recheckAllowance(ctx: SyncContext): Promise<number> {
  const budget = ctx.settings.maxRequestsPerHour;
  if (budget === undefined) return Infinity;
  const { used, flows } = await requestsInLastHour(ctx.db, organizationKey(ctx.settings.organizationId));
  return Math.max(0, budget - used) / Math.max(1, flows);
}

/** Re-lists single pages from tokens a full listing stored; a token Bird refuses is dropped (its runs are GET). */
async function relistStoredPages(
  ctx: SyncContext,
  flowId: string,
  pages: readonly StoredPage[],
  signal: AbortSignal,
  commitListed: (page: FetchedPage) => Promise<void>,
): Promise<void> {
  const refused: string[] = [];
  let reused = 0;
  for (const stored of pages) {
    try {
      const only = {
        firstToken: stored.token,
        limit: ctx.settings.pageSize,
        reverse: stored.reverse ? true : undefined,
        signal,
        isLast: () => true,
      };
      for await (const page of listPages(ctx.client, flowId, only)) await commitListed(page);
      reused++;
    } catch (err) {
      if (!(err instanceof PageTokenRejectedError)) throw err;
      refused.push(stored.token);
    }
  }
  const record = await recordTokenReuse(ctx.db, flowId, reused, refused);
  ctx.logger.debug({ flowId, reused, refused: refused.length, ...record }, "re-listed stretches from stored page tokens");
}

/** Lists on from where the first listing stopped, down past a createdAt (cheaper than GETs there). */
async function relistDownTo(
  ctx: SyncContext,
  flowId: string,
  oldestUs: number,
  nextToken: string | undefined,
  reverse: boolean | undefined,
  signal: AbortSignal,
  commitListed: (page: FetchedPage) => Promise<void>,
): Promise<void> {
  const order = new ListOrderTracker();
  for await (const page of listPages(ctx.client, flowId, {
    firstToken: nextToken,
    limit: ctx.settings.pageSize,
    reverse,
    signal,
    isLast: (p) => {
      order.observe(p.checked.ordered);
      return order.order !== "asc" && listsOlderThan(p.checked.ordered, oldestUs);
    },
  })) {
    await commitListed(page);
  }
}
