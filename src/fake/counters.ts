// Request counters the tests and bench assert on; also the Retry-After compliance check.
import type { FakeCounters } from "./types.js";

/**
 * Where a request came from, to tell which requests were surely sent after the client read a 429:
 * the next request on the same keep-alive socket (HTTP/1.1 without pipelining sends it only after the
 * answer), or the same request again (its retry). Requests on other sockets may have been on the wire
 * before the 429 arrived, however long ago it left — judging them by a grace period flaked on a busy
 * machine. That every caller pauses, not only the one that got the 429, is request-gate.unit's to prove.
 */
export interface RequestOrigin {
  socket: object;
  /** Method, path and query. */
  key: string;
}

export function emptyCounters(): FakeCounters {
  return {
    requests: 0,
    byStatus: {},
    listRequests: 0,
    getRequests: 0,
    flowListRequests: 0,
    pageFetches: {},
    refetchedPages: 0,
    retryAfterViolations: 0,
    maxInFlight: 0,
    maxPerSecond: 0,
    maxInFlightPerFlow: {},
    authFailures: 0,
    listRequestsPerFlow: {},
    getRequestsPerFlow: {},
    faults: {},
  };
}

function bump(map: Record<string, number>, key: string): number {
  const next = (map[key] ?? 0) + 1;
  map[key] = next;
  return next;
}

export type FakeRequestKind = "list" | "get" | "flows" | "other";

export class CounterBook {
  /** Mutated in place: a reference taken once stays current (and survives reset()). */
  readonly counters: FakeCounters = emptyCounters();
  private inFlight = 0;
  private readonly inFlightPerFlow = new Map<string, number>();
  /** Windows (start, end] during which the API asked clients to pause. */
  private pauses: Array<RequestOrigin & { until: number }> = [];
  /** Arrival times within the last second, for maxPerSecond. */
  private lastSecond: number[] = [];

  reset(): void {
    Object.assign(this.counters, emptyCounters());
    this.pauses = [];
    this.lastSecond = [];
  }

  /** An API request arrived (before latency or faults). Returns a function to call once when it ends. */
  arrive(now: number, kind: FakeRequestKind, flowId: string | undefined, origin: RequestOrigin): () => void {
    const c = this.counters;
    c.requests++;
    if (kind === "list") c.listRequests++;
    if (kind === "get") c.getRequests++;
    if (kind === "flows") c.flowListRequests++;
    if (flowId !== undefined && kind === "list") bump(c.listRequestsPerFlow, flowId);
    if (flowId !== undefined && kind === "get") bump(c.getRequestsPerFlow, flowId);
    this.checkPause(now, origin);
    this.lastSecond.push(now);
    while ((this.lastSecond[0] ?? now) <= now - 1000) this.lastSecond.shift();
    c.maxPerSecond = Math.max(c.maxPerSecond, this.lastSecond.length);
    this.inFlight++;
    c.maxInFlight = Math.max(c.maxInFlight, this.inFlight);
    if (flowId !== undefined) {
      const n = (this.inFlightPerFlow.get(flowId) ?? 0) + 1;
      this.inFlightPerFlow.set(flowId, n);
      c.maxInFlightPerFlow[flowId] = Math.max(c.maxInFlightPerFlow[flowId] ?? 0, n);
    }
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.inFlight--;
      if (flowId !== undefined) this.inFlightPerFlow.set(flowId, (this.inFlightPerFlow.get(flowId) ?? 1) - 1);
    };
  }

  /** Requests that arrived within the last second, this one included (as a rate limit counts them). */
  arrivedInLastSecond(): number {
    return this.lastSecond.length;
  }

  /** Outcome by HTTP status, or "reset" / "truncated" when no complete response was sent. */
  outcome(key: string): void {
    bump(this.counters.byStatus, key);
  }

  fault(kind: string): void {
    bump(this.counters.faults, kind);
  }

  authFailure(): void {
    this.counters.authFailures++;
  }

  /** A runs page answered 200 with its real body. */
  pageServed(flowId: string, reverse: boolean, pageToken: string | undefined): void {
    const times = bump(this.counters.pageFetches, `${flowId}|${reverse}|${pageToken ?? ""}`);
    if (times > 1) this.counters.refetchedPages++;
  }

  /** A 429 asking for waitMs left at `now`, in answer to the request from `origin`. */
  retryAfterSent(now: number, waitMs: number, origin: RequestOrigin): void {
    this.pauses.push({ ...origin, until: now + waitMs });
  }

  private checkPause(now: number, origin: RequestOrigin): void {
    if (this.pauses.length === 0) return;
    this.pauses = this.pauses.filter((p) => p.until > now);
    if (this.pauses.some((p) => p.socket === origin.socket || p.key === origin.key)) this.counters.retryAfterViolations++;
  }
}
