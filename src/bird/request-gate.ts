// Every request to one Bird API passes this gate: a shared client-side rate cap (BIRD_MAX_RPS),
// a shared pause when any response carries Retry-After (Bird: a 429'd request was not processed),
// an adaptive slowdown after 429s, and one-at-a-time requests until the access key is proven good,
// so a wrong key costs one request, not one per flow.
//
// A pause longer than SYNC_MAX_RETRY_AFTER is not waited out (issue 20): while it lasts, every request
// fails at once with the error that started it, so no flow burns a request into the same 429 and a
// one-shot sync ends instead of holding the process for an hour.
//
// After a 429 the gate also turns cautious for a while: one request in flight at a time. Requests
// already on the wire when a 429 is sent cannot know about its Retry-After; with one at a time there
// are none, so no request reaches the API before a Retry-After has run out.
import { setTimeout as sleep } from "node:timers/promises";
import { type AuthError, RateLimitedError } from "../errors.js";

// How long after the last 429 requests go one at a time.
const CAUTIOUS_MS = 10_000;
// How much sooner after the one before it a request may reach the API than it left here (ms).
const WINDOW_MARGIN_MS = 25;

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
  private nextSlot = 0;
  private rateFactor = 1;
  private keyState: "unknown" | "probing" | "good" = "unknown";
  private authFailure: AuthError | undefined;
  private probeWaiters: Array<() => void> = [];
  private inFlight = 0;
  private cautiousUntil = 0;
  private idleWaiters: Array<() => void> = [];
  /** Moving average of answered requests' latency (ms); undefined until one is answered. */
  private latency: number | undefined;
  /** When the latest requests were sent (ms), for the cap's sliding window. */
  private readonly sent: number[] = [];

  /** What every request throws while a pause beyond maxPauseMs lasts. */
  private longPause: RateLimitedError | undefined;

  constructor(
    private readonly maxRps: number,
    /** The longest pause requests wait out (SYNC_MAX_RETRY_AFTER); a longer one fails them. */
    private readonly maxPauseMs = Number.POSITIVE_INFINITY,
  ) {}

  /** An answer took this long (from send to answer): feeds the latency the cap is sized against. */
  recordLatency(ms: number): void {
    this.latency = this.latency === undefined ? ms : this.latency * 0.8 + ms * 0.2;
  }

  get latencyMs(): number | undefined {
    return this.latency;
  }

  /**
   * How many flows to work at once so the requests in flight can keep BIRD_MAX_RPS busy (Little's law:
   * rate × latency, with a fifth more for the time a page spends being written), never fewer than
   * `configured` and at most twice it. With no cap, or before any answer, `configured`.
   */
  parallelFlows(configured: number): number {
    if (this.maxRps <= 0 || this.latency === undefined) return configured;
    const wanted = Math.ceil((this.maxRps * this.rateFactor * this.latency * 1.2) / 1000);
    return Math.max(configured, Math.min(2 * configured, wanted));
  }

  /** Resolves when this request may be sent; every successful acquire must be followed by release(). */
  async acquire(signal?: AbortSignal): Promise<void> {
    await this.waitForKeyProof(signal);
    let slotted = false;
    for (;;) {
      if (this.authFailure) throw this.authFailure;
      const now = Date.now();
      if (this.pauseUntil > now) {
        if (this.longPause && this.pauseUntil - now > this.maxPauseMs) throw this.longPause;
        await sleep(this.pauseUntil - now, undefined, { signal });
        slotted = false;
        continue;
      }
      const rps = this.maxRps * this.rateFactor;
      if (rps > 0 && !slotted) {
        // Reserve the slot before sleeping so concurrent callers queue behind it.
        const slot = Math.max(now, this.nextSlot);
        this.nextSlot = slot + 1000 / rps;
        slotted = true;
        if (slot > now) {
          await sleep(slot - now, undefined, { signal });
          continue; // a Retry-After that arrived while we slept wins over the slot
        }
      }
      const windowWait = rps > 0 ? this.windowWait(rps) : 0;
      if (windowWait > 0) {
        await sleep(windowWait, undefined, { signal });
        continue;
      }
      if (Date.now() < this.cautiousUntil && this.inFlight > 0) {
        await this.waitUntilIdle(signal);
        continue;
      }
      // No await between the checks above and this line: the decision and the count are one step.
      this.inFlight++;
      if (rps > 0) this.noteSent(Date.now());
      return;
    }
  }

  /**
   * The hard bound under the even spacing: never more than the cap within any second as the API counts
   * arrivals, even when timers fire late (a busy event loop) and reserved slots bunch up. The window is
   * a little longer than a second, for requests that reach the API sooner after the one before them.
   */
  private windowWait(rps: number): number {
    const n = Math.max(1, Math.floor(rps));
    if (this.sent.length < n) return 0;
    return this.sent[this.sent.length - n]! + 1000 + WINDOW_MARGIN_MS - Date.now();
  }

  private noteSent(at: number): void {
    this.sent.push(at);
    if (this.sent.length > 2 * Math.max(1, Math.ceil(this.maxRps))) this.sent.splice(0, this.sent.length - Math.ceil(this.maxRps));
  }

  /** The request acquired earlier has its answer (or failed). */
  release(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    if (this.inFlight === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /**
   * Retry-After: no request to this API before the wait is over. Returns the error to end the request
   * with when the wait is longer than may be waited out; requests meet the same error until it is.
   */
  pauseFor(ms: number): RateLimitedError | undefined {
    const now = Date.now();
    this.pauseUntil = Math.max(this.pauseUntil, now + ms);
    if (this.pauseUntil - now <= this.maxPauseMs) return undefined;
    // An HTTP date has whole seconds; so does the time we tell the operator.
    const until = Math.ceil(this.pauseUntil / 1000) * 1000;
    const asked = `Retry-After ${Math.ceil(ms / 1000)} s exceeds SYNC_MAX_RETRY_AFTER=${durationSetting(this.maxPauseMs)}`;
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
