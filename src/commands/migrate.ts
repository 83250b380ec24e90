// `approvals-sync migrate`
import type { Command } from "commander";
import { startRuntime, withDatabase } from "./runtime.js";
import type { Run } from "./common.js";

export function registerMigrate(program: Command, run: Run): void {
  program
    .command("migrate")
    .description("apply the database migrations (idempotent)")
    .addHelpText(
      "after",
      "\nUses DATABASE_URL (unset: embedded PGlite).\n\nExample:\n  DATABASE_URL=postgres://localhost/bird approvals-sync migrate",
    )
    .action(
      run(async () => {
        const rt = startRuntime({}, false);
        await withDatabase(rt, true, async (db) => rt.logger.info({ database: db.location }, "migrations applied"));
      }),
    );
}
