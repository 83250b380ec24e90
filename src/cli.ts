#!/usr/bin/env node
// Entry point: parses the command line, runs one command, and maps how it ended to the exit code —
// the only place that does (DESIGN §2). Each command registers itself from src/cli/<command>.ts.
import { Command, CommanderError } from "commander";
import { registerCheck } from "./cli/check.js";
import { registerDaemon } from "./cli/daemon.js";
import { registerDemo } from "./cli/demo.js";
import { registerFakeApi } from "./cli/fake-api.js";
import { registerForget } from "./cli/forget.js";
import { registerMigrate } from "./cli/migrate.js";
import { registerReport } from "./cli/report.js";
import { registerReset } from "./cli/reset.js";
import { registerStatus } from "./cli/status.js";
import { registerSync } from "./cli/sync.js";
import { registerUi } from "./cli/ui.js";
import { ENV_HELP, type Run, failureLine } from "./cli/common.js";
import { rememberedSecrets } from "./commands/runtime.js";
import { EXIT_FATAL, EXIT_OK, SyncError } from "./errors.js";
import { type CommandEnding, exitCodeOf } from "./sync/outcome.js";
import { scrubSecrets } from "./log.js";

/** Runs a command body, prints one clear line for an error (never a secret), and exits with the code. */
const run: Run =
  (body) =>
  async (...args) => {
    let ending: CommandEnding;
    try {
      ending = (await body(...args)) ?? undefined;
    } catch (error) {
      process.stderr.write(failureLine(error, rememberedSecrets()));
      if (!(error instanceof SyncError) && error instanceof Error && error.stack && process.env.LOG_LEVEL === "debug") {
        process.stderr.write(`${scrubSecrets(error.stack, rememberedSecrets())}\n`);
      }
      ending = { error };
    }
    // Let stdout/stderr drain before exiting (pipes are async in Node).
    await new Promise<void>((resolve) => process.stdout.write("", () => resolve()));
    process.exit(exitCodeOf(ending));
  };

export function buildProgram(): Command {
  const program = new Command("approvals-sync")
    .description("Copies every run of every Bird approval flow into PostgreSQL and keeps the copy fresh.")
    .version("0.1.0")
    .showHelpAfterError("(run with --help for usage)")
    .addHelpText(
      "after",
      `${ENV_HELP}\n\nExample:\n  BIRD_ACCESS_KEY=… BIRD_ORGANIZATION_ID=… DATABASE_URL=postgres://localhost/bird approvals-sync sync`,
    );
  for (const register of [
    registerMigrate,
    registerSync,
    registerDaemon,
    registerStatus,
    registerReport,
    registerReset,
    registerForget,
    registerFakeApi,
    registerDemo,
    registerCheck,
    registerUi,
  ]) {
    register(program, run);
  }
  return program;
}

async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  program.exitOverride();
  for (const cmd of program.commands) cmd.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      const ok = err.code === "commander.helpDisplayed" || err.code === "commander.version";
      process.exit(ok ? EXIT_OK : EXIT_FATAL);
    }
    throw err;
  }
}

await main(process.argv);
