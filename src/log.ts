// pino to stderr (stdout stays clean for data: `report`, `status --json`), pretty only on a TTY.
// Secrets are redacted twice: by key path, and by value in every serialized line as a last line of defence.
import pino, { type Logger } from "pino";
import pretty from "pino-pretty";
import type { Config } from "./config.js";

export type { Logger } from "pino";

const REDACT_PATHS = [
  "accessKey",
  "*.accessKey",
  "authorization",
  "Authorization",
  "headers.authorization",
  "headers.Authorization",
  "*.headers.authorization",
  "*.headers.Authorization",
  "databaseUrl",
  "*.databaseUrl",
  "statusAuth",
  "*.statusAuth",
];

/** Replaces every occurrence of each secret in text. */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join("[REDACTED]");
  return out;
}

/** The values that must never be printed: the access key, the database password, the status page password. */
export function secretsOf(config: Pick<Config, "accessKey" | "databaseUrl"> & Partial<Pick<Config, "statusAuth">>): string[] {
  const secrets = [config.accessKey];
  if (config.statusAuth) secrets.push(config.statusAuth.password);
  if (config.databaseUrl) {
    try {
      const pw = decodeURIComponent(new URL(config.databaseUrl).password);
      if (pw) secrets.push(pw);
    } catch {
      // an unparseable URL is reported by the connection code
    }
  }
  return secrets.filter(Boolean);
}

export function createLogger(
  config: Pick<Config, "logLevel" | "logFormat" | "accessKey" | "databaseUrl"> & Partial<Pick<Config, "statusAuth">>,
  destination: NodeJS.WritableStream = process.stderr,
): Logger {
  const secrets = secretsOf(config);
  const options: pino.LoggerOptions = {
    level: config.logLevel,
    base: { pid: process.pid },
    redact: { paths: REDACT_PATHS, censor: "[REDACTED]" },
    hooks: { streamWrite: (line) => scrubSecrets(line, secrets) },
  };
  if (config.logFormat === "pretty") {
    return pino(
      options,
      pretty({
        destination,
        sync: true,
        singleLine: true,
        ignore: "pid,hostname",
        colorize: (destination as { isTTY?: boolean }).isTTY === true,
      }),
    );
  }
  return pino(options, destination === process.stderr ? pino.destination({ dest: 2, sync: true }) : destination);
}
