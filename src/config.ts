// The only module that reads the environment (STYLE.md). Everything else gets a typed, readonly Config.
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseEnv } from "node:util";
import cron from "node-cron";
import { z } from "zod";
import { DEFAULT_MAX_RESPONSE_BYTES, bool, duration, int, shortestScheduleGapMs, size } from "./config-forms.js";
import { ConfigError } from "./errors.js";
import {
  type UnknownVariable,
  describeMisdirection,
  describeUnknownVariable,
  findUnknownVariables,
  misdirectingVariables,
} from "./unknown-variables.js";
import { isUuid, uniqueIds } from "./uuid.js";

export type LogFormat = "pretty" | "json";

export interface Config {
  readonly databaseUrl: string | undefined;
  readonly pgliteDir: string;
  readonly accessKey: string;
  readonly organizationId: string;
  readonly approvalIds: readonly string[] | undefined;
  readonly apiUrl: string;
  readonly pageSize: number;
  readonly concurrency: number;
  /** A full pass lists a flow from both ends once it has this many pages (0 = always one stream). */
  readonly twoEndedPages: number;
  readonly schedule: string;
  readonly fullEveryMs: number;
  readonly autoMigrate: boolean;
  readonly maxRps: number;
  readonly httpTimeoutMs: number;
  /** An answer whose body is larger than this is not read (HTTP_MAX_RESPONSE_BYTES). */
  readonly maxResponseBytes: number;
  /** A Retry-After longer than this ends the pass instead of being waited out (SYNC_MAX_RETRY_AFTER). */
  readonly maxRetryAfterMs: number;
  readonly maxRetries: number;
  readonly metricsPort: number;
  /** Bind address of METRICS_PORT (status page, /metrics, health). */
  readonly metricsHost: string;
  /** HTTP basic auth for the status page and /api/status (secret); undefined = no auth. */
  readonly statusAuth: { readonly user: string; readonly password: string } | undefined;
  readonly leaseTtlMs: number;
  readonly logLevel: string;
  readonly logFormat: LogFormat;
  /** Days of bird.sync_passes history kept; older rows are pruned (0 = keep forever). */
  readonly historyDays: number;
  /** Keep every version of every run (bird.approval_run_history), and for how many days (0 = forever). */
  readonly runHistory: boolean;
  readonly runHistoryDays: number;
  /** A pending run is re-read when the time since its last read is at least this × its age (0 = every pass). */
  readonly recheckFactor: number;
  /** Optional cap on requests per rolling hour; re-checks beyond it carry over as recheck debt. */
  readonly maxRequestsPerHour: number | undefined;
  /**
   * Record the API traffic into a file (`--record`, or in the daemon its next `cycles` cycles, or those
   * that start within `forMs` of its start: whichever ends first; unlimited when unset); issue 25.
   */
  readonly record:
    | { readonly file: string; readonly cycles?: number; readonly forMs?: number; readonly redact: "default" | "none" }
    | undefined;
  /** Variables with our prefixes that no setting has (typos); the caller warns once it has a logger. */
  readonly unknownVariables: readonly UnknownVariable[];
}

/** An address to listen on: an IP address or a host name (METRICS_HOST, `ui --host`). */
export const BIND_HOST = /^(?:[0-9a-fA-F:.]+|[a-zA-Z0-9.-]+)$/;

const envSchema = z.object({
  DATABASE_URL: z
    .string()
    .trim()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// connection string")
    .optional(),
  PGLITE_DIR: z.string().trim().min(1).default(".data/pglite"),
  BIRD_ACCESS_KEY: z.string().trim().min(1, "must not be empty").optional(),
  BIRD_ORGANIZATION_ID: z.string().trim().min(1, "must not be empty").optional(),
  BIRD_APPROVAL_IDS: z
    .string()
    .transform((v) =>
      v
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .refine((ids) => ids.length > 0, "must list at least one flow id (comma-separated uuids)")
    .refine((ids) => ids.every((id) => isUuid(id)), "must be comma-separated uuids")
    .optional(),
  BIRD_API_URL: z
    .string()
    .trim()
    .url("must be an http(s) URL like https://api.bird.com")
    .refine((u) => /^https?:\/\//.test(u), "must be an http(s) URL like https://api.bird.com")
    .transform((u) => u.replace(/\/+$/, ""))
    .default("https://api.bird.com"),
  SYNC_PAGE_SIZE: int(1, 100).default(100),
  SYNC_CONCURRENCY: int(1, 64).default(4),
  SYNC_TWO_ENDED_PAGES: int(0, 1_000_000, "an integer >= 0 (pages; 0 = never list from both ends)").default(4),
  SYNC_SCHEDULE: z
    .string()
    .trim()
    .refine(
      (v) => [5, 6].includes(v.split(/\s+/).length) && cron.validate(v),
      "must be a cron expression of 5 fields (or 6 with seconds first), e.g. */5 * * * *",
    )
    .default("*/5 * * * *"),
  SYNC_FULL_EVERY: duration("max age of the last full reconcile").default(24 * 3_600_000),
  SYNC_AUTO_MIGRATE: bool.default(true),
  BIRD_MAX_RPS: int(0, 100_000, "an integer >= 0 (0 = no cap)").default(50),
  HTTP_TIMEOUT_MS: int(100, 600_000, "an integer 100..600000 (milliseconds)").default(30_000),
  HTTP_MAX_RESPONSE_BYTES: size.default(DEFAULT_MAX_RESPONSE_BYTES),
  SYNC_MAX_RETRY_AFTER: duration("longest Retry-After waited out; unset = one SYNC_SCHEDULE interval").optional(),
  SYNC_MAX_RETRIES: int(0, 100).default(6),
  METRICS_PORT: int(0, 65_535, "an integer 0..65535 (0 disables)").default(9464),
  SYNC_HISTORY_DAYS: int(0, 36_500, "an integer >= 0 (days of sync_passes history; 0 = keep forever)").default(30),
  SYNC_RUN_HISTORY: bool.default(true),
  SYNC_RUN_HISTORY_DAYS: int(0, 36_500, "an integer >= 0 (days of past run versions kept; 0 = keep forever)").default(0),
  SYNC_RECHECK_FACTOR: z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/, "must be a number >= 0, like 0.05 (0 = re-read every pending run on every pass)")
    .transform(Number)
    .default(0.05),
  SYNC_MAX_REQUESTS_PER_HOUR: int(1, 100_000_000, "an integer >= 1 (requests per rolling hour; unset = no budget)").optional(),
  // 0.0.0.0: the daemon runs in a container and Prometheus scrapes it from outside (README "Status page").
  METRICS_HOST: z
    .string()
    .trim()
    .regex(BIND_HOST, "must be an IP address or host name to bind to, e.g. 0.0.0.0 or 127.0.0.1")
    .default("0.0.0.0"),
  STATUS_AUTH: z
    .string()
    .transform((v, ctx) => {
      const at = v.indexOf(":");
      if (at <= 0 || at === v.length - 1) {
        ctx.addIssue({ code: "custom", message: "must be user:password (both non-empty) for HTTP basic auth on the status page" });
        return z.NEVER;
      }
      return { user: v.slice(0, at), password: v.slice(at + 1) };
    })
    .optional(),
  SYNC_LEASE_TTL: duration("how long a flow stays leased after its holder's last page").default(60_000),
  SYNC_RECORD_FILE: z.string().trim().min(1, "must be a file path").optional(),
  SYNC_RECORD_CYCLES: int(1, 1_000_000, "an integer >= 1 (daemon cycles recorded into SYNC_RECORD_FILE)").optional(),
  SYNC_RECORD_FOR: duration("how long after the daemon's start its cycles are recorded into SYNC_RECORD_FILE").optional(),
  SYNC_RECORD_REDACT: z.enum(["default", "none"], { message: "must be default or none" }).default("default"),
  LOG_LEVEL: z
    .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], {
      message: "must be one of fatal, error, warn, info, debug, trace, silent",
    })
    .default("info"),
  LOG_FORMAT: z.enum(["pretty", "json"], { message: "must be pretty or json" }).optional(),
});

export type EnvName = keyof z.input<typeof envSchema>;
const SECRET_VARS = new Set<string>(["BIRD_ACCESS_KEY", "DATABASE_URL", "STATUS_AUTH"]);

export interface LoadConfigOptions {
  /** Raw environment (process.env by default); a .env file in cwd fills what it lacks. */
  env?: Record<string, string | undefined>;
  /** Defaults of this command that differ from the documented ones; the environment wins over them. */
  defaults?: Partial<Record<EnvName, string>>;
  /** Values from command-line flags; they win over the environment. */
  overrides?: Partial<Record<EnvName, string>>;
  /** Commands that talk to Bird need the key and organization. */
  requireBird?: boolean;
  isTty?: boolean;
  cwd?: string;
}

function readDotEnv(cwd: string): Record<string, string> {
  const file = resolve(cwd, ".env");
  if (!existsSync(file)) return {};
  try {
    return parseEnv(readFileSync(file, "utf8")) as Record<string, string>;
  } catch (err) {
    throw new ConfigError(`.env in ${cwd} could not be read: ${(err as Error).message}`);
  }
}

/** sync, backfill and daemon cannot run without a key and an organization. */
function missingBirdSettings(raw: Record<string, string | undefined>, hintFor: (name: string) => string): string[] {
  return (["BIRD_ACCESS_KEY", "BIRD_ORGANIZATION_ID"] as const)
    .filter((k) => raw[k] === undefined)
    .map((k) => `${k} is required (set it in the environment or .env)${hintFor(k)}`);
}

/** Defaults, then .env, then the environment, then flags: the later wins. */
function mergeSources(opts: LoadConfigOptions, env: NodeJS.ProcessEnv, dotEnv: Record<string, string>): Record<string, string | undefined> {
  const merged: Record<string, string | undefined> = { ...opts.defaults, ...dotEnv };
  for (const [k, v] of Object.entries(env)) if (v !== undefined) merged[k] = v;
  for (const [k, v] of Object.entries(opts.overrides ?? {})) if (v !== undefined) merged[k] = v;
  return merged;
}

function recordSettings(e: z.output<typeof envSchema>, cwd: string): Config["record"] {
  if (!e.SYNC_RECORD_FILE) return undefined;
  // One cycle unless a limit is given: a recording left configured by mistake stays small.
  const cycles = e.SYNC_RECORD_CYCLES ?? (e.SYNC_RECORD_FOR === undefined ? 1 : undefined);
  return Object.freeze({
    file: resolve(cwd, e.SYNC_RECORD_FILE),
    ...(cycles === undefined ? {} : { cycles }),
    ...(e.SYNC_RECORD_FOR === undefined ? {} : { forMs: e.SYNC_RECORD_FOR }),
    redact: e.SYNC_RECORD_REDACT,
  });
}

/** The settings parsed, or a ConfigError that lists every problem at once. */
function validate(
  opts: LoadConfigOptions,
  env: NodeJS.ProcessEnv,
  dotEnv: Record<string, string>,
  raw: Record<string, string | undefined>,
): { e: z.output<typeof envSchema>; unknownVariables: UnknownVariable[] } {
  // The known names come from the schema itself, so the typo check cannot drift from the settings.
  const unknownVariables = findUnknownVariables(Object.keys(envSchema.shape), { environment: env, dotEnv });
  const hintFor = (name: string) => {
    const typo = unknownVariables.find((v) => v.suggestion === name);
    return typo ? ` — ${describeUnknownVariable(typo)}` : "";
  };
  // Every problem at once (issue 24): a value that fails, a required setting that is missing, and a
  // misspelling that would send the data elsewhere, in one error rather than one per attempt.
  const parsed = envSchema.safeParse(raw);
  const problems = (parsed.error?.issues ?? []).map((issue) => {
    const name = String(issue.path[0]);
    const shown = SECRET_VARS.has(name) ? "" : ` (got ${JSON.stringify(raw[name])})`;
    return `${name} ${issue.message}${shown}${hintFor(name)}`;
  });
  const required = opts.requireBird ? missingBirdSettings(raw, hintFor) : [];
  problems.push(...required);
  const named = new Set(required.map((line) => line.split(" ")[0]));
  const misdirecting = misdirectingVariables(unknownVariables, (name) => raw[name] !== undefined);
  problems.push(...misdirecting.filter((v) => !named.has(v.suggestion)).map(describeMisdirection));
  if (!parsed.success || problems.length > 0) throw new ConfigError(`invalid configuration:\n  ${problems.join("\n  ")}`);
  return { e: parsed.data, unknownVariables };
}

export function loadConfig(opts: LoadConfigOptions = {}): Config {
  const env = opts.env ?? process.env;
  const dotEnv = readDotEnv(opts.cwd ?? process.cwd());
  const merged = mergeSources(opts, env, dotEnv);
  // An empty variable means "not set" (docker-compose and shells produce them).
  const raw = Object.fromEntries(Object.keys(envSchema.shape).map((k) => [k, merged[k] === "" ? undefined : merged[k]]));

  const { e, unknownVariables } = validate(opts, env, dotEnv, raw);
  return Object.freeze({
    databaseUrl: e.DATABASE_URL,
    pgliteDir: resolve(opts.cwd ?? process.cwd(), e.PGLITE_DIR),
    accessKey: e.BIRD_ACCESS_KEY ?? "",
    organizationId: e.BIRD_ORGANIZATION_ID ?? "",
    // Kept as written (requests use ids as Bird gave them), one per uuid.
    approvalIds: e.BIRD_APPROVAL_IDS ? Object.freeze(uniqueIds(e.BIRD_APPROVAL_IDS)) : undefined,
    apiUrl: e.BIRD_API_URL,
    pageSize: e.SYNC_PAGE_SIZE,
    concurrency: e.SYNC_CONCURRENCY,
    twoEndedPages: e.SYNC_TWO_ENDED_PAGES,
    schedule: e.SYNC_SCHEDULE,
    fullEveryMs: e.SYNC_FULL_EVERY,
    autoMigrate: e.SYNC_AUTO_MIGRATE,
    maxRps: e.BIRD_MAX_RPS,
    httpTimeoutMs: e.HTTP_TIMEOUT_MS,
    maxResponseBytes: e.HTTP_MAX_RESPONSE_BYTES,
    maxRetryAfterMs: e.SYNC_MAX_RETRY_AFTER ?? shortestScheduleGapMs(e.SYNC_SCHEDULE),
    maxRetries: e.SYNC_MAX_RETRIES,
    metricsPort: e.METRICS_PORT,
    metricsHost: e.METRICS_HOST,
    statusAuth: e.STATUS_AUTH ? Object.freeze({ ...e.STATUS_AUTH }) : undefined,
    leaseTtlMs: e.SYNC_LEASE_TTL,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT ?? ((opts.isTty ?? process.stderr.isTTY) ? "pretty" : "json"),
    historyDays: e.SYNC_HISTORY_DAYS,
    runHistory: e.SYNC_RUN_HISTORY,
    runHistoryDays: e.SYNC_RUN_HISTORY_DAYS,
    recheckFactor: e.SYNC_RECHECK_FACTOR,
    maxRequestsPerHour: e.SYNC_MAX_REQUESTS_PER_HOUR,
    record: recordSettings(e, opts.cwd ?? process.cwd()),
    unknownVariables: Object.freeze(unknownVariables),
  });
}

/** Where the database lives, for logs and errors: host and database name, never the password. */
export function describeDatabase(config: Pick<Config, "databaseUrl" | "pgliteDir">): string {
  if (!config.databaseUrl) return `embedded PGlite at ${config.pgliteDir}`;
  try {
    const u = new URL(config.databaseUrl);
    return `postgres://${u.hostname}${u.port ? `:${u.port}` : ""}${u.pathname}`;
  } catch {
    return "postgres (unparseable DATABASE_URL)";
  }
}
