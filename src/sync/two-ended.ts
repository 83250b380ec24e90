// Two-ended listing, the strategy a full pass uses for a large flow: the default stream and a
// `reverse=true` stream page at once, and the pass ends where they meet (meeting.ts says when that is
// proven). The reverse stream starts only once the flow has shown it is large and, against a fast API,
// only while the default stream waits on the API longer than it writes (pace.ts). Writes are
// serialised: one page at a time, whichever stream brought it. A reverse stream whose first page shows
// `reverse` ignored is stopped, and remembered (`sync_state.reverse_works`), so later passes don't probe.
import { AbortedError } from "../errors.js";
import { setReverseWorks } from "../db/state.js";
import { type FlowState, type PageProgress, addProgress } from "../model.js";
import type { SyncContext } from "./context.js";
import { type FullPassStart, completeListing, pageMeta } from "./full-listing.js";
import { ListOrderTracker, detectListOrder } from "./list-order.js";
import { type Meeting, type Side, reverseHonoured } from "./meeting.js";
import { type FetchedPage, listPages } from "./page-stream.js";
import type { PassWriter } from "./pass-writer.js";
import { Pace } from "./pace.js";

export interface TwoEndedPass {
  ctx: SyncContext;
  state: FlowState;
  start: FullPassStart;
  writer: PassWriter;
  signal: AbortSignal;
  totals: PageProgress;
  meeting: Meeting;
  /** Forward pages listed before the reverse stream may start. */
  reverseAfter: number;
}

export async function listFromBothEnds(pass: TwoEndedPass): Promise<void> {
  await new TwoStreams(pass).run();
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
  private readonly ctx: SyncContext;
  private readonly state: FlowState;
  private readonly start: FullPassStart;
  private readonly signal: AbortSignal;
  private readonly meeting: Meeting;

  constructor(private readonly pass: TwoEndedPass) {
    ({ ctx: this.ctx, state: this.state, start: this.start, signal: this.signal, meeting: this.meeting } = pass);
  }

  async run(): Promise<void> {
    if (this.start.reverseToken !== undefined) this.startReverse(this.start.reverseToken);
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
          limit: this.ctx.settings.pageSize,
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
    const meeting = this.meeting;
    if (this.done || this.error !== undefined) return true;
    if (side === "f" && !this.reverse) return false;
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
    const meeting = this.meeting;
    if (side === "r" && this.probing) {
      this.probing = false;
      const honoured = this.probe?.honoured;
      if (honoured !== true) {
        this.carried += page.requests;
        await this.endReverse(honoured === false ? "same-order" : "empty");
        return false;
      }
      await setReverseWorks(this.ctx.db, this.state.flowId, true);
    }
    // Runs near the meeting are listed by both streams: "runs seen" counts each once (issue 24).
    const again = checked.listedIds.length - meeting.countNew(checked.listedIds);
    const met = meeting.add(side, checked.listedIds, checked.ordered);
    const complete = met || page.nextPageToken === undefined;
    if (side === "f") this.order.observe(checked.ordered);
    const cursor = { next: page.nextPageToken ?? null, listOrder: side === "f" ? (this.order.order ?? this.state.listOrder) : null, side };
    const meta = pageMeta(page, cursor, side === "r", this.carried);
    this.carried = 0;
    const { ctx, pass } = this;
    const counted = again === 0 ? page : { ...page, checked: { ...checked, seen: checked.seen - again } };
    if (complete) await completeListing(ctx, pass.writer, counted, meta, this.signal, pass.totals);
    else addProgress(pass.totals, await pass.writer.write(counted.checked, meta));
    this.pagesBySide[side]++;
    if (complete) {
      this.done = true;
      this.stopAll.abort(PASS_COMPLETE);
      if (this.reverse) ctx.logger.info({ flowId: this.state.flowId, ...this.pagesBySide, met }, "two-ended full pass complete");
      return false;
    }
    await this.afterPage(side, meeting, page);
    return !(side === "r" && this.stopReverse.signal.aborted);
  }

  /** After a page of a two-ended pass: stop a reverse stream whose order proves nothing, or start one. */
  private async afterPage(side: Side, meeting: Meeting, page: FetchedPage): Promise<void> {
    const doubt = meeting.untrusted;
    if (doubt && this.reverse && !this.stopReverse.signal.aborted) await this.endReverse(doubt);
    if (side !== "f") return;
    this.forwardPages++;
    if (this.reverse || this.start.resumed || page.nextPageToken === undefined || this.forwardPages < this.pass.reverseAfter) return;
    if ((this.ctx.secondStreamOnlyWhenWaiting ?? true) && !this.pace.waitsOnApi) return;
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
    this.pass.writer.trackSeen = true;
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
