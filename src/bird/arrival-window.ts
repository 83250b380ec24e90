// BIRD_MAX_RPS as the API counts it: by arrival, over any second (issue 24). The gate's slots space the
// moments requests are let go, but a request reaches the API some time later, and not always equally
// later: an event loop busy between the grant and the socket write, or a path or server that stalls,
// holds a few requests and lets them in together with those sent after them. (Against the built-in
// fake on the loaded 2-core development machine: up to 124 ms from a grant to the fake's count of it.)
//
// So each request this process sent counts as one that may still arrive from its grant until its
// answer is back, less the fastest round trip lately. The fastest round trip is what the way there, the
// API and the way back take at least; a request that took longer may have spent the difference on its
// way there, and arrived that much later than one granted with it. A request as fast as the fastest
// counts for the second after its grant, which the slots already allow for (no cost); one held up
// anywhere counts for longer. The gate lets a request go only while fewer than the cap of this
// process's requests may arrive within the same second (request-gate.ts).
//
// Then no second of the API's arrivals holds more than the cap of this process's requests, however
// they were delayed, as long as no request's way back and time in the API is shorter than the fastest
// round trip's. Across processes, the margin of the shared slot timeline is what holds (request-budget.ts).

/** A second, and a little for clocks (whole-millisecond stamps at the API, the fastest round trip's split). */
export const ARRIVAL_WINDOW_MS = 1010;
/** Round trips the fastest is taken from: a few seconds' worth at the usual caps. */
const ROUND_TRIPS_KEPT = 64;

export class ArrivalWindow {
  /** When each request that ended lately was done (ms, performance.now()), oldest first. */
  private ended: number[] = [];
  private roundTrips: number[] = [];
  /** Woken when a request ends: there may be room now. */
  private endWaiters: Array<() => void> = [];

  /** A request this process sent is done: answered, or failed. */
  requestEnded(now: number = performance.now()): void {
    this.ended.push(now);
    for (const wake of this.endWaiters.splice(0)) wake();
  }

  /** A request's round trip (grant or send to answer, ms). */
  roundTrip(ms: number): void {
    this.roundTrips.push(ms);
    if (this.roundTrips.length > ROUND_TRIPS_KEPT) this.roundTrips.shift();
  }

  /** The fastest round trip lately (0 until one is known: then nothing is taken off). */
  get fastestMs(): number {
    return this.roundTrips.length === 0 ? 0 : Math.min(...this.roundTrips);
  }

  /**
   * This process's requests that may arrive at the API within a second of one sent `now`: the
   * `inFlight` ones, and those that ended less than a second (and the fastest round trip) ago.
   */
  mayArrive(now: number, inFlight: number): number {
    // An entry this old can never count again, whatever the fastest round trip becomes.
    while (this.ended.length > 0 && (this.ended[0] as number) <= now - ARRIVAL_WINDOW_MS) this.ended.shift();
    const since = now - ARRIVAL_WINDOW_MS + this.fastestMs;
    let counted = inFlight;
    for (let i = this.ended.length - 1; i >= 0 && (this.ended[i] as number) > since; i--) counted++;
    return counted;
  }

  /**
   * How long from `now` until one fewer ended request counts (ms), if one counts at all; undefined when
   * only requests in flight do (then one has to end first).
   */
  nextRoomInMs(now: number): number | undefined {
    const since = now - ARRIVAL_WINDOW_MS + this.fastestMs;
    const oldest = this.ended.find((t) => t > since);
    return oldest === undefined ? undefined : Math.max(1, Math.ceil(oldest - since));
  }

  /**
   * Undefined when one more request sent now keeps this process's requests that may arrive within any
   * second under `cap`; else a wait until that may have changed (the oldest counted request leaves the
   * window, or one in flight ends), after which the caller asks again.
   */
  roomFor(cap: number, inFlight: number, signal?: AbortSignal): Promise<void> | undefined {
    const now = performance.now();
    if (this.mayArrive(now, inFlight) < cap) return undefined;
    const ms = this.nextRoomInMs(now);
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const stop = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.endWaiters = this.endWaiters.filter((w) => w !== wake);
      };
      const wake = () => {
        stop();
        resolve();
      };
      const onAbort = () => {
        stop();
        reject(signal?.reason);
      };
      if (ms !== undefined) timer = setTimeout(wake, ms);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.endWaiters.push(wake);
    });
  }
}
