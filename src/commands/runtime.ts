// What every command shares: config from env + flags, a logger, the database, and mapping errors to exits.
import type { Logger } from "pino";
import { openMigratedDatabase } from "../app.js";
import { type Config, type EnvName, loadConfig } from "../config.js";
import type { Database } from "../db/database.js";
import { ConfigError, EXIT_FATAL, SyncError } from "../errors.js";
import { createLogger, scrubSecrets, secretsOf } from "../log.js";
import { describeUnknownVariable } from "../unknown-variables.js";

export interface Runtime {
  config: Config;
  logger: Logger;
}

export function startRuntime(overrides: Partial<Record<EnvName, string>>, requireBird: boolean): Runtime {
  const config = loadConfig({ overrides, requireBird });
  const logger = createLogger(config);
  warnUnknownVariables(config, logger);
  return { config, logger };
}

/** A misspelled setting would otherwise be ignored in silence (issue 15: DATABASE_ULR). */
export function warnUnknownVariables(config: Config, logger: Logger): void {
  for (const v of config.unknownVariables) {
    logger.warn({ variable: v.name, source: v.source, suggestion: v.suggestion }, describeUnknownVariable(v));
  }
}

/** Opens the database, migrating first when the command (and SYNC_AUTO_MIGRATE) wants it. */
export async function withDatabase<T>(rt: Runtime, migrate: boolean, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await openMigratedDatabase(rt.config, rt.logger, migrate);
  try {
    return await fn(db);
  } finally {
    await db.close().catch(() => undefined);
  }
}

let secretsForErrors: string[] = [];

/** Runs a command body and exits with its code; errors print one clear line, never a secret. */
export async function runToExit(body: () => Promise<number>): Promise<never> {
  let code: number;
  try {
    code = await body();
  } catch (err) {
    code = reportFatal(err);
  }
  // Let stdout/stderr drain before exiting (pipes are async in Node).
  await new Promise<void>((resolve) => process.stdout.write("", () => resolve()));
  process.exit(code);
}

export function rememberSecrets(config: Config): void {
  secretsForErrors = secretsOf(config);
}

function reportFatal(err: unknown): number {
  const known = err instanceof SyncError;
  const message = err instanceof Error ? err.message : String(err);
  const label = err instanceof ConfigError ? "configuration error" : "error";
  process.stderr.write(`approvals-sync: ${label}: ${scrubSecrets(message, secretsForErrors)}\n`);
  if (!known && err instanceof Error && err.stack && process.env.LOG_LEVEL === "debug") {
    process.stderr.write(`${scrubSecrets(err.stack, secretsForErrors)}\n`);
  }
  return known ? (err as SyncError).exitCode : err instanceof Error && /ECONNREFUSED|ENOTFOUND|password authentication/.test(message) ? EXIT_FATAL : 1;
}
