// Full pass: walks every page in the API's default order, resumable from the committed cursor. A large
// flow is also listed with `reverse=true` at the same time, and the pass stops where the two streams
// meet (meeting.ts). Only when the listing is complete (one stream reached its end, or the two met)
// and began at page one does the pass mark unseen runs deleted, in the transaction of its last page.
import { AbortedError, LeaseLostError } from "../errors.js";
import { forgetPageTokens } from "../db/page-tokens.js";
import { countStoredRuns, forgetSeen, hasRunsFromBeforePass, readSeenSides } from "../db/runs.js";
import { beginPass, completeFullPass, setReverseWorks } from "../db/state.js";
import type { FlowState, PageProgress } from "./outcome.js";
import type { SyncContext } from "./context.js";
import { ListOrderTracker, detectListOrder } from "./list-order.js";
import { Meeting, type Side, reverseHonoured } from "./meeting.js";
import { type PageWrite, writePage } from "./page-commit.js";
import { addProgress, emptyProgress } from "./outcome.js";
import { type FetchedPage, listPages } from "./page-stream.js";
import { Pace } from "./pace.js";
import { proveDeletions } from "./read-by-id.js";

export interface PassResult {
  passId: number;
  totals: PageProgress;
}

export interface FullPassStart {
  passId: number;
  /** Resuming the flow's open pass: where each stream stands (undefined: from its first page / not begun). */
  resumed: boolean;
  /** Restarted after the API rejected a stored token: listed from one end (half the requests per token's life). */
  restarted: boolean;
  forwardToken: string | undefined;
  reverseToken: string | undefined;
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
  const { db, config } = ctx;
  const twoEnded = config.twoEndedPages > 0 && state.reverseWorks !== false && !start.restarted;
  // The seen set proves deletions (only runs stored before the pass can be gone) and, once a second
  // stream starts, the meeting of the two across a restart (TwoStreams turns it on then).
  const trackSeen = await hasRunsFromBeforePass(db, state.flowId);
  const meeting = twoEnded ? new Meeting(start.resumed ? await readSeenSides(db, state.flowId) : []) : undefined;
  // A flow known to be large starts its reverse stream after the first page; one of unknown size once
  // it has shown it has that many pages. Either way a flow of one page never costs a reverse request.
  const stored = twoEnded && !start.resumed ? await countStoredRuns(db, state.flowId) : 0;
  const reverseAfter = stored >= config.twoEndedPages * config.pageSize ? 1 : Math.max(1, config.twoEndedPages - 1);
  const pass = new TwoStreams(ctx, state, start, signal, totals, { trackSeen, meeting, reverseAfter });
  await pass.run();
  return { passId: start.passId, totals };
}

// The reason the streams are stopped with once the pass is complete (their in-flight pages are dropped).
const PASS_COMPLETE = new Error("the full pass is complete");

class TwoStreams {
  private done = false;
  private error: unknown;
  private readonly stopAll = new AbortController();
  private readonly stopReverse = new AbortController();
  private reverse: Promise<void> | undefined;
  private probing = false;
  /** What the reverse stream's first page showed, judged when it arrived. */
  private probe: { honoured: boolean | undefined } | undefined;
  private forwardPages = 0;
  private readonly pagesBySide = { f: 0, r: 0 };
  /** Requests of a page that was not written (the reverse probe): counted with the next page. */
  private carried = 0;
  private writes: Promise<unknown> = Promise.resolve();
  private readonly order = new ListOrderTracker();
  private readonly pace = new Pace();
  private trackSeen: boolean;

  constructor(
    private readonly ctx: SyncContext,
    private readonly state: FlowState,
    private readonly start: FullPassStart,
    private readonly signal: AbortSignal,
    private readonly totals: PageProgress,
    private readonly opts: { trackSeen: boolean; meeting: Meeting | undefined; reverseAfter: number },
  ) {
    this.trackSeen = opts.trackSeen;
  }

  async run(): Promise<void> {
    if (this.opts.meeting && this.start.reverseToken !== undefined) this.startReverse(this.start.reverseToken);
    await this.drive("f", this.start.forwardToken);
    await this.reverse;
    if (this.error !== undefined) throw this.error;
    if (!this.done) throw new AbortedError("the listing ended before the pass completed");
  }

  /** Lists one stream; never throws (a failure stops both streams and is rethrown by run()). */
  private async drive(side: Side, token: string | undefined): Promise<void> {
    const stop = side === "r" ? AbortSignal.any([this.stopAll.signal, this.stopReverse.signal]) : this.stopAll.signal;
    const signal = AbortSignal.any([this.signal, stop]);
    let from = token;
    try {
      for (;;) {
        const pages = listPages(this.ctx.client, this.state.flowId, {
          firstToken: from,
          limit: this.ctx.config.pageSize,
          reverse: side === "r" ? true : undefined,
          signal,
          isLast: (page) => this.endsHere(side, page),
        });
        let last: FetchedPage | undefined;
        let asked = performance.now();
        for await (const page of pages) {
          const arrived = performance.now();
          last = page;
          const next = this.writes.then(() => this.take(side, page));
          this.writes = next.catch(() => undefined);
          if (!(await next)) return;
          if (side === "f") this.pace.note(arrived - asked, performance.now() - arrived);
          asked = performance.now();
        }
        // The page was expected to end the pass and did not (rare): list on from where it stopped.
        if (last?.nextPageToken === undefined) return;
        from = last.nextPageToken;
      }
    } catch (err) {
      if (this.done || this.error !== undefined || (stop.aborted && !this.signal.aborted)) return;
      this.error = err;
      this.stopAll.abort(err);
    }
  }

  /**
   * Whether the stream need not fetch the page after this one (it arrived; not yet written): the pass is
   * over, the reverse probe failed, or this page will make the streams meet. A wrong "no" costs a request.
   */
  private endsHere(side: Side, page: FetchedPage): boolean {
    const meeting = this.opts.meeting;
    if (this.done || this.error !== undefined) return true;
    if (!meeting || (side === "f" && !this.reverse)) return false;
    const { listedIds: ids, ordered } = page.checked;
    if (side === "r" && this.probing && this.probe === undefined) {
      this.probe = { honoured: reverseHonoured(meeting, ids, detectListOrder(ordered)) };
      if (this.probe.honoured !== true) return true;
    }
    return meeting.wouldMeet(side, ids, ordered);
  }

  /** Writes one page of one stream (one at a time); false when this stream should list no further. */
  private async take(side: Side, page: FetchedPage): Promise<boolean> {
    if (this.done || this.error !== undefined || (side === "r" && this.stopReverse.signal.aborted)) return false;
    if (this.signal.aborted) throw new AbortedError("stopped before writing the next page");
    const { checked } = page;
    const meeting = this.opts.meeting;
    if (side === "r" && this.probing && meeting) {
      this.probing = false;
      const honoured = this.probe?.honoured;
      if (honoured !== true) {
        this.carried += page.requests;
        await this.endReverse(honoured === false ? "same-order" : "empty");
        return false;
      }
      await setReverseWorks(this.ctx.db, this.state.flowId, true);
    }
    const met = meeting?.add(side, checked.listedIds, checked.ordered) ?? false;
    const complete = met || page.nextPageToken === undefined;
    if (side === "f") this.order.observe(checked.ordered);
    const write: PageWrite = {
      flowId: this.state.flowId,
      owner: this.ctx.owner,
      leaseTtlMs: this.ctx.config.leaseTtlMs,
      passId: this.start.passId,
      page: checked,
      requests: page.requests + this.carried,
      pages: 1,
      trackSeen: this.trackSeen,
      pageToken: page.token === undefined ? undefined : { token: page.token, reverse: side === "r" },
      cursor: {
        next: page.nextPageToken ?? null,
        listOrder: side === "f" ? (this.order.order ?? this.state.listOrder) : null,
        side: meeting ? side : undefined,
      },
    };
    this.carried = 0;
    await this.commit(write, complete);
    this.pagesBySide[side]++;
    if (complete) {
      this.done = true;
      this.stopAll.abort(PASS_COMPLETE);
      if (this.reverse) this.ctx.logger.info({ flowId: this.state.flowId, ...this.pagesBySide, met }, "two-ended full pass complete");
      return false;
    }
    if (meeting) await this.afterPage(side, meeting, page);
    return !(side === "r" && this.stopReverse.signal.aborted);
  }

  private async commit(write: PageWrite, complete: boolean): Promise<void> {
    const { db, owner } = this.ctx;
    const flowId = this.state.flowId;
    const passId = this.start.passId;
    // The listing is complete and began at page one (a resumed pass kept its start and its seen set):
    // what it did not show is proven gone or live by GET before the last page completes the pass.
    if (complete) {
      const proof = await proveDeletions(
        this.ctx,
        { flowId, passId, kind: "full", signal: this.signal, trackSeen: true },
        write.page.listedIds,
      );
      addProgress(this.totals, proof);
    }
    const progress = complete
      ? await writePage(db, write, async (tx) => {
          if (!(await completeFullPass(tx, flowId, passId, owner))) {
            throw new LeaseLostError(`flow ${flowId} was taken over before its full pass could complete`);
          }
        })
      : await writePage(db, write);
    addProgress(this.totals, progress);
    this.ctx.observer.pageCommitted?.(flowId, "full", progress);
    this.ctx.logger.debug({ flowId, passId, side: write.cursor?.side, ...progress, next: write.cursor?.next !== null }, "page committed");
  }

  /** After a page of a two-ended pass: stop a reverse stream whose order proves nothing, or start one. */
  private async afterPage(side: Side, meeting: Meeting, page: FetchedPage): Promise<void> {
    const doubt = meeting.untrusted;
    if (doubt && this.reverse && !this.stopReverse.signal.aborted) await this.endReverse(doubt);
    if (side !== "f") return;
    this.forwardPages++;
    if (this.reverse || this.start.resumed || page.nextPageToken === undefined || this.forwardPages < this.opts.reverseAfter) return;
    if (this.ctx.config.twoEndedWhenWaiting && !this.pace.waitsOnApi) return;
    this.probing = true;
    this.ctx.logger.info(
      { flowId: this.state.flowId, afterPages: this.forwardPages, ...this.pace.averages() },
      "large flow: listing it from both ends",
    );
    this.startReverse(undefined);
  }

  private startReverse(token: string | undefined): void {
    // Ids listed from here on go to the seen set with their side. Those the default stream listed
    // before may be missing after a restart: that can hide a meeting (the streams list on to an
    // end), never fake one.
    this.trackSeen = true;
    this.reverse = this.drive("r", token);
  }

  /** The default stream lists on alone; "same-order" is remembered so later passes do not probe again. */
  private async endReverse(why: "same-order" | "mixed" | "empty"): Promise<void> {
    this.stopReverse.abort(new Error(`reverse stream stopped: ${why}`));
    const flowId = this.state.flowId;
    if (why === "same-order") await setReverseWorks(this.ctx.db, flowId, false);
    this.ctx.logger.info(
      { flowId, why },
      why === "same-order" ? "the API ignores reverse for this flow; listing from one end" : "reverse stream stopped; listing from one end",
    );
  }
}
