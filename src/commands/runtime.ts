// What every command shares: config from env + flags, a logger, and the database.
import type { Logger } from "pino";
import { openMigratedDatabase } from "../app.js";
import { type Config, type EnvName, loadConfig } from "../config.js";
import type { Database } from "../db/database.js";
import { embeddedDatabaseExists, openDatabase } from "../db/connect.js";
import { CommandError, errorMessage } from "../errors.js";
import { createLogger, secretsOf } from "../log.js";
import { assertSchemaCurrent } from "../db/schema-version.js";
import { TerminalStream } from "../progress/terminal.js";
import { describeUnknownVariable } from "../unknown-variables.js";

export interface Runtime {
  config: Config;
  logger: Logger;
  /** On a terminal: where the logger writes, so progress bars can print its lines above themselves. */
  terminal?: TerminalStream;
}

export function startRuntime(
  overrides: Partial<Record<EnvName, string>>,
  requireBird: boolean,
  /** This command's own defaults (the environment wins), e.g. quieter logs for `check`. */
  defaults: Partial<Record<EnvName, string>> = {},
): Runtime {
  const config = loadConfig({ overrides, requireBird, defaults });
  const terminal = process.stderr.isTTY ? new TerminalStream(process.stderr) : undefined;
  const logger = createLogger(config, terminal ?? process.stderr);
  warnUnknownVariables(config, logger);
  return { config, logger, ...(terminal ? { terminal } : {}) };
}

/** A misspelled setting would otherwise be ignored in silence (issue 15: DATABASE_ULR). */
export function warnUnknownVariables(config: Config, logger: Logger): void {
  for (const v of config.unknownVariables) {
    logger.warn({ variable: v.name, source: v.source, suggestion: v.suggestion }, describeUnknownVariable(v));
  }
}

/** Opens the database, migrating first when the command (and SYNC_AUTO_MIGRATE) wants it. */
export async function withDatabase<T>(rt: Runtime, migrate: boolean, fn: (db: Database) => Promise<T>): Promise<T> {
  return useThenClose(rt, await openMigratedDatabase(rt.config, rt.logger, migrate), fn);
}

async function useThenClose<T>(rt: Runtime, db: Database, fn: (db: Database) => Promise<T>): Promise<T> {
  try {
    return await fn(db);
  } finally {
    // The command's own result (or error) matters more; a failed close is only worth a line.
    await db.close().catch((err) => rt.logger.warn({ err: errorMessage(err) }, "closing the database failed"));
  }
}

/**
 * For commands that only read (status, report): read-only sessions, never a migration, so a read-only
 * role can run them; a schema behind this version exits 2 saying so. Without DATABASE_URL they do not
 * create an embedded database that is not there (issue 24: status created 39 MB in the working folder).
 */
export async function withReadOnlyDatabase<T>(rt: Runtime, command: string, fn: (db: Database) => Promise<T>): Promise<T> {
  const { config } = rt;
  if (!config.databaseUrl && !embeddedDatabaseExists(config.pgliteDir)) {
    throw new CommandError(
      command,
      `no database yet: DATABASE_URL is not set and there is no embedded database at ${config.pgliteDir} — set DATABASE_URL=postgres://… (or PGLITE_DIR) to the database that \`sync\` writes, or run \`approvals-sync sync\` (or \`npm run demo\`) first`,
    );
  }
  const db = await openDatabase(config, rt.logger, { poolSize: 4, readOnly: true });
  return useThenClose(rt, db, async () => {
    await assertSchemaCurrent(db, db.location);
    return fn(db);
  });
}

let secretsForErrors: string[] = [];

/** Secrets to scrub from the one error line cli.ts prints: known once a command has loaded its config. */
export function rememberSecrets(config: Config): void {
  secretsForErrors = secretsOf(config);
}

export function rememberedSecrets(): readonly string[] {
  return secretsForErrors;
}
