// Issue 20 (6): verbatim in every column. active_step is numeric: it keeps the number Bird sent exactly
// (float8 stored 9007199254740993 as 9.007199254740992e+15) on every path, and a number PostgreSQL cannot
// hold at all is quarantined with its run, never fatal.
import { afterEach, describe, expect, it } from "vitest";
import { cliEnv } from "./helpers/cli.js";
import { freshDatabaseUrl, query } from "./helpers/db.js";
import { type ModelServer, serveModel } from "./helpers/model-server.js";
import { syncInProcess } from "./helpers/sync-in-process.js";
import { type ModelRun, ModelUpstream, POLITE } from "./sim/model-upstream.js";
import { rng } from "./sim/values.js";

let server: ModelServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

// The text Bird sends, and what active_step::text holds: the exact value (numeric normalises an
// exponent and a negative zero, as jsonb does; it keeps trailing zeros).
const STEPS: Array<[string, string]> = [
  ["9007199254740993", "9007199254740993"],
  ["12345678901234567890123", "12345678901234567890123"],
  ["0.30000000000000004", "0.30000000000000004"],
  ["1.50", "1.50"],
  ["1e2", "100"],
  ["-0", "0"],
  ["1e400", `1${"0".repeat(400)}`],
  ["-1e-400", `-0.${"0".repeat(399)}1`],
];

describe("active_step keeps the number Bird sent", () => {
  it("stores each value exactly through backfill, GET-by-id re-reads and a full reconcile; 1e999999 is quarantined", async () => {
    const m = new ModelUpstream(rng(6), POLITE, "0f0e0d0c-0b0a-4909-8807-060504030201");
    const flow = m.addFlow();
    server = await serveModel(m);
    const url = await freshDatabaseUrl();
    const env = cliEnv({
      BIRD_API_URL: server.url,
      BIRD_ACCESS_KEY: "model-key",
      BIRD_ORGANIZATION_ID: m.orgId,
      DATABASE_URL: url,
      // One run a page: re-reading the older pending runs costs fewer requests by id than by listing.
      SYNC_PAGE_SIZE: "1",
      BIRD_MAX_RPS: "0",
      // Every pending run is re-read by id on every pass.
      SYNC_RECHECK_FACTOR: "0",
    });
    const base = Date.parse("2025-06-01T12:00:00Z");
    const withStep = (i: number, step: string): ModelRun => {
      const run = m.newRun(flow, base + i * 1000, true);
      const at = JSON.stringify(new Date(base + i * 1000).toISOString());
      run.fields = { status: '"pending"', tags: "[]", results: "[]", createdAt: at, updatedAt: at, activeStep: step };
      m.render(run);
      return run;
    };
    const runs = STEPS.map(([text], i) => withStep(i, text));
    const huge = withStep(STEPS.length, "1e999999");
    const sync = (...args: string[]) => syncInProcess(env, { full: args.includes("--full") });
    const steps = async () =>
      new Map(
        (await query<{ id: string; step: string }>(url, "select id::text, active_step::text as step from bird.approval_runs")).map((r) => [
          r.id,
          r.step,
        ]),
      );

    for (const args of [[], [], ["--full"]]) {
      expect(await sync(...args)).toBe(0);
      const stored = await steps();
      expect(runs.map((r) => stored.get(r.id))).toEqual(STEPS.map(([, value]) => value));
      expect(stored.has(huge.id)).toBe(false);
    }
    // The re-reads (GET by id, then the full listing) found every value unchanged: nothing was rewritten.
    expect(server.requests.get).toBeGreaterThan(0);
    const passes = await query<{ kind: string; runs_updated: number }>(url, "select kind, runs_updated from bird.sync_passes order by id");
    expect(passes.map((p) => p.kind)).toEqual(["full", "incremental", "full"]);
    expect(passes.map((p) => p.runs_updated)).toEqual([0, 0, 0]);
    const rejects = await query<{ run_id: string; reason: string }>(url, "select run_id, reason from bird.sync_rejects");
    expect(rejects).toHaveLength(1);
    expect(rejects[0]!.run_id).toBe(huge.apiId);
    expect(rejects[0]!.reason).toMatch(/PostgreSQL cannot store this run: .*overflows numeric format/);
  });
});
