// Issue 4: the daemon's schedule — a cycle at start, then on the cron expression, never two at once,
// skipped ticks counted, and a stop that waits for the cycle in flight.
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type CycleReason, assertValidSchedule, runOnSchedule } from "../src/daemon/scheduler.js";
import { ConfigError } from "../src/errors.js";

const logger = pino({ level: "silent" });
const EVERY_SECOND = "* * * * * *";

// Time is fake here (node-cron schedules with setTimeout and reads Date): the tests say what happens
// at which instant of a clock they move themselves, so a busy machine cannot change the answer.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });
  vi.setSystemTime(new Date("2026-01-01T00:00:00.500Z"));
});
afterEach(() => void vi.useRealTimers());

/** Resolves after `ms` of (fake) time, or at once when the signal aborts. */
function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });
}

interface Span {
  reason: CycleReason;
  start: number;
  end: number;
}

/** A cycle that takes `ms` (or until the signal aborts), recording when it ran. */
function recordingCycle(spans: Span[], ms: (n: number) => number) {
  let running = 0;
  let maxRunning = 0;
  const run = async (signal: AbortSignal, reason: CycleReason) => {
    running++;
    maxRunning = Math.max(maxRunning, running);
    const span: Span = { reason, start: Date.now(), end: 0 };
    spans.push(span);
    try {
      await delay(ms(spans.length), signal);
    } finally {
      span.end = Date.now();
      running--;
    }
  };
  return { run, maxRunning: () => maxRunning };
}

describe("runOnSchedule", () => {
  it("runs the first cycle at once, then on every tick", async () => {
    const spans: Span[] = [];
    const cycle = recordingCycle(spans, () => 50);
    const stop = new AbortController();
    const started = Date.now();
    const done = runOnSchedule({ schedule: EVERY_SECOND, signal: stop.signal, logger, runCycle: cycle.run });
    await vi.advanceTimersByTimeAsync(3200);
    stop.abort();
    const stats = await done;
    expect(spans[0]).toMatchObject({ reason: "start", start: started });
    // Ticks at 00:00:01, :02 and :03, each on the second.
    expect(spans.slice(1).map((s) => [s.reason, new Date(s.start).getUTCMilliseconds()])).toEqual([
      ["scheduled", 0],
      ["scheduled", 0],
      ["scheduled", 0],
    ]);
    expect(stats).toEqual({ cycles: 4, skippedTicks: 0 });
  });

  it("never overlaps cycles: ticks during the first or a scheduled cycle are skipped and counted", async () => {
    const spans: Span[] = [];
    // The first cycle spans 2 ticks, the second 2 more (node-cron's noOverlap), later ones are quick.
    const cycle = recordingCycle(spans, (n) => (n <= 2 ? 2300 : 50));
    const stop = new AbortController();
    let hookCalls = 0;
    const done = runOnSchedule({
      schedule: EVERY_SECOND,
      signal: stop.signal,
      logger,
      runCycle: cycle.run,
      onSkippedTick: () => hookCalls++,
    });
    await vi.advanceTimersByTimeAsync(6500);
    stop.abort();
    const stats = await done;
    expect(cycle.maxRunning()).toBe(1);
    for (let i = 1; i < spans.length; i++) expect(spans[i]!.start).toBeGreaterThanOrEqual(spans[i - 1]!.end);
    expect(stats.skippedTicks).toBeGreaterThanOrEqual(3);
    expect(hookCalls).toBe(stats.skippedTicks);
    expect(spans.length).toBeGreaterThanOrEqual(3);
  });

  it("stop waits for the cycle in flight and starts no other", async () => {
    const spans: Span[] = [];
    let sawAbort = false;
    const stop = new AbortController();
    const done = runOnSchedule({
      schedule: EVERY_SECOND,
      signal: stop.signal,
      logger,
      runCycle: async (signal, reason) => {
        const span: Span = { reason, start: Date.now(), end: 0 };
        spans.push(span);
        await delay(60_000, signal);
        sawAbort = signal.aborted;
        await delay(300); // the page transaction finishing after the abort
        span.end = Date.now();
      },
    });
    let settled = false;
    void done.then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(200);
    const stoppedAt = Date.now();
    stop.abort();
    await vi.advanceTimersByTimeAsync(299);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await done;
    expect(sawAbort).toBe(true);
    expect(spans).toHaveLength(1);
    expect(spans[0]!.end - stoppedAt).toBe(300);
    await vi.advanceTimersByTimeAsync(1200);
    expect(spans).toHaveLength(1);
  });

  it("a cycle that rejects stops the schedule and the rejection comes out", async () => {
    const stop = new AbortController();
    let calls = 0;
    const err = new Error("fatal");
    await expect(
      runOnSchedule({
        schedule: EVERY_SECOND,
        signal: stop.signal,
        logger,
        runCycle: async () => {
          calls++;
          throw err;
        },
      }),
    ).rejects.toBe(err);
    await vi.advanceTimersByTimeAsync(1200);
    expect(calls).toBe(1);
  });

  it("an already aborted signal runs nothing", async () => {
    const stop = new AbortController();
    stop.abort();
    let calls = 0;
    const stats = await runOnSchedule({ schedule: EVERY_SECOND, signal: stop.signal, logger, runCycle: async () => void calls++ });
    expect(calls).toBe(0);
    expect(stats.cycles).toBe(0);
  });
});

describe("assertValidSchedule", () => {
  it.each(["*/5 * * * *", "*/2 * * * * *", "0 3 * * 1-5"])("accepts %s", (s) => {
    expect(() => assertValidSchedule(s)).not.toThrow();
  });

  it.each(["soon", "* * * *", "* * * * * * *", "61 * * * *", "*/5 * * * * * foo"])("rejects %s naming SYNC_SCHEDULE", (s) => {
    expect(() => assertValidSchedule(s)).toThrow(ConfigError);
    expect(() => assertValidSchedule(s)).toThrow(/SYNC_SCHEDULE/);
  });
});
