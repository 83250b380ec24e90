// The one rule for how late a flow is (DESIGN §8 `health.ts`), judged against SYNC_SCHEDULE the way
// Airbyte's connection status does it: on time while its last success is younger than one interval
// (plus a grace for the cycle's own duration), delayed after that, failing at two intervals or after
// consecutive failures, missing when Bird no longer has the flow. The status page, /api/status and
// the approvals_sync_flow_state gauge the alert rules read (deploy/alerts.yml) all take it from here.
import cron from "node-cron";
import { formatDuration } from "./duration.js";

export const FLOW_HEALTHS = ["on time", "delayed", "failing", "missing"] as const;
export type FlowHealth = (typeof FLOW_HEALTHS)[number];

/** Failed passes in a row after which a flow is failing whatever its age. */
export const FAILING_AFTER_FAILURES = 2;

/**
 * The longest gap between the schedule's next ticks (a weekday-only schedule has its weekend gap),
 * in ms. node-cron computes the ticks; the task is never started.
 */
export function scheduleIntervalMs(schedule: string, from = new Date()): number {
  const task = cron.createTask(schedule, () => undefined);
  try {
    const next = task.getNextRuns(8).map((d) => d.getTime());
    const times = [from.getTime(), ...next];
    let longest = 0;
    for (let i = 2; i < times.length; i++) longest = Math.max(longest, (times[i] as number) - (times[i - 1] as number));
    return longest > 0 ? longest : 5 * 60_000;
  } finally {
    void task.destroy();
  }
}

/** Slack for the cycle's own duration: 10 % of the interval, at least 30 s, at most 10 min. */
export function graceMs(intervalMs: number): number {
  return Math.min(10 * 60_000, Math.max(30_000, intervalMs / 10));
}

export interface HealthInputs {
  missingSince: string | null;
  lastSuccessAt: string | null;
  consecutiveFailures: number;
  /** When the flow was first worked (its oldest known pass), for a flow that never completed one. */
  firstSeenAt: string | null;
}

export interface HealthVerdict {
  state: FlowHealth;
  /** One line for the page: why this state. */
  why: string;
}

export function judgeFlowHealth(f: HealthInputs, intervalMs: number, now: number): HealthVerdict {
  if (f.missingSince) return { state: "missing", why: `Bird has not listed this flow since ${f.missingSince}` };
  if (f.consecutiveFailures >= FAILING_AFTER_FAILURES) {
    return { state: "failing", why: `${f.consecutiveFailures} failed passes in a row` };
  }
  const since = f.lastSuccessAt ?? f.firstSeenAt;
  if (!since) return { state: "delayed", why: "no pass yet" };
  const age = now - Date.parse(since);
  const grace = graceMs(intervalMs);
  const what = f.lastSuccessAt ? "last success" : "never completed; first pass started";
  if (age > 2 * intervalMs + grace) return { state: "failing", why: `${what} ${formatDuration(age)} ago (over two intervals)` };
  if (age > intervalMs + grace) return { state: "delayed", why: `${what} ${formatDuration(age)} ago (over one interval)` };
  if (f.consecutiveFailures > 0) return { state: "delayed", why: "the last pass failed; retrying with backoff" };
  return { state: "on time", why: f.lastSuccessAt ? `last success ${formatDuration(age)} ago` : "first pass running" };
}
