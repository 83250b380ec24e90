// `approvals-sync report [NAME] [--format table|csv|json] [--flow ID] [--since DATE] [--until DATE] [--run ID]`
import { type Command, Option } from "commander";
import { startRuntime, withReadOnlyDatabase } from "../commands/runtime.js";
import type { Run } from "./common.js";

interface ReportFlags {
  format: "table" | "csv" | "json";
  flow?: string;
  since?: string;
  until?: string;
  run?: string;
}

export function registerReport(program: Command, run: Run): void {
  program
    .command("report")
    .description("named reporting queries over the bird.* views (no NAME: list them)")
    .argument("[name]", "summary, daily, latency, backlog, reviewers, tags, health, decisions, history or steps (omit to list them)")
    .addOption(new Option("--format <format>", "output format").choices(["table", "csv", "json"]).default("table"))
    .option("--flow <id>", "only this flow")
    .option("--since <date>", "runs created on or after DATE (YYYY-MM-DD in UTC, or an ISO date-time)")
    .option("--until <date>", "runs created up to DATE (a YYYY-MM-DD includes that whole day)")
    .option("--run <id>", "the run whose versions `report history` shows")
    .addHelpText(
      "after",
      '\nData only on stdout (csv: RFC 4180; json: an array of objects); the views are in README "Reporting".\n\nExample:\n  approvals-sync report daily --since 2025-03-01 --format csv > daily.csv',
    )
    .action(
      run(async (name: string | undefined, opts: ReportFlags) => {
        const { answerReportWithoutDatabase, runReportCommand } = await import("../report/command.js");
        const args = { name, format: opts.format, flowId: opts.flow, since: opts.since, until: opts.until, runId: opts.run };
        // Listings and usage errors need no database: do not open (and perhaps create) one for them.
        if (answerReportWithoutDatabase(args, process.stdout)) return;
        const rt = startRuntime({}, false);
        await withReadOnlyDatabase(rt, (db) => runReportCommand(db, args, process.stdout));
      }),
    );
}
