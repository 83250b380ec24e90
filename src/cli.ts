#!/usr/bin/env node
// Entry point: parses the command line, runs one command, maps its outcome to an exit code (DESIGN §2).
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import type { EnvName } from "./config.js";
import { EXIT_FATAL } from "./errors.js";
import { rememberSecrets, runToExit, startRuntime, withDatabase } from "./commands/runtime.js";
import { runSyncCommand } from "./commands/sync.js";
import { readFlowStatuses } from "./db/status.js";
import { resetFlowState } from "./db/state.js";
import { formatStatusTable } from "./status.js";

const ENV_HELP = `
Environment (also read from ./.env; flags win):
  DATABASE_URL          postgres://… (unset: embedded PGlite in ./.data/pglite)
  BIRD_ACCESS_KEY       Bird access key (required for sync/backfill/daemon; never printed)
  BIRD_ORGANIZATION_ID  organization whose approval flows are synced (required)
  BIRD_APPROVAL_IDS     comma-separated flow ids (unset: every flow Bird lists)
  BIRD_API_URL          default https://api.bird.com
  SYNC_PAGE_SIZE 100 · SYNC_CONCURRENCY 4 · SYNC_SCHEDULE "*/5 * * * *" · SYNC_FULL_EVERY 24h
  SYNC_AUTO_MIGRATE true · BIRD_MAX_RPS 50 · HTTP_TIMEOUT_MS 30000 · SYNC_MAX_RETRIES 6
  METRICS_PORT 9464 · SYNC_LEASE_TTL 60s · LOG_LEVEL info · LOG_FORMAT pretty|json

Exit codes: 0 everything synced · 1 some flow failed (others synced) · 2 configuration, auth or database error`;

const collect = (value: string, previous: string[] = []) => [...previous, ...value.split(",").map((s) => s.trim()).filter(Boolean)];

const intArg = (min: number, max: number) => (value: string) => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new InvalidArgumentError(`must be an integer ${min}..${max}`);
  return n;
};

function flowOverrides(flows: string[] | undefined): Partial<Record<EnvName, string>> {
  return flows?.length ? { BIRD_APPROVAL_IDS: flows.join(",") } : {};
}

export function buildProgram(): Command {
  const program = new Command("approvals-sync")
    .description("Copies every run of every Bird approval flow into PostgreSQL and keeps the copy fresh.")
    .version("0.1.0")
    .showHelpAfterError("(run with --help for usage)")
    .addHelpText("after", `${ENV_HELP}\n\nExample:\n  BIRD_ACCESS_KEY=… BIRD_ORGANIZATION_ID=… DATABASE_URL=postgres://localhost/bird approvals-sync sync`);

  program
    .command("migrate")
    .description("apply the database migrations (idempotent)")
    .addHelpText("after", "\nUses DATABASE_URL (unset: embedded PGlite).\n\nExample:\n  DATABASE_URL=postgres://localhost/bird approvals-sync migrate")
    .action(() =>
      runToExit(async () => {
        const rt = startRuntime({}, false);
        await withDatabase(rt, true, async (db) => rt.logger.info({ database: db.location }, "migrations applied"));
        return 0;
      }),
    );

  const syncAction = (full: boolean) => (opts: { flow?: string[]; full?: boolean; progress?: boolean }) =>
    runToExit(async () => {
      const rt = startRuntime(flowOverrides(opts.flow), true);
      rememberSecrets(rt.config);
      const observer = opts.progress === false ? undefined : await (await import("./progress/observer.js")).progressObserver(rt.logger);
      return runSyncCommand(rt, { flowIds: opts.flow, full: full || opts.full === true, ...(observer ? { observer } : {}) });
    });

  program
    .command("sync")
    .description("one pass over the flows, then exit (backfill first time, incremental after)")
    .option("--flow <id>", "only this flow (repeatable, or comma-separated)", collect)
    .option("--full", "force a full reconcile: re-read every page and mark deleted runs")
    .option("--no-progress", "no progress bars or progress log lines")
    .addHelpText("after", `${ENV_HELP}\n\nExample:\n  approvals-sync sync --flow 0b6c…e1 --full`)
    .action(syncAction(false));

  program
    .command("backfill")
    .description("full reconcile of every flow (same as sync --full)")
    .option("--flow <id>", "only this flow (repeatable, or comma-separated)", collect)
    .option("--no-progress", "no progress bars or progress log lines")
    .addHelpText("after", `${ENV_HELP}\n\nExample:\n  approvals-sync backfill`)
    .action(syncAction(true));

  program
    .command("daemon")
    .description("long-running: a cycle at start, then on SYNC_SCHEDULE; /metrics, /healthz, /readyz on METRICS_PORT")
    .addHelpText(
      "after",
      `${ENV_HELP}\n\nSIGTERM/SIGINT: no new cycles, the page being written commits or rolls back, leases are released, exit 0 within 10 s.\n\nExample:\n  SYNC_SCHEDULE="*/2 * * * *" METRICS_PORT=9464 approvals-sync daemon`,
    )
    .action(() =>
      runToExit(async () => {
        const rt = startRuntime({}, true);
        rememberSecrets(rt.config);
        const { runDaemonCommand } = await import("./commands/daemon.js");
        return runDaemonCommand(rt);
      }),
    );

  program
    .command("status")
    .description("per flow: mode, last pass, rows, cursor, lease, last error, lag")
    .option("--json", "print JSON (data only on stdout)")
    .addHelpText("after", "\nExample:\n  approvals-sync status --json | jq '.[] | {flowId, lagSeconds}'")
    .action((opts: { json?: boolean }) =>
      runToExit(async () => {
        const rt = startRuntime({}, false);
        const flows = await withDatabase(rt, rt.config.autoMigrate, (db) => readFlowStatuses(db));
        process.stdout.write(opts.json ? `${JSON.stringify(flows, null, 2)}\n` : formatStatusTable(flows));
        return 0;
      }),
    );

  program
    .command("report")
    .description("named reporting queries over the bird.* views (no NAME: list them)")
    .argument("[name]", "summary, daily, latency, backlog, reviewers, tags or health (omit to list them)")
    .addOption(new Option("--format <format>", "output format").choices(["table", "csv", "json"]).default("table"))
    .option("--flow <id>", "only this flow")
    .option("--since <date>", "runs created on or after DATE (YYYY-MM-DD in UTC, or an ISO date-time)")
    .option("--until <date>", "runs created up to DATE (a YYYY-MM-DD includes that whole day)")
    .addHelpText("after", "\nData only on stdout (csv: RFC 4180; json: an array of objects); the views are in README \"Reporting\".\n\nExample:\n  approvals-sync report daily --since 2025-03-01 --format csv > daily.csv")
    .action((name: string | undefined, opts: { format: "table" | "csv" | "json"; flow?: string; since?: string; until?: string }) =>
      runToExit(async () => {
        const { answerReportWithoutDatabase, runReportCommand } = await import("./report/command.js");
        const args = { name, format: opts.format, flowId: opts.flow, since: opts.since, until: opts.until };
        const early = answerReportWithoutDatabase(args, process.stdout);
        if (early !== undefined) return early;
        const rt = startRuntime({}, false);
        return withDatabase(rt, rt.config.autoMigrate, (db) => runReportCommand(db, args, process.stdout));
      }),
    );

  program
    .command("reset")
    .description("forget cursor state so the next sync is a full pass (keeps the data)")
    .option("--flow <id>", "this flow (repeatable, or comma-separated)", collect)
    .option("--all", "every flow")
    .addHelpText("after", "\nExample:\n  approvals-sync reset --all")
    .action((opts: { flow?: string[]; all?: boolean }) =>
      runToExit(async () => {
        if (!opts.all && !opts.flow?.length) {
          process.stderr.write("approvals-sync reset: give --flow ID or --all\n");
          return EXIT_FATAL;
        }
        const rt = startRuntime({}, false);
        const n = await withDatabase(rt, rt.config.autoMigrate, (db) => resetFlowState(db, opts.all ? "all" : opts.flow!));
        rt.logger.info({ flows: n }, "cursor state reset; the next sync runs a full pass");
        return 0;
      }),
    );

  program
    .command("fake-api")
    .description("run the built-in fake Bird API (try the tool without Bird credentials)")
    .option("--port <n>", "port (0 = any free port)", intArg(0, 65_535), 4010)
    .option("--flows <n>", "number of approval flows", intArg(1, 1000), 3)
    .option("--runs <n>", "runs per flow", intArg(0, 10_000_000), 1050)
    .option("--seed <n>", "data seed", intArg(0, 2 ** 31), 1)
    .addOption(new Option("--order <order>", "default list order").choices(["asc", "desc"]).default("asc"))
    .option("--faults <json>", 'fault injection, e.g. \'{"rate429":0.05,"rate5xx":0.1}\'')
    .addHelpText("after", "\nExample:\n  approvals-sync fake-api --port 4010 --flows 3 --runs 1000")
    .action((opts: { port: number; flows: number; runs: number; seed: number; order: "asc" | "desc"; faults?: string }) =>
      runToExit(async () => {
        const { runFakeApiCommand } = await import("./fake/command.js");
        await runFakeApiCommand({
          port: opts.port,
          flows: opts.flows,
          runs: opts.runs,
          seed: opts.seed,
          order: opts.order,
          ...(opts.faults ? { faults: opts.faults } : {}),
        });
        return 0;
      }),
    );

  program
    .command("demo")
    .description("zero-config end to end: fake Bird API + embedded database, sync, status and reports")
    .option("--flows <n>", "approval flows in the fake API", intArg(1, 50), 3)
    .option("--runs <n>", "runs per flow", intArg(1, 100_000), 1000)
    .option("--no-progress", "no progress bars or progress log lines")
    .addHelpText(
      "after",
      "\nNeeds no Bird credentials and no PostgreSQL: data goes to ./.data/pglite (or DATABASE_URL if set).\nRun it twice: the second run is incremental.\n\nExample:\n  npm run demo",
    )
    .action((opts: { flows: number; runs: number; progress: boolean }) =>
      runToExit(async () => {
        const { runDemoCommand } = await import("./commands/demo.js");
        return runDemoCommand({ flows: opts.flows, runs: opts.runs, progress: opts.progress });
      }),
    );

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
      process.exit(ok ? 0 : EXIT_FATAL);
    }
    throw err;
  }
}

await main(process.argv);
