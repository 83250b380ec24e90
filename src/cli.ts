#!/usr/bin/env node
// Entry point: parses the command line, runs one command, and maps how it ended to the exit code —
// the only place that does (DESIGN §2). Each command, its flags and its body, is src/commands/<command>.ts.
import { CommanderError } from "commander";
import { buildProgram } from "./cli/program.js";
import { type Run, failureLine } from "./commands/common.js";
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

async function main(argv: string[]): Promise<void> {
  const program = buildProgram(run);
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
