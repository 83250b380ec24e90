// Drives the built CLI (dist/cli.js) as a user would: a child process, env in, exit code and output out.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { trackChild } from "./children.js";

export const CLI = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  child: ChildProcess;
  /** stdout + stderr so far. */
  output(): string;
  done: Promise<CliResult>;
}

/** Base env for the CLI: no inherited Bird/DB settings, JSON logs. */
export function cliEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LOG_FORMAT: "json", LOG_LEVEL: "info" };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

export function startCli(args: string[], env: NodeJS.ProcessEnv, cwd?: string): CliProcess {
  const child = spawn(process.execPath, [CLI, ...args], { env, cwd, stdio: ["ignore", "pipe", "pipe"] });
  trackChild(child, `approvals-sync ${args.join(" ")}`);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, output: () => stdout + stderr, done };
}

export async function runCli(args: string[], env: NodeJS.ProcessEnv, opts: { timeoutMs?: number; cwd?: string } = {}): Promise<CliResult> {
  const p = startCli(args, env, opts.cwd);
  const timer = setTimeout(() => p.child.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
  try {
    return await p.done;
  } finally {
    clearTimeout(timer);
  }
}

/** Parsed JSON log lines (pino) from a process's stderr. */
export function logLines(stderr: string): Array<Record<string, unknown>> {
  return stderr
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        return {};
      }
    });
}
