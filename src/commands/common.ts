// What the command registrations share: help text, flag parsers, and the shape of a command's body.
import { type Command, InvalidArgumentError, Option } from "commander";
import type { EnvName } from "../config.js";
import { CommandError, ConfigError, errorMessage } from "../errors.js";
import { scrubSecrets } from "../log.js";
import { MIN_ID_PREFIX, isUuidPrefix } from "../uuid.js";
import type { FlowResult } from "../sync/outcome.js";

export const ENV_HELP = `
Environment (also read from ./.env; flags win):
  DATABASE_URL          postgres://… (unset: embedded PGlite in ./.data/pglite)
  BIRD_ACCESS_KEY       Bird access key (required for sync/backfill/daemon; never printed)
  BIRD_ORGANIZATION_ID  organization whose approval flows are synced (required)
  BIRD_APPROVAL_IDS     comma-separated flow ids (unset: every flow Bird lists)
  BIRD_API_URL          default https://api.bird.com
  SYNC_PAGE_SIZE 100 · SYNC_CONCURRENCY 4 · SYNC_SCHEDULE "*/5 * * * *" · SYNC_FULL_EVERY 24h
  SYNC_AUTO_MIGRATE true · BIRD_MAX_RPS 50 · HTTP_TIMEOUT_MS 30000 · SYNC_MAX_RETRIES 6
  HTTP_MAX_RESPONSE_BYTES 16MB · SYNC_MAX_RETRY_AFTER one SYNC_SCHEDULE interval (longer Retry-After: the pass fails)
  METRICS_PORT 9464 · METRICS_HOST 0.0.0.0 · SYNC_LEASE_TTL 60s · SYNC_HISTORY_DAYS 30 · LOG_LEVEL info · LOG_FORMAT pretty|json
  STATUS_AUTH           user:password: HTTP basic auth on the status page (never printed)
  SYNC_RECORD_FILE      record requests and answers (the daemon's next SYNC_RECORD_CYCLES cycles or SYNC_RECORD_FOR; --record FILE per command)

Exit codes: 0 everything synced · 1 some flow failed (others synced) · 2 configuration, auth or database error`;

/**
 * Wraps a command's body into a commander action. The body returns what it ended with (nothing, or a
 * cycle's flows) or throws; cli.ts alone turns that into the exit code.
 */
export type Run = <A extends unknown[]>(body: (...args: A) => Promise<CommandResult>) => (...args: A) => Promise<void>;

/** A command body's result: nothing (it did what it was asked), or the cycle it ran. */
// biome-ignore lint/suspicious/noConfusingVoidType: bodies are async functions; most return nothing (Promise<void>).
export type CommandResult = { readonly flows: readonly FlowResult[] } | void;

export const collect = (value: string, previous: string[] = []) => [
  ...previous,
  ...value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean),
];

/**
 * `--flow` values: one or more flow ids (repeatable, or comma-separated), each checked here so a typo is
 * blamed on the flag that carried it (issue 15: it used to surface as a BIRD_APPROVAL_IDS error). The
 * start of an id, as `status` shows it, is taken too and resolved against the database (issue 24).
 */
export const flowIds = (value: string, previous: string[] = []) => {
  const next = collect(value, previous);
  const bad = next.find((id) => !isUuidPrefix(id));
  if (bad !== undefined || next.length === previous.length) {
    throw new InvalidArgumentError(
      `must be a flow id, a uuid like 0b6c2f9e-5a1d-4c3b-9e8f-1a2b3c4d5e6f, or its start as \`status\` shows it (${MIN_ID_PREFIX}+ characters, e.g. 0b6c2f9e) (got ${JSON.stringify(bad ?? value)})`,
    );
  }
  // One flow given twice, or in two cases, is one flow.
  return [...new Set(next.map((id) => id.toLowerCase()))];
};

export const intArg = (min: number, max: number) => (value: string) => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new InvalidArgumentError(`must be an integer ${min}..${max}`);
  return n;
};

/** The one line a failed command prints on stderr; never a secret. */
export function failureLine(err: unknown, secrets: readonly string[]): string {
  const prefix =
    err instanceof CommandError
      ? `approvals-sync ${err.command}`
      : `approvals-sync: ${err instanceof ConfigError ? "configuration error" : "error"}`;
  return `${prefix}: ${scrubSecrets(errorMessage(err), secrets)}\n`;
}

export interface RecordFlags {
  record?: string;
  recordRedact?: "default" | "none";
}

/** `--record FILE` and `--record-redact none` (issue 25) on sync, backfill and check. */
export function addRecordOptions(command: Command): Command {
  return command
    .option("--record <file>", "append every request to Bird and its answer to FILE (gzip JSON lines; free text redacted)")
    .addOption(
      new Option("--record-redact <mode>", "none: keep free text in the recording as Bird sent it (logged as a warning)").choices([
        "default",
        "none",
      ]),
    );
}

/** The recording flags as the settings they set for this command. */
export function recordOverrides(flags: RecordFlags): Partial<Record<EnvName, string>> {
  if (flags.recordRedact !== undefined && flags.record === undefined) {
    throw new CommandError("--record-redact", "needs --record FILE");
  }
  return {
    ...(flags.record !== undefined ? { SYNC_RECORD_FILE: flags.record } : {}),
    ...(flags.recordRedact !== undefined ? { SYNC_RECORD_REDACT: flags.recordRedact } : {}),
  };
}
