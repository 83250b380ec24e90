// Every request to one Bird API passes this gate: the rate cap (BIRD_MAX_RPS) drawn from a budget the
// whole fleet shares (request-budget.ts), a shared pause when any response carries Retry-After (Bird:
// a 429'd request was not processed), an adaptive slowdown after 429s, and one-at-a-time requests
// until the access key is proven good, so a wrong key costs one request, not one per flow.
//
// A pause longer than SYNC_MAX_RETRY_AFTER is not waited out (issue 20): while it lasts, every request
// fails at once with the error that started it, so no flow burns a request into the same 429 and a
// one-shot sync ends instead of holding the process for an hour.
//
// After a 429 the gate also turns cautious for a while: one request in flight at a time. Requests
// already on the wire when a 429 is sent cannot know about its Retry-After; with one at a time there
// are none, so no request reaches the API before a Retry-After has run out.
//
// The slots space the moments requests are let go; what the API counts is when they arrive, later and
// not always equally later. A request also waits until fewer than the cap of this process's requests
// may arrive within the same second (arrival-window.ts), so a stall on the way cannot bunch them.
import { setTimeout as sleep } from "node:timers/promises";
import { type AuthError, RateLimitedError } from "../errors.js";
import { ArrivalWindow } from "./arrival-window.js";
import { type BudgetStore, type ClaimSize, LocalBudgetStore, RequestSlots, SLOT_LATE_MS } from "./request-budget.js";

// How long after the last 429 requests go one at a time.
const CAUTIOUS_MS = 10_000;
// Slots are this much further apart than 1 s / BIRD_MAX_RPS (ms per second): cap-many slots span a
// little more than a second, for requests that reach the API later after their slot than others (a new
// connection, a process descheduled for a moment: measured up to ~30 ms on a loaded 2-core machine).
// It costs 5 % of the cap (47.6 requests/s at 50).
const WINDOW_MARGIN_MS = 50;

/** 300000 -> "5m": a duration the way SYNC_* settings are written. */
function durationSetting(ms: number): string {
  for (const [unit, size] of [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

export class RequestGate {
  private pauseUntil = 0;
  private rateFactor = 1;
  private keyState: "unknown" | "probing" | "good" = "unknown";
  private authFailure: AuthError | undefined;
  private probeWaiters: Array<() => void> = [];
  private inFlight = 0;
  /** Requests between acquire() and release(): what the next claim of slots is sized for. */
  private going = 0;
  private cautiousUntil = 0;
  private idleWaiters: Array<() => void> = [];
  private readonly arrivals = new ArrivalWindow();
  /** Moving average of answered requests' latency (ms); undefined until one is answered. */
  private latency: number | undefined;
  private readonly slots: RequestSlots;

  /** What every request throws while a pause beyond maxPauseMs lasts. */
  private longPause: RateLimitedError | undefined;

  constructor(
    private readonly maxRps: number,
    /** The longest pause requests wait out (SYNC_MAX_RETRY_AFTER); a longer one fails them. */
    private readonly maxPauseMs = Number.POSITIVE_INFINITY,
    /** Where the cap's slots come from: the fleet's budget in PostgreSQL, or this process alone. */
    private readonly budget: BudgetStore = new LocalBudgetStore(),
  ) {
    this.slots = new RequestSlots(budget, (until) => this.pauseLocally(until - Date.now()));
  }

  /** An answer took this long (from send to answer): feeds the latency the cap is sized against. */
  recordLatency(ms: number): void {
    this.arrivals.roundTrip(ms);
    this.latency = this.latency === undefined ? ms : this.latency * 0.8 + ms * 0.2;
  }

  get latencyMs(): number | undefined {
    return this.latency;
  }

  /**
   * How many flows to work at once so the requests in flight can keep this process's share of
   * BIRD_MAX_RPS busy (Little's law: rate × latency, with a fifth more for the time a page spends being
   * written; the share is the cap over the processes drawing on the budget lately), never fewer than
   * `configured` and at most twice it. With no cap, or before any answer, `configured`.
   */
  parallelFlows(configured: number): number {
    if (this.maxRps <= 0 || this.latency === undefined) return configured;
    const share = (this.maxRps * this.rateFactor) / this.slots.claimants;
    const wanted = Math.ceil((share * this.latency * 1.2) / 1000);
    return Math.max(configured, Math.min(2 * configured, wanted));
  }

  /** Resolves when this request may be sent; every successful acquire must be followed by release(). */
  async acquire(signal?: AbortSignal): Promise<void> {
    await this.waitForKeyProof(signal);
    this.going++;
    try {
      await this.waitForTurn(signal);
    } catch (err) {
      this.going--;
      throw err;
    }
  }

  private async waitForTurn(signal?: AbortSignal): Promise<void> {
    let slot: number | undefined;
    for (;;) {
      if (this.authFailure) throw this.authFailure;
      const now = Date.now();
      if (this.pauseUntil > now) {
        if (this.longPause && this.pauseUntil - now > this.maxPauseMs) throw this.longPause;
        await sleep(this.pauseUntil - now, undefined, { signal });
        continue;
      }
      const room = this.maxRps > 0 ? this.arrivals.roomFor(this.maxRps, this.inFlight, signal) : undefined;
      if (room) {
        await room;
        continue;
      }
      const rps = this.maxRps * this.rateFactor;
      if (rps > 0) {
        // A slot that went by (a pause, a busy event loop, the cautious wait) is lost, never spent late.
        if (slot === undefined || now > slot + SLOT_LATE_MS) {
          slot = await this.slots.next((1000 + WINDOW_MARGIN_MS) / rps, this.claimSize(rps));
          continue; // the claim may have brought a pause
        }
        if (slot > now) {
          await sleep(slot - now, undefined, { signal });
          continue; // a Retry-After that arrived while we slept wins over the slot
        }
      }
      if (Date.now() < this.cautiousUntil && this.inFlight > 0) {
        await this.waitUntilIdle(signal);
        continue;
      }
      // No await between the checks above and this line: the decision and the count are one step.
      this.inFlight++;
      return;
    }
  }

  /**
   * Slots per claim: one per request going, at least 40 ms of the cap, at most a quarter second of this
   * process's share (what a process that dies strands).
   */
  private claimSize(rps: number): ClaimSize {
    const min = Math.max(1, Math.ceil(rps * 0.04));
    return { min, max: Math.max(min, Math.ceil((rps * 0.25) / this.slots.claimants)), want: this.going };
  }

  /** The request acquired earlier has its answer (or failed). */
  release(): void {
    this.going = Math.max(0, this.going - 1);
    this.inFlight = Math.max(0, this.inFlight - 1);
    this.arrivals.requestEnded();
    if (this.inFlight === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /**
   * Retry-After: no request to this API before the wait is over, from any process of the fleet.
   * Returns the error to end the request with when the wait is longer than may be waited out; requests
   * meet the same error until it is.
   */
  pauseFor(ms: number): RateLimitedError | undefined {
    // The budget store reports its own failures: a pause it could not share still holds here.
    this.budget.block(ms).catch(() => undefined);
    return this.pauseLocally(ms);
  }

  private pauseLocally(ms: number): RateLimitedError | undefined {
    const now = Date.now();
    this.pauseUntil = Math.max(this.pauseUntil, now + ms);
    if (this.pauseUntil - now <= this.maxPauseMs) return undefined;
    // An HTTP date has whole seconds; so does the time we tell the operator.
    const until = Math.ceil(this.pauseUntil / 1000) * 1000;
    const asked = `Retry-After ${Math.ceil((this.pauseUntil - now) / 1000)} s exceeds SYNC_MAX_RETRY_AFTER=${durationSetting(this.maxPauseMs)}`;
    this.longPause = new RateLimitedError(
      `rate limited by Bird until ${new Date(until).toISOString().replace(".000Z", "Z")} (${asked})`,
      until,
    );
    return this.longPause;
  }

  get pausedUntil(): number {
    return this.pauseUntil;
  }

  onRateLimited(): void {
    this.rateFactor = Math.max(0.1, this.rateFactor / 2);
    this.cautiousUntil = Date.now() + CAUTIOUS_MS;
  }

  onAnswered(status: number): void {
    if (status === 401 || status === 403) return;
    if (status !== 429) this.rateFactor = Math.min(1, this.rateFactor * 1.05);
    if (this.keyState !== "good") {
      this.keyState = "good";
      this.releaseProbeWaiters();
    }
  }

  /** A request ended without an answer (network error): let the next one probe the key. */
  onUnanswered(): void {
    if (this.keyState === "probing") {
      this.keyState = "unknown";
      this.releaseProbeWaiters();
    }
  }

  onAuthRejected(err: AuthError): void {
    this.authFailure = err;
    this.releaseProbeWaiters();
  }

  private waitUntilIdle(signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(signal?.reason);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.idleWaiters.push(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      });
    });
  }

  private async waitForKeyProof(signal?: AbortSignal): Promise<void> {
    for (;;) {
      if (this.authFailure) throw this.authFailure;
      if (this.keyState === "good") return;
      if (this.keyState === "unknown") {
        this.keyState = "probing";
        return;
      }
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => reject(signal?.reason);
        signal?.addEventListener("abort", onAbort, { once: true });
        this.probeWaiters.push(() => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        });
      });
    }
  }

  private releaseProbeWaiters(): void {
    const waiters = this.probeWaiters;
    this.probeWaiters = [];
    for (const w of waiters) w();
  }
}
