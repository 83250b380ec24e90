// `demo`: the whole product with zero setup — the built-in fake Bird API in-process, the embedded
// database (or DATABASE_URL), one sync, then status and reports, and what to try next.
import { createSyncContext } from "../app.js";
import { type Config, loadConfig } from "../config.js";
import { otherOrganizations } from "../db/flows.js";
import { CommandError } from "../errors.js";
import { organizationKey } from "../uuid.js";
import { readFlowStatuses } from "../db/status.js";
import type { Database, SqlRunner } from "../db/database.js";
import { type FakeBirdApi, startFakeBirdApi } from "../fake/index.js";
import { createLogger } from "../log.js";
import { progressObserver } from "../progress/observer.js";
import { runReportCommand } from "./report.js";
import { formatStatusTable } from "./status.js";
import { runSyncCycle } from "../sync/cycle.js";
import type { CycleResult } from "../sync/outcome.js";
import { rememberSecrets, warnUnknownVariables, withDatabase } from "./runtime.js";
import type { Command } from "commander";
import { type Run, intArg } from "./common.js";

export interface DemoOptions {
  flows: number;
  runs: number;
  progress: boolean;
  /** Write the demo's fake organization into a database that holds another organization's flows. */
  force?: boolean;
}

/**
 * The demo's fake flows and runs do not belong in a database someone syncs a real organization into
 * (issue 23): its flows would sit in their reports and status. Exit 2 naming --force instead.
 */
async function refuseOtherOrganizations(db: SqlRunner, demoOrganization: string, location: string): Promise<void> {
  const others = await otherOrganizations(db, organizationKey(demoOrganization));
  if (others.length === 0) return;
  const whose = others.map((o) => `${o.organizationId ?? "an unknown organization"} (${o.flows} flows)`).join(", ");
  throw new CommandError(
    "demo",
    `${location} holds another organization's data: ${whose}. The demo writes its fake organization's flows and runs next to them; ` +
      "run it with --force to do so anyway, or point DATABASE_URL (or PGLITE_DIR) at an empty database",
  );
}

// Same seed every time: a second demo run finds the same flows and runs, so its pass is incremental.
const DEMO_SEED = 2026;
const DECIDED_BETWEEN_DEMOS = 2;

export async function runDemoCommand(opts: DemoOptions, out: NodeJS.WritableStream = process.stdout): Promise<CycleResult> {
  const api = await startFakeBirdApi({ port: 0, flows: opts.flows, runsPerFlow: opts.runs, seed: DEMO_SEED, pendingFraction: 0.08 });
  try {
    const config = loadConfig({
      // The demo's own output tells the story; logs only for problems unless LOG_LEVEL says otherwise.
      defaults: { LOG_LEVEL: "warn" },
      overrides: {
        BIRD_API_URL: api.url,
        BIRD_ORGANIZATION_ID: api.organizationId,
        BIRD_ACCESS_KEY: api.accessKey,
        BIRD_APPROVAL_IDS: "",
        BIRD_MAX_RPS: "0",
        SYNC_AUTO_MIGRATE: "true",
      },
      requireBird: true,
    });
    rememberSecrets(config);
    const logger = createLogger(config);
    warnUnknownVariables(config, logger);
    const say = (line = "") => out.write(`${line}\n`);
    say(`Demo: a fake Bird API with ${opts.flows} approval flows × ${opts.runs} runs at ${api.url}`);
    return await withDatabase({ config, logger }, true, async (db) => {
      if (!opts.force) await refuseOtherOrganizations(db, api.organizationId, db.location);
      say(`Database: ${db.location}`);
      say();
      const again = await decideBetweenDemos(api, db, say);
      const startedAt = new Date().toISOString();
      const observer = opts.progress ? await progressObserver(logger) : {};
      const ctx = createSyncContext(config, logger, db, observer);
      const result = await runSyncCycle(ctx, { full: false, respectBackoff: false, signal: new AbortController().signal });
      const kinds = new Set(result.flows.map((f) => f.kind));
      const inserted = result.flows.reduce((n, f) => n + f.totals.inserted, 0);
      const requests = result.flows.reduce((n, f) => n + f.totals.requests, 0);
      say(
        `Synced ${result.flows.length} flows (${[...kinds].join(" + ")} pass) in ${(result.durationMs / 1000).toFixed(1)} s: ` +
          `${inserted} runs inserted, ${requests} API requests.`,
      );
      say();
      // With --force the database holds other organizations too: show the demo's own.
      const statuses = await readFlowStatuses(db, organizationKey(api.organizationId));
      say(`Runs stored: ${statuses.reduce((n, s) => n + s.runs, 0)}`);
      say();
      say("approvals-sync status");
      out.write(formatStatusTable(statuses));
      await showReports(db, out, api.organizationId, again ? startedAt : undefined);
      sayTryNext(say, config, db.location);
      return result;
    });
  } finally {
    await api.close();
  }
}

/** A second demo: the fake Bird's reviewers decided a few runs since the first; the sync records when. */
async function decideBetweenDemos(api: FakeBirdApi, db: Database, say: (line?: string) => void): Promise<boolean> {
  if (!(await readFlowStatuses(db)).some((s) => s.runs > 0)) return false;
  const decided = api.store.flowIds().flatMap((flowId) => api.store.decideRuns(flowId, DECIDED_BETWEEN_DEMOS));
  say(`Since the last demo, ${decided.length} pending runs were decided in the fake Bird API.`);
  say();
  return true;
}

/** Two reports, and the decisions this sync saw first when it is a second demo (`since`). */
async function showReports(db: Database, out: NodeJS.WritableStream, organizationId: string, since: string | undefined): Promise<void> {
  const say = (line = "") => out.write(`${line}\n`);
  for (const name of ["summary", "latency"]) {
    say();
    say(`approvals-sync report ${name}`);
    await runReportCommand(db, { name, format: "table", organizationId }, out);
  }
  say();
  if (since === undefined) {
    say("Run `npm run demo` again: some runs get decided in between, and `report decisions` shows when.");
    return;
  }
  say(`approvals-sync report decisions --since ${since}     # decisions first seen by this sync, with their windows`);
  await runReportCommand(db, { name: "decisions", format: "table", organizationId, since }, out);
}

function sayTryNext(say: (line?: string) => void, config: Config, location: string): void {
  say();
  say("Try next:");
  // The page reads the database the demo just closed; it runs until Ctrl-C, so the demo only offers it.
  say("  npx approvals-sync ui --port 9464     # the status page of what was just synced: http://127.0.0.1:9464/");
  say("  npm run demo                          # again: the second run is incremental (a handful of requests)");
  say("  npx approvals-sync report             # list the reports; e.g. `report latency --format csv`");
  say("  npx approvals-sync fake-api           # a fake Bird API to point `sync` or `daemon` at");
  say("  BIRD_ACCESS_KEY=… BIRD_ORGANIZATION_ID=… DATABASE_URL=postgres://… npx approvals-sync daemon");
  say(
    config.databaseUrl
      ? `  The data went to the PostgreSQL database in DATABASE_URL (${location}).`
      : `  The embedded database lives in ${config.pgliteDir}; set DATABASE_URL to use PostgreSQL.`,
  );
}

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
