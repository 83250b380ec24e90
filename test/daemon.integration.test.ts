// Issue 4: `approvals-sync daemon` on real Postgres and the fake API — scheduled cycles, metrics and
// health endpoints, graceful SIGTERM, no overlapping cycles against a slow API, bad settings.
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { logLines } from "./helpers/cli.js";
import { daemonHarness } from "./helpers/daemon.js";
import { waitFor } from "./helpers/wait.js";
import { storedRuns, tableEqualsFake } from "./helpers/compare.js";
import { committedPages, flowsCompleted } from "./helpers/sync-state.js";
import { freshDatabaseUrl, query } from "./helpers/db.js";
import { refetchedFullPassPages, syncEnv } from "./helpers/fake.js";

const harness = daemonHarness();
const { startDaemon, fake } = harness;
afterEach(() => harness.cleanup());

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

type Samples = Map<string, number>;

/** Parses Prometheus text exposition strictly: every line is a comment, a blank or a valid sample
 *  (values as Go's ParseFloat reads them: prom-client writes NaN as "Nan"). */
function parsePrometheus(text: string): Map<string, Samples> {
  const families = new Map<string, Samples>();
  const types = new Map<string, string>();
  const sample =
    /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*\})?\s(-?(?:\d+(?:\.\d+)?(?:e[+-]?\d+)?|[Nn][Aa][Nn]|[+-][Ii]nf))(\s-?\d+)?$/;
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    if (/^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*$/.test(line)) continue;
    const m = sample.exec(line);
    if (!m) throw new Error(`not Prometheus text: ${JSON.stringify(line)}`);
    const name = m[1]!;
    const family = types.has(name) ? name : name.replace(/_(bucket|sum|count)$/, "");
    if (!types.has(family)) throw new Error(`sample without # TYPE: ${line}`);
    if (!families.has(name)) families.set(name, new Map());
    families.get(name)!.set(m[2] ?? "", Number(m[3]));
  }
  return families;
}

async function scrape(port: number): Promise<Map<string, Samples>> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).toBe(200);
  return parsePrometheus(await res.text());
}

const total = (m: Map<string, Samples>, name: string, labelFilter = "") =>
  [...(m.get(name) ?? new Map<string, number>()).entries()].filter(([l]) => l.includes(labelFilter)).reduce((n, [, v]) => n + v, 0);

describe("approvals-sync daemon", () => {
  it("syncs at start, picks up runs added and decided within two ticks; /metrics matches the fake's counters; /healthz and /readyz answer", async () => {
    const api = await fake({ flows: 3, runsPerFlow: 300, seed: 41 });
    const url = await freshDatabaseUrl();
    const port = await freePort();
    const d = startDaemon(syncEnv(api, url, { SYNC_SCHEDULE: "*/2 * * * * *", METRICS_PORT: String(port) }));
    await waitFor("the first sync", () => flowsCompleted(url, 3));
    expect(await tableEqualsFake(url, api)).toBe(true);

    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.text()).toBe("ready\n");

    // Counters equal the fake's, read at a moment when no request is in flight.
    await waitFor(
      "metrics to equal the fake's request counters",
      async () => {
        const before = JSON.stringify(api.counters);
        const m = await scrape(port);
        const c = api.counters;
        return (
          JSON.stringify(api.counters) === before &&
          total(m, "approvals_sync_requests_total") === c.requests &&
          total(m, "approvals_sync_requests_total", 'kind="list_runs"') === c.listRequests &&
          total(m, "approvals_sync_requests_total", 'kind="list_flows"') === c.flowListRequests &&
          total(m, "approvals_sync_requests_total", 'kind="get_run"') === c.getRequests &&
          total(m, "approvals_sync_requests_total", 'status="200"') === (c.byStatus["200"] ?? 0)
        );
      },
      20_000,
      50,
    );
    const m = await scrape(port);
    expect(total(m, "approvals_sync_requests_total")).toBeGreaterThan(0);
    const [rows] = await query<{ n: number }>(url, "select count(*)::int as n from bird.approval_runs");
    expect(total(m, "approvals_sync_runs_total", 'result="inserted"')).toBe(rows!.n);
    const [pages] = await query<{ n: number }>(url, "select sum(pages)::int as n from bird.sync_passes where outcome = 'completed'");
    expect(total(m, "approvals_sync_pages_total")).toBeGreaterThanOrEqual(pages!.n);
    for (const flowId of api.store.flowIds()) {
      const l = `{flow_id="${flowId}"}`;
      expect(m.get("approvals_sync_lag_seconds")?.get(l)).toBeLessThan(30);
      expect(m.get("approvals_sync_last_success_timestamp_seconds")?.get(l)).toBeGreaterThan(Date.now() / 1000 - 30);
      expect(m.get("approvals_sync_consecutive_failures")?.get(l)).toBe(0);
      expect(m.get("approvals_sync_lease_held")?.has(l)).toBe(true);
    }
    expect(total(m, "approvals_sync_pass_duration_seconds_count", 'kind="full",outcome="completed"')).toBe(3);
    expect(total(m, "approvals_sync_cycles_total", 'outcome="ok"')).toBeGreaterThanOrEqual(1);
    expect(m.has("process_resident_memory_bytes")).toBe(true);

    // New and decided runs upstream: picked up by the scheduled (incremental) cycles. How many ticks
    // that takes depends on how busy the machine is, so the deadline is generous and not asserted.
    for (const flowId of api.store.flowIds()) {
      api.store.addRuns(flowId, 3);
      api.store.decideRuns(flowId, 2);
    }
    await waitFor("the changes to be synced", () => tableEqualsFake(url, api), 60_000, 50);
    const [full] = await query<{ n: number }>(url, "select count(*)::int as n from bird.sync_passes where kind = 'full'");
    expect(full!.n).toBe(3);

    d.child.kill("SIGTERM");
    expect((await d.done).code).toBe(0);
    const cycles = logLines(d.stderr()).filter((l) => l.msg === "cycle finished");
    expect(cycles[0]).toMatchObject({ reason: "start", outcome: "ok", flows: 3, completed: 3, inserted: 900 });
    const later = cycles.slice(1);
    expect(later.length).toBeGreaterThanOrEqual(1);
    // The SIGTERM may land inside a cycle: that last one is interrupted, not failed.
    expect(later.every((c) => c.reason === "scheduled")).toBe(true);
    expect(later.slice(0, -1).filter((c) => c.outcome !== "ok")).toEqual([]);
    expect(["ok", "interrupted"]).toContain(later.at(-1)!.outcome);
    expect(later.reduce((n, c) => n + (c.inserted as number), 0)).toBe(9);
    expect(later.reduce((n, c) => n + (c.updated as number), 0)).toBe(6);
  });

  it("SIGTERM mid-pass: exit 0 within 10 s, the pass is recorded as interrupted, leases released; the next start resumes from the cursor", async () => {
    const api = await fake({ flows: 3, runsPerFlow: 1000, seed: 43, faults: { latencyMs: 60 } });
    const url = await freshDatabaseUrl();
    const env = syncEnv(api, url, { SYNC_SCHEDULE: "*/2 * * * * *", SYNC_PAGE_SIZE: "50", METRICS_PORT: "0" });
    const first = startDaemon(env);
    await waitFor("a few pages", async () => (await committedPages(url)) >= 6, 60_000, 20);
    const termAt = Date.now();
    first.child.kill("SIGTERM");
    const exit = await first.done;
    expect(exit.code).toBe(0);
    expect(exit.at - termAt).toBeLessThan(10_000);

    const passes = await query<{ id: number; flow_id: string; outcome: string | null; error: string | null; pages: number }>(
      url,
      "select id::int, flow_id::text, outcome, error, pages from bird.sync_passes order by id",
    );
    expect(passes).toHaveLength(3);
    for (const p of passes) {
      expect(p.outcome).toBe("interrupted");
      expect(p.error).toMatch(/stopped by signal/);
    }
    const states = await query<{ flow_id: string; lease_owner: string | null; cursor: string | null; last_full_pass_at: Date | null }>(
      url,
      "select flow_id::text, lease_owner, cursor, last_full_pass_at from bird.sync_state",
    );
    expect(states.every((s) => s.lease_owner === null && s.last_full_pass_at === null)).toBe(true);
    const withCursor = new Set(states.filter((s) => s.cursor !== null).map((s) => s.flow_id));
    expect(withCursor.size).toBeGreaterThan(0);
    expect(logLines(first.stderr()).find((l) => l.msg === "cycle finished")).toMatchObject({ outcome: "interrupted" });

    const second = startDaemon(env);
    await waitFor("the resumed backfill", () => flowsCompleted(url, 3), 90_000);
    expect(await tableEqualsFake(url, api)).toBe(true);
    const resumed = await query<{ flow_id: string; from_first_page: boolean; resumed_from: number | null; outcome: string }>(
      url,
      "select flow_id::text, from_first_page, resumed_from::int, outcome from bird.sync_passes where id > $1 and kind = 'full' order by id",
      [Math.max(...passes.map((p) => p.id))],
    );
    for (const flowId of withCursor) {
      const p = resumed.find((r) => r.flow_id === flowId)!;
      expect(p).toMatchObject({ from_first_page: false, resumed_from: passes.find((x) => x.flow_id === flowId)!.id, outcome: "completed" });
    }
    // At most the page that was being fetched when the signal came is fetched again.
    for (const [flowId, n] of Object.entries(refetchedFullPassPages(api))) expect(n, flowId).toBeLessThanOrEqual(1);
    second.child.kill("SIGTERM");
    expect((await second.done).code).toBe(0);
  });

  it("with pages slower than the schedule, cycles never overlap: skipped ticks are counted, one request per flow in flight", async () => {
    const api = await fake({ flows: 2, runsPerFlow: 150, seed: 47, faults: { latencyMs: 1200 } });
    const url = await freshDatabaseUrl();
    const port = await freePort();
    const d = startDaemon(syncEnv(api, url, { SYNC_SCHEDULE: "* * * * * *", SYNC_PAGE_SIZE: "50", METRICS_PORT: String(port) }));
    await waitFor("the backfill", () => flowsCompleted(url, 2), 60_000);
    // A few more cycles (discovery + one page ≈ 2.4 s each, ticks every second).
    await waitFor("three cycles", () => logLines(d.stderr()).filter((l) => l.msg === "cycle finished").length >= 3, 30_000);
    const m = await scrape(port);
    const termAt = Date.now();
    d.child.kill("SIGTERM");
    const exit = await d.done;
    expect(exit.code).toBe(0);
    expect(exit.at - termAt).toBeLessThan(10_000);

    for (const flowId of api.store.flowIds()) expect(api.counters.maxInFlightPerFlow[flowId], flowId).toBe(1);
    // Discovery, then both flows at once: a second cycle running alongside would add a third request.
    expect(api.counters.maxInFlight).toBeLessThanOrEqual(2);

    const logs = logLines(d.stderr());
    const spans = logs
      .filter((l) => l.msg === "cycle finished")
      .map((l) => ({ end: l.time as number, start: (l.time as number) - (l.durationMs as number) }));
    for (let i = 1; i < spans.length; i++) expect(spans[i]!.start).toBeGreaterThanOrEqual(spans[i - 1]!.end);
    const skipped = logs.filter((l) => l.msg === "previous cycle still running; this tick is skipped").length;
    expect(skipped).toBeGreaterThanOrEqual(3);
    expect(total(m, "approvals_sync_skipped_ticks_total")).toBeGreaterThanOrEqual(3);
    expect(total(m, "approvals_sync_skipped_ticks_total")).toBeLessThanOrEqual(skipped);

    // Pass history agrees: a flow's passes follow one another.
    const passes = await query<{ flow_id: string; started_at: Date; finished_at: Date | null }>(
      url,
      "select flow_id::text, started_at, finished_at from bird.sync_passes order by flow_id, started_at",
    );
    for (let i = 1; i < passes.length; i++) {
      const [a, b] = [passes[i - 1]!, passes[i]!];
      if (a.flow_id === b.flow_id) expect(b.started_at.getTime()).toBeGreaterThanOrEqual(a.finished_at!.getTime());
    }
  });

  it("a flow that 404s is marked missing and backs off; the daemon and the other flows carry on", async () => {
    const api = await fake({ flows: 3, runsPerFlow: 100, seed: 53 });
    const url = await freshDatabaseUrl();
    const port = await freePort();
    const [a, b, gone] = api.store.flowIds() as [string, string, string];
    const d = startDaemon(
      syncEnv(api, url, { SYNC_SCHEDULE: "*/2 * * * * *", METRICS_PORT: String(port), BIRD_APPROVAL_IDS: [a, b, gone].join(",") }),
    );
    await waitFor("the first sync", () => flowsCompleted(url, 3));
    api.store.removeFlow(gone);
    await waitFor("the flow to be marked missing", async () => {
      const [f] = await query<{ missing: boolean }>(
        url,
        "select missing_since is not null as missing from bird.approval_flows where id = $1",
        [gone],
      );
      return f!.missing;
    });
    const [state] = await query<{ consecutive_failures: number; backoff: boolean }>(
      url,
      "select consecutive_failures, next_attempt_at > now() + interval '20 seconds' as backoff from bird.sync_state where flow_id = $1",
      [gone],
    );
    expect(state).toEqual({ consecutive_failures: 1, backoff: true });
    const listedWhileBackingOff = api.counters.listRequestsPerFlow[gone];

    api.store.addRuns(a, 4);
    await waitFor("the other flows to keep syncing", async () => (await storedRuns(url, a)).length === api.store.runs(a).length, 15_000);
    await sleep(2500); // at least one more cycle
    expect(api.counters.listRequestsPerFlow[gone]).toBe(listedWhileBackingOff);
    expect(d.child.exitCode).toBeNull();
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    const m = await scrape(port);
    expect(m.get("approvals_sync_flow_missing")?.get(`{flow_id="${gone}"}`)).toBe(1);
    expect(m.get("approvals_sync_consecutive_failures")?.get(`{flow_id="${gone}"}`)).toBe(1);
    expect(m.get("approvals_sync_backoff_until_timestamp_seconds")?.get(`{flow_id="${gone}"}`)).toBeGreaterThan(Date.now() / 1000);
    expect(total(m, "approvals_sync_flow_outcomes_total", 'outcome="skipped-backoff"')).toBeGreaterThanOrEqual(1);
    d.child.kill("SIGTERM");
    expect((await d.done).code).toBe(0);
  });

  it("/readyz fails when the last cycle failed every flow, while /healthz still answers", async () => {
    const api = await fake({ flows: 2, runsPerFlow: 50, seed: 59 });
    api.setFaults({ failFlowIds: api.store.flowIds() });
    const url = await freshDatabaseUrl();
    const port = await freePort();
    const d = startDaemon(syncEnv(api, url, { SYNC_SCHEDULE: "*/2 * * * * *", METRICS_PORT: String(port), SYNC_MAX_RETRIES: "0" }));
    await waitFor("a failed cycle", () => logLines(d.stderr()).some((l) => l.msg === "cycle finished"));
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.text()).toMatch(/last cycle failed every flow/);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    expect(logLines(d.stderr()).find((l) => l.msg === "cycle finished")).toMatchObject({ outcome: "all_failed", failed: 2 });
    d.child.kill("SIGTERM");
    expect((await d.done).code).toBe(0);
  });

  it.each([
    ["SYNC_SCHEDULE", { SYNC_SCHEDULE: "61 * * * *" }, /SYNC_SCHEDULE must be a cron expression/],
    ["a rejected access key", { BIRD_ACCESS_KEY: "wrong-key-123" }, /access key|401|unauthori[sz]ed/i],
  ])("exits 2 on %s", async (_what, extra, message) => {
    const api = await fake({ flows: 1, runsPerFlow: 10, seed: 61 });
    const url = await freshDatabaseUrl();
    const d = startDaemon(syncEnv(api, url, { METRICS_PORT: "0", ...extra }));
    const exit = await d.done;
    expect(exit.code).toBe(2);
    expect(d.stderr()).toMatch(message);
  });

  it("exits 2 naming METRICS_PORT when the port is taken", async () => {
    const api = await fake({ flows: 1, runsPerFlow: 10, seed: 67 });
    const url = await freshDatabaseUrl();
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, () => r()));
    try {
      const d = startDaemon(syncEnv(api, url, { METRICS_PORT: String((blocker.address() as { port: number }).port) }));
      expect((await d.done).code).toBe(2);
      expect(d.stderr()).toMatch(/METRICS_PORT \d+ is already in use/);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });
});
