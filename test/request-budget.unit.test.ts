// Issue 23: one budget for the fleet. Several gates (one per process) draw on one slot timeline; these
// tests run them on the fake clock and check the promise as the API counts it: never more than the
// cap within any second, every request inside a slot of its own, a Retry-After shared.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type BudgetStore, LocalBudgetStore, SLOT_LATE_MS, type SlotClaim } from "../src/bird/request-budget.js";
import { RequestGate } from "../src/bird/request-gate.js";

// The gate sleeps with node:timers/promises, which fake timers do not reach: route it through the
// global setTimeout they do (as request-gate.unit does).
vi.mock("node:timers/promises", () => import("./helpers/fake-clock-sleep.js"));

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** The shared row, as the database keeps it, with every slot it handed out recorded. */
class RecordingStore implements BudgetStore {
  readonly inner = new LocalBudgetStore();
  readonly slots: number[] = [];
  claims = 0;
  claimants = 1;

  async claim(count: number, spacingMs: number): Promise<SlotClaim> {
    this.claims++;
    const c = await this.inner.claim(count, spacingMs);
    for (let i = 0; i < count; i++) this.slots.push(Math.ceil(c.firstAt + i * spacingMs));
    return { ...c, claimants: this.claimants };
  }

  block(ms: number): Promise<void> {
    return this.inner.block(ms);
  }
}

/** A process: `callers` flows, each sending a request (answered after `latencyMs`) again and again. */
function busyProcess(gate: RequestGate, callers: number, latencyMs: number, sent: number[], until: number): Promise<void> {
  const caller = async () => {
    while (Date.now() < until) {
      await gate.acquire();
      sent.push(Date.now());
      await new Promise((resolve) => setTimeout(resolve, latencyMs));
      gate.onAnswered(200);
      gate.release();
    }
  };
  return Promise.all(Array.from({ length: callers }, caller)).then(() => undefined);
}

/** Awaits p while the fake clock runs. */
async function onFakeClock<T>(p: Promise<T>, ms = 1000): Promise<T> {
  await vi.advanceTimersByTimeAsync(ms);
  return p;
}

const mostInAnySecond = (times: readonly number[]) => Math.max(0, ...times.map((t) => times.filter((u) => u >= t && u < t + 1000).length));

describe("a budget shared by several processes", () => {
  it("keeps all of them together at or under the cap within any second, each request in a slot of its own, even across a stall", async () => {
    const shared = new RecordingStore();
    const sent: number[] = [];
    const until = Date.now() + 6000;
    const processes = [1, 2, 3].map(() => busyProcess(new RequestGate(10, Number.POSITIVE_INFINITY, shared), 4, 30, sent, until));
    await vi.advanceTimersByTimeAsync(2000);
    // A busy event loop: the clock jumps 400 ms while no timer fires; the slots held meanwhile went by.
    vi.setSystemTime(Date.now() + 400);
    await onFakeClock(Promise.all(processes), 8000);

    sent.sort((a, b) => a - b);
    expect(mostInAnySecond(sent)).toBeLessThanOrEqual(10);
    expect(sent.length).toBeGreaterThanOrEqual(40); // six seconds at ~9.75/s, less what the stall cost
    // Every request went within SLOT_LATE_MS after a slot, and no slot served two requests.
    const used = new Set<number>();
    for (const t of sent) {
      const slot = shared.slots.find((s) => s <= t && t <= s + SLOT_LATE_MS && !used.has(s));
      expect(slot, `request at ${t}`).toBeDefined();
      used.add(slot as number);
    }
    // A few slots per statement, not one per request.
    expect(shared.claims).toBeLessThan(sent.length / 1.5);
  });

  it("each process on a budget of its own sends the cap each: the sharing is what holds the fleet to it", async () => {
    const sent: number[] = [];
    const until = Date.now() + 3000;
    const processes = [1, 2, 3].map(() => busyProcess(new RequestGate(10), 4, 30, sent, until));
    await vi.advanceTimersByTimeAsync(4000);
    await Promise.all(processes);
    sent.sort((a, b) => a - b);
    expect(mostInAnySecond(sent)).toBeGreaterThan(20);
  });

  it("a Retry-After one process saw holds back another from its next claim on", async () => {
    const shared = new RecordingStore();
    const [a, b] = [new RequestGate(10, Number.POSITIVE_INFINITY, shared), new RequestGate(10, Number.POSITIVE_INFINITY, shared)];
    for (const g of [a, b]) {
      await onFakeClock(g.acquire());
      g.onAnswered(200);
      g.release();
    }
    const started = Date.now();
    a.pauseFor(3000);
    let bSentAt: number | undefined;
    const next = (async () => {
      await vi.advanceTimersByTimeAsync(0);
      await b.acquire();
      bSentAt = Date.now() - started;
    })();
    await vi.advanceTimersByTimeAsync(2999);
    expect(bSentAt).toBeUndefined();
    await vi.advanceTimersByTimeAsync(200);
    await next;
    expect(bSentAt).toBeGreaterThanOrEqual(3000);
    // And b's own pause says so: its next request waits for nothing more.
    expect(b.pausedUntil - started).toBeGreaterThanOrEqual(3000);
  });

  it("a busy process learns of another's Retry-After within a quarter second (its claims are that far apart) and holds back", async () => {
    const shared = new RecordingStore();
    const a = new RequestGate(20, Number.POSITIVE_INFINITY, shared);
    const sent: number[] = [];
    const until = Date.now() + 5000;
    const busy = busyProcess(new RequestGate(20, Number.POSITIVE_INFINITY, shared), 6, 30, sent, until);
    await vi.advanceTimersByTimeAsync(1000);
    const pausedAt = Date.now();
    a.pauseFor(2000);
    await onFakeClock(busy, 8000);
    // Slots it held go out until its next claim (at most a quarter second of its share), none after until the pause ends.
    expect(sent.filter((t) => t >= pausedAt + 300 && t < pausedAt + 2000)).toEqual([]);
    expect(sent.filter((t) => t >= pausedAt + 2000).length).toBeGreaterThan(10);
  });

  it("a Retry-After beyond SYNC_MAX_RETRY_AFTER that another process saw fails this one's requests at once", async () => {
    const shared = new RecordingStore();
    const a = new RequestGate(10, 60_000, shared);
    const b = new RequestGate(10, 60_000, shared);
    for (const g of [a, b]) {
      await onFakeClock(g.acquire());
      g.onAnswered(200);
      g.release();
    }
    expect(a.pauseFor(3_600_000)).toBeDefined();
    await vi.advanceTimersByTimeAsync(200); // b's slot from the first claim has gone by
    await expect(b.acquire()).rejects.toThrow(/exceeds SYNC_MAX_RETRY_AFTER=1m/);
  });

  it("sizes the flows in flight against this process's share of the cap", async () => {
    const store = new RecordingStore();
    const gate = new RequestGate(100, Number.POSITIVE_INFINITY, store);
    for (let i = 0; i < 30; i++) gate.recordLatency(100);
    const shareFor = async (claimants: number) => {
      store.claimants = claimants;
      await vi.advanceTimersByTimeAsync(100); // let held slots go by: the next acquire claims
      const acquired = gate.acquire();
      await vi.advanceTimersByTimeAsync(50);
      await acquired;
      gate.onAnswered(200);
      gate.release();
      return gate.parallelFlows(4);
    };
    // 100/s × 0.1 s × 1.2 = 12 flows alone (capped at twice SYNC_CONCURRENCY), 6 as one of two, 3 → 4 as one of four.
    expect(await shareFor(1)).toBe(8);
    expect(await shareFor(2)).toBe(6);
    expect(await shareFor(4)).toBe(4);
  });
});
