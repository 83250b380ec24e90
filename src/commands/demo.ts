// `demo`: the whole product with zero setup — the built-in fake Bird API in-process, the embedded
// database (or DATABASE_URL), one sync, then status and reports, and what to try next.
import { createSyncContext } from "../app.js";
import { type Config, loadConfig } from "../config.js";
import { readFlowStatuses } from "../db/status.js";
import type { Database } from "../db/database.js";
import { type FakeBirdApi, startFakeBirdApi } from "../fake/index.js";
import { createLogger } from "../log.js";
import { progressObserver } from "../progress/observer.js";
import { runReportCommand } from "../report/command.js";
import { formatStatusTable } from "../status.js";
import { runSyncCycle } from "../sync/cycle.js";
import type { CycleResult } from "../sync/outcome.js";
import { rememberSecrets, warnUnknownVariables, withDatabase } from "./runtime.js";

export interface DemoOptions {
  flows: number;
  runs: number;
  progress: boolean;
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
      const statuses = await readFlowStatuses(db);
      say(`Runs stored: ${statuses.reduce((n, s) => n + s.runs, 0)}`);
      say();
      say("approvals-sync status");
      out.write(formatStatusTable(statuses));
      await showReports(db, out, again ? startedAt : undefined);
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
async function showReports(db: Database, out: NodeJS.WritableStream, since: string | undefined): Promise<void> {
  const say = (line = "") => out.write(`${line}\n`);
  for (const name of ["summary", "latency"]) {
    say();
    say(`approvals-sync report ${name}`);
    await runReportCommand(db, { name, format: "table" }, out);
  }
  say();
  if (since === undefined) {
    say("Run `npm run demo` again: some runs get decided in between, and `report decisions` shows when.");
    return;
  }
  say(`approvals-sync report decisions --since ${since}     # decisions first seen by this sync, with their windows`);
  await runReportCommand(db, { name: "decisions", format: "table", since }, out);
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
