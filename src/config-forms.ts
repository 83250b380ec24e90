// The accepted forms of the settings: integers, booleans, durations, sizes, and the schedule's interval
// that bounds a Retry-After. Pure functions of their text; src/config.ts reads the environment.
import cron from "node-cron";
import { z } from "zod";

const SIZE = /^(\d+)\s*(b|kb|mb|gb)?$/i;
const UNIT_BYTES = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 } as const;

/** `16MB`, `512KB`, `1048576` (bytes); units are powers of 1024. */
export function parseSize(text: string): number | undefined {
  const m = SIZE.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * UNIT_BYTES[(m[2]?.toLowerCase() ?? "b") as keyof typeof UNIT_BYTES];
}

// A page of 100 runs with large objects is a few MB; 16 MB is 160 KB a run. An answer costs about 7
// times its size in memory while its page is parsed and written (measured: one flow listing 16 MB
// pages peaks near 245 MB RSS, 31 MB pages near 340 MB), so a larger default would let one hostile
// answer under the limit break a 250 MB budget. V8 cannot hold a string past ~512 MB.
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 ** 2;
const SIZE_FORM = "a size like 16MB, 512KB or 1048576 (bytes; KB/MB/GB are powers of 1024), 1KB..512MB";
export const size = z.string().transform((v, ctx) => {
  const bytes = parseSize(v);
  if (bytes === undefined || bytes < 1024 || bytes > 512 * 1024 ** 2) {
    ctx.addIssue({ code: "custom", message: `must be ${SIZE_FORM}` });
    return z.NEVER;
  }
  return bytes;
});

/**
 * The shortest gap between the schedule's next ticks (ms). Waiting out a Retry-After longer than that
 * holds a cycle past the next one, which would find Bird just as ready. node-cron computes the ticks;
 * the task is never started.
 */
export function shortestScheduleGapMs(schedule: string): number {
  const task = cron.createTask(schedule, () => undefined);
  try {
    const ticks = task.getNextRuns(8).map((d) => d.getTime());
    let shortest = Number.POSITIVE_INFINITY;
    for (let i = 1; i < ticks.length; i++) shortest = Math.min(shortest, ticks[i]! - ticks[i - 1]!);
    return Number.isFinite(shortest) && shortest > 0 ? shortest : 5 * 60_000;
  } finally {
    void task.destroy();
  }
}

const DURATION = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

export const int = (min: number, max: number, form = `an integer ${min}..${max}`) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `must be ${form}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be ${form}`);

export const bool = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ["true", "false", "1", "0", "yes", "no", "on", "off"].includes(v), "must be true or false")
  .transform((v) => ["true", "1", "yes", "on"].includes(v));

export const duration = (what: string) =>
  z.string().transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === undefined || ms <= 0) {
      ctx.addIssue({ code: "custom", message: `must be a duration like 90s, 30m, 24h or 7d (${what})` });
      return z.NEVER;
    }
    return ms;
  });
