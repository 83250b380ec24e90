// The gate every request passes: shared Retry-After pause, rate cap, and one request until the key is proven.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { RequestGate } from "../src/bird/request-gate.js";
import { AuthError, RateLimitedError } from "../src/errors.js";

// The gate sleeps with node:timers/promises, which fake timers do not reach: route it through the
// global setTimeout they do, so these tests run on the fake clock (no wall time, no load sensitivity).
vi.mock("node:timers/promises", () => import("./helpers/fake-clock-sleep.js"));

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("RequestGate", () => {
  it("a Retry-After pause holds back every caller, not just the one that got the 429", async () => {
    const gate = new RequestGate(0);
    await gate.acquire();
    gate.onAnswered(200);
    gate.pauseFor(300);
    const started = Date.now();
    const times: number[] = [];
    const all = Promise.all([1, 2, 3].map(async () => (await gate.acquire(), times.push(Date.now() - started))));
    await vi.advanceTimersByTimeAsync(299);
    expect(times).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await all;
    expect(times).toEqual([300, 300, 300]);
  });

  it("a pause beyond the bound (SYNC_MAX_RETRY_AFTER) fails every request at once until only the bound is left", async () => {
    const gate = new RequestGate(0, 300_000);
    await gate.acquire();
    gate.onAnswered(200);
    gate.release();
    expect(gate.pauseFor(60_000)).toBeUndefined();
    const tooLong = gate.pauseFor(3_600_000);
    expect(tooLong).toBeInstanceOf(RateLimitedError);
    expect(tooLong?.message).toMatch(
      /^rate limited by Bird until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(Retry-After 3600 s exceeds SYNC_MAX_RETRY_AFTER=5m\)$/,
    );
    // No time passes: a caller that waited would still be pending.
    await expect(gate.acquire()).rejects.toBe(tooLong);
    await vi.advanceTimersByTimeAsync(3_300_000);
    let acquired = false;
    const waiting = gate.acquire().then(() => (acquired = true));
    await vi.advanceTimersByTimeAsync(299_000);
    expect(acquired).toBe(false);
    await vi.advanceTimersByTimeAsync(2_000);
    await waiting;
    expect(acquired).toBe(true);
  });

  it("spaces requests to the configured rate", async () => {
    const gate = new RequestGate(20);
    await gate.acquire();
    gate.onAnswered(200);
    const started = Date.now();
    const times: number[] = [];
    const five = (async () => {
      for (let i = 0; i < 5; i++) await gate.acquire(), times.push(Date.now() - started);
    })();
    await vi.advanceTimersByTimeAsync(1_000);
    await five;
    // One slot every 52.5 ms at 20 requests/s (1050 ms / 20: twenty slots span a little more than a
    // second), each rounded up to the next whole millisecond.
    expect(times).toEqual([53, 105, 158, 210, 263]);
  });

  it("lets one request probe the key; a rejection fails the waiting ones without sending them", async () => {
    const gate = new RequestGate(0);
    await gate.acquire(); // the probe
    let sent = 0;
    const waiting = [1, 2, 3].map(() => gate.acquire().then(() => sent++));
    await vi.advanceTimersByTimeAsync(20);
    expect(sent).toBe(0);
    gate.onAuthRejected(new AuthError("rejected"));
    const outcomes = await Promise.allSettled(waiting);
    expect(outcomes.every((o) => o.status === "rejected")).toBe(true);
    expect(sent).toBe(0);
  });

  it("releases the others once the key answered anything but 401/403", async () => {
    const gate = new RequestGate(0);
    await gate.acquire();
    const waiting = Promise.all([1, 2].map(() => gate.acquire()));
    gate.onAnswered(404);
    await expect(waiting).resolves.toHaveLength(2);
  });

  it("after a 429, one request at a time: the next waits until the one on the wire has its answer", async () => {
    const gate = new RequestGate(0);
    await gate.acquire();
    gate.onAnswered(200);
    gate.release();
    await Promise.all([gate.acquire(), gate.acquire()]); // not cautious: both go at once
    gate.release();
    gate.release();
    await gate.acquire();
    gate.onRateLimited();
    let second = false;
    const next = gate.acquire().then(() => (second = true));
    await vi.advanceTimersByTimeAsync(30);
    expect(second).toBe(false);
    gate.release();
    await next;
    expect(second).toBe(true);
  });
});

describe("RequestGate cap", () => {
  it("never lets more than the cap through within any second, even when a stalled event loop fires late slots together", async () => {
    vi.useRealTimers();
    const gate = new RequestGate(20);
    await gate.acquire();
    gate.onAnswered(200);
    gate.release();
    const sent: number[] = [];
    const callers = Array.from({ length: 45 }, () => gate.acquire().then(() => (sent.push(performance.now()), gate.release())));
    // Block the event loop for 400 ms twice, as a busy process would: the slots due meanwhile come due at once.
    for (const at of [300, 1300]) {
      setTimeout(() => {
        const until = performance.now() + 400;
        while (performance.now() < until);
      }, at);
    }
    await Promise.all(callers);
    sent.sort((a, b) => a - b);
    const most = Math.max(...sent.map((t) => sent.filter((u) => u >= t && u < t + 1000).length));
    expect(sent).toHaveLength(45);
    expect(most).toBeLessThanOrEqual(20);
  });
});

describe("RequestGate.parallelFlows (issue 13 part 5)", () => {
  it("sizes the flows worked at once from measured latency and the cap, between SYNC_CONCURRENCY and twice it", () => {
    const gate = new RequestGate(50);
    expect(gate.parallelFlows(4)).toBe(4); // nothing measured yet
    for (let i = 0; i < 30; i++) gate.recordLatency(100);
    // 50 requests/s × 0.1 s in flight each, plus a fifth for writing the page: 6 flows.
    expect(gate.parallelFlows(4)).toBe(6);
    for (let i = 0; i < 30; i++) gate.recordLatency(1000);
    expect(gate.parallelFlows(4)).toBe(8);
    for (let i = 0; i < 60; i++) gate.recordLatency(5);
    expect(gate.parallelFlows(4)).toBe(4);
    expect(new RequestGate(0).parallelFlows(3)).toBe(3); // no cap: nothing to size against
  });
});
