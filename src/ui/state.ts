// How late a flow is, judged against SYNC_SCHEDULE the way Airbyte's connection status does it:
// on time while its last success is younger than one interval (plus a grace for the cycle's own
// duration), delayed after that, failing at two intervals or after consecutive failures, missing
// when Bird no longer has the flow. The same rule feeds the page, /api/status and the
// approvals_sync_flow_state gauge the alert rules read (deploy/alerts.yml).
import cron from "node-cron";

export const FLOW_STATES = ["on time", "delayed", "failing", "missing"] as const;
export type FlowState = (typeof FLOW_STATES)[number];

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

export interface StateInputs {
  missingSince: string | null;
  lastSuccessAt: string | null;
  consecutiveFailures: number;
  /** When the flow was first worked (its oldest known pass), for a flow that never completed one. */
  firstSeenAt: string | null;
}

export interface StateVerdict {
  state: FlowState;
  /** One line for the page: why this state. */
  why: string;
}

export function judgeFlowState(f: StateInputs, intervalMs: number, now: number): StateVerdict {
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

/** 850 ms, 12 s, 4 m 10 s, 5 m, 3 h 5 m, 2 d 4 h. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return "-";
  const v = Math.max(0, ms);
  if (v < 1000) return `${Math.round(v)} ms`;
  const s = Math.round(v / 1000);
  if (s < 60) return `${s} s`;
  const two = (a: number, ua: string, b: number, ub: string) => (b === 0 ? `${a} ${ua}` : `${a} ${ua} ${b} ${ub}`);
  if (s < 3600) return two(Math.floor(s / 60), "m", s % 60, "s");
  if (s < 86_400) return two(Math.floor(s / 3600), "h", Math.floor((s % 3600) / 60), "m");
  return two(Math.floor(s / 86_400), "d", Math.floor((s % 86_400) / 3600), "h");
}

export interface PassTime {
  startedAt: string;
  finishedAt: string | null;
  requests: number;
}

export interface Cycle {
  startedAt: string;
  passes: number;
  requests: number;
}

/**
 * Groups pass segments (oldest first) into cycles: the database has no cycle id, but a cycle's
 * passes start together or back to back (the next flow starts as soon as a slot frees), so a pass
 * that starts after every earlier one finished, with 250 ms of slack, opens a new cycle.
 */
export function groupIntoCycles(passes: readonly PassTime[]): Cycle[] {
  const cycles: Cycle[] = [];
  let openUntil = Number.NEGATIVE_INFINITY;
  for (const p of passes) {
    const start = Date.parse(p.startedAt);
    const end = p.finishedAt ? Date.parse(p.finishedAt) : start;
    const current = cycles[cycles.length - 1];
    if (!current || start > openUntil + 250) {
      cycles.push({ startedAt: p.startedAt, passes: 1, requests: Number(p.requests) });
      openUntil = end;
    } else {
      current.passes++;
      current.requests += Number(p.requests);
      openUntil = Math.max(openUntil, end);
    }
  }
  return cycles;
}
