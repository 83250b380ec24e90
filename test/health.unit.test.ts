// Issue 14: a flow's state against SYNC_SCHEDULE (Airbyte's rule), and cycles from pass segments.
import { describe, expect, it } from "vitest";
import { graceMs, judgeFlowHealth, scheduleIntervalMs } from "../src/health.js";
import { groupIntoCycles } from "../src/ui/cycles.js";

const NOW = Date.parse("2026-11-23T12:00:00.000Z");
const ago = (ms: number) => new Date(NOW - ms).toISOString();
const FIVE_MIN = 300_000;
const base = { missingSince: null, lastSuccessAt: ago(60_000), consecutiveFailures: 0, firstSeenAt: ago(3_600_000) };

describe("flow state", () => {
  it("reads the interval from the cron schedule, the longest gap for irregular ones", () => {
    expect(scheduleIntervalMs("*/5 * * * *", new Date(NOW))).toBe(FIVE_MIN);
    expect(scheduleIntervalMs("*/2 * * * * *", new Date(NOW))).toBe(2000);
    expect(scheduleIntervalMs("0 9,17 * * *", new Date(NOW))).toBe(16 * 3_600_000);
  });

  it("is on time within one interval plus grace, delayed after it, failing after two", () => {
    const grace = graceMs(FIVE_MIN);
    expect(judgeFlowHealth(base, FIVE_MIN, NOW).state).toBe("on time");
    expect(judgeFlowHealth({ ...base, lastSuccessAt: ago(FIVE_MIN + grace - 1) }, FIVE_MIN, NOW).state).toBe("on time");
    expect(judgeFlowHealth({ ...base, lastSuccessAt: ago(FIVE_MIN + grace + 1) }, FIVE_MIN, NOW).state).toBe("delayed");
    expect(judgeFlowHealth({ ...base, lastSuccessAt: ago(2 * FIVE_MIN + grace + 1) }, FIVE_MIN, NOW).state).toBe("failing");
  });

  it("is delayed after one failed pass and failing after two in a row, whatever the age", () => {
    expect(judgeFlowHealth({ ...base, consecutiveFailures: 1 }, FIVE_MIN, NOW).state).toBe("delayed");
    const v = judgeFlowHealth({ ...base, consecutiveFailures: 2 }, FIVE_MIN, NOW);
    expect(v).toEqual({ state: "failing", why: "2 failed passes in a row" });
  });

  it("is missing when Bird no longer has the flow, before anything else", () => {
    expect(judgeFlowHealth({ ...base, consecutiveFailures: 5, missingSince: ago(1000) }, FIVE_MIN, NOW).state).toBe("missing");
  });

  it("judges a flow that never completed by its first pass", () => {
    expect(judgeFlowHealth({ ...base, lastSuccessAt: null, firstSeenAt: ago(10_000) }, FIVE_MIN, NOW).state).toBe("on time");
    expect(judgeFlowHealth({ ...base, lastSuccessAt: null, firstSeenAt: ago(3 * FIVE_MIN) }, FIVE_MIN, NOW).state).toBe("failing");
    expect(judgeFlowHealth({ ...base, lastSuccessAt: null, firstSeenAt: null }, FIVE_MIN, NOW).state).toBe("delayed");
  });
});

describe("cycles from pass segments", () => {
  it("groups passes that start together or back to back, and splits at a gap", () => {
    const t = (s: number) => new Date(NOW + s * 1000).toISOString();
    const cycles = groupIntoCycles([
      { startedAt: t(0), finishedAt: t(3), requests: 4 },
      { startedAt: t(0), finishedAt: t(5), requests: 6 },
      { startedAt: t(5.1), finishedAt: t(7), requests: 1 },
      { startedAt: t(7.5), finishedAt: t(8), requests: 3 },
      { startedAt: t(300), finishedAt: t(301), requests: 2 },
    ]);
    expect(cycles).toEqual([
      { startedAt: t(0), passes: 3, requests: 11 },
      { startedAt: t(7.5), passes: 1, requests: 3 },
      { startedAt: t(300), passes: 1, requests: 2 },
    ]);
  });
});
