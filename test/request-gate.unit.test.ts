// The gate every request passes: shared Retry-After pause, rate cap, and one request until the key is proven.
import { describe, expect, it } from "vitest";
import { RequestGate } from "../src/bird/request-gate.js";
import { AuthError } from "../src/errors.js";

describe("RequestGate", () => {
  it("a Retry-After pause holds back every caller, not just the one that got the 429", async () => {
    const gate = new RequestGate(0);
    await gate.acquire();
    gate.onAnswered(200);
    gate.pauseFor(300);
    const started = Date.now();
    const times = await Promise.all([1, 2, 3].map(async () => (await gate.acquire(), Date.now() - started)));
    for (const t of times) expect(t).toBeGreaterThanOrEqual(290);
  });

  it("spaces requests to the configured rate", async () => {
    const gate = new RequestGate(20);
    await gate.acquire();
    gate.onAnswered(200);
    const started = Date.now();
    for (let i = 0; i < 5; i++) await gate.acquire();
    // 5 more slots at 50 ms each after the first: at least ~200 ms (generous lower bound only).
    expect(Date.now() - started).toBeGreaterThanOrEqual(180);
  });

  it("lets one request probe the key; a rejection fails the waiting ones without sending them", async () => {
    const gate = new RequestGate(0);
    await gate.acquire(); // the probe
    let sent = 0;
    const waiting = [1, 2, 3].map(() => gate.acquire().then(() => sent++));
    await new Promise((r) => setTimeout(r, 20));
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
    await new Promise((r) => setTimeout(r, 30));
    expect(second).toBe(false);
    gate.release();
    await next;
    expect(second).toBe(true);
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
