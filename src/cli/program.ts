// The command tree: every command registers itself (flags and body) from src/commands/<command>.ts. cli.ts runs it; the
// README contract test reads it (every flag of every command is in the README's Commands table).
import { Command } from "commander";
import { registerCheck } from "../commands/check.js";
import { ENV_HELP, type Run } from "../commands/common.js";
import { registerDaemon } from "../commands/daemon.js";
import { registerDemo } from "../commands/demo.js";
import { registerFakeApi } from "../commands/fake-api.js";
import { registerForget } from "../commands/forget.js";
import { registerMigrate } from "../commands/migrate.js";
import { registerReport } from "../commands/report.js";
import { registerReset } from "../commands/reset.js";
import { registerStatus } from "../commands/status.js";
import { registerSync } from "../commands/sync.js";
import { registerUi } from "../commands/ui.js";

/** `run` wraps each command's body (cli.ts maps how it ended to the exit code). */
export function buildProgram(run: Run): Command {
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
