// `approvals-sync report [NAME] [--format table|csv|json] [--flow ID] [--org ID] [--since DATE] [--until DATE] [--run ID]`
import { type Command, Option } from "commander";
import { startRuntime, withReadOnlyDatabase } from "../commands/runtime.js";
import type { Run } from "../commands/common.js";

interface ReportFlags {
  format: "table" | "csv" | "json";
  csvRaw?: boolean;
  flow?: string;
  org?: string;
  since?: string;
  until?: string;
  run?: string;
}

export function registerReport(program: Command, run: Run): void {
  program
    .command("report")
    .description("named reporting queries over the bird.* views (no NAME: list them)")
    .argument(
      "[name]",
      "summary, daily, latency, backlog, reviewers, tags, health, rejects, decisions, history or steps (omit to list them)",
    )
    .addOption(new Option("--format <format>", "output format").choices(["table", "csv", "json"]).default("table"))
    .option("--csv-raw", "csv cells exactly as stored: no ' before cells starting with = + - @ (spreadsheet formulas)")
    .option("--flow <id>", "only this flow: its id, or the start of it as status shows it")
    .option("--org <id>", "only the flows of this organization (a database may hold several)")
    .option("--since <date>", "runs created on or after DATE (YYYY-MM-DD in UTC, or an ISO date-time)")
    .option("--until <date>", "runs created up to DATE (a YYYY-MM-DD includes that whole day)")
    .option("--run <id>", "the run whose versions `report history` shows")
    .addHelpText(
      "after",
      '\nData only on stdout (csv: RFC 4180, cells starting with = + - @ prefixed with \' so spreadsheets do not run them, unless --csv-raw; json: an array of objects); the views are in README "Reporting".\n\nExample:\n  approvals-sync report daily --since 2025-03-01 --format csv > daily.csv',
    )
    .action(
      run(async (name: string | undefined, opts: ReportFlags) => {
        const { answerReportWithoutDatabase, runReportCommand } = await import("../report/command.js");
        const args = {
          name,
          format: opts.format,
          csvRaw: opts.csvRaw === true,
          flowId: opts.flow,
          organizationId: opts.org,
          since: opts.since,
          until: opts.until,
          runId: opts.run,
        };
        // Listings and usage errors need no database: do not open (and perhaps create) one for them.
        if (answerReportWithoutDatabase(args, process.stdout)) return;
        const rt = startRuntime({}, false);
        await withReadOnlyDatabase(rt, "report", (db) => runReportCommand(db, args, process.stdout));
      }),
    );
}
