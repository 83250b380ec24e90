// `approvals-sync demo`
import type { Command } from "commander";
import { type Run, intArg } from "./common.js";

export function registerDemo(program: Command, run: Run): void {
  program
    .command("demo")
    .description("zero-config end to end: fake Bird API + embedded database, sync, status and reports")
    .option("--flows <n>", "approval flows in the fake API", intArg(1, 50), 3)
    .option("--runs <n>", "runs per flow", intArg(1, 100_000), 1000)
    .option("--no-progress", "no progress bars or progress log lines")
    .option("--force", "write the demo into a database that holds another organization's flows")
    .addHelpText(
      "after",
      "\nNeeds no Bird credentials and no PostgreSQL: data goes to ./.data/pglite (or DATABASE_URL if set).\nRun it twice: the second run is incremental. It exits 2 instead of writing into a database that holds\nanother organization's flows (--force writes anyway).\n\nExample:\n  npm run demo",
    )
    .action(
      run(async (opts: { flows: number; runs: number; progress: boolean; force?: boolean }) => {
        const { runDemoCommand } = await import("../commands/demo.js");
        return runDemoCommand({ flows: opts.flows, runs: opts.runs, progress: opts.progress, force: opts.force === true });
      }),
    );
}
