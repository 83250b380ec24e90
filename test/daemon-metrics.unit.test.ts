// Issue 4: the daemon's metrics (a registry per daemon, fed by the engine's observer and the client's
// events), how a cycle's flow outcomes decide readiness, and the /metrics, /healthz, /readyz server.
import { readFileSync } from "node:fs";
import { Server } from "node:http";
import { createServer } from "node:net";
import { pino } from "pino";
import { describe, expect, it, vi } from "vitest";
import { startHealthServer } from "../src/daemon/http-server.js";
import { SyncMetrics } from "../src/daemon/metrics.js";
import type { FlowStatus } from "../src/db/status.js";
import { ConfigError } from "../src/errors.js";
import { emptyProgress } from "../src/model.js";
import { type FlowOutcome, type FlowResult, cycleOutcome, summarizeCycle } from "../src/sync/outcome.js";

const logger = pino({ level: "silent" });
const FLOW_A = "11111111-1111-4111-8111-111111111111";
const FLOW_B = "22222222-2222-4222-8222-222222222222";

/** Sample lines of one metric family as { labels-string: value }. */
function samples(text: string, name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (m && m[1] === name) out[m[2] ?? ""] = Number(m[3]);
  }
  return out;
}

function status(flowId: string, over: Partial<FlowStatus> = {}): FlowStatus {
  return {
    flowId,
    organizationId: "org-1",
    name: null,
    missingSince: null,
    mode: "incremental",
    runs: 10,
    pending: 2,
    recheckDebt: 0,
    listOrder: "desc",
    deletedRuns: 0,
    rejects: 0,
    cursorHeld: false,
    leaseOwner: null,
    leaseExpiresAt: null,
    lastFullPassAt: null,
    lastIncrementalPassAt: null,
    lastSuccessAt: null,
    lagSeconds: null,
    highWaterMark: null,
    reverseWorks: null,
    consecutiveFailures: 0,
    nextAttemptAt: null,
    lastError: null,
    lastPass: null,
    ...over,
  };
}

const flow = (outcome: FlowOutcome, inserted = 0): FlowResult => ({
  flowId: FLOW_A,
  outcome,
  totals: { ...emptyProgress(), inserted, pages: inserted > 0 ? 1 : 0 },
  durationMs: 1,
});

describe("SyncMetrics", () => {
  it("counts requests, retries, pages and runs from the client's events and the engine's observer", async () => {
    const m = new SyncMetrics();
    m.clientEvents.onAttempt!("list_runs", 200);
    m.clientEvents.onAttempt!("list_runs", 200);
    m.clientEvents.onAttempt!("list_runs", 503);
    m.clientEvents.onAttempt!("get_run", "error");
    m.clientEvents.onRetry!("list_runs", new Error("503"));
    const page = { pages: 1, requests: 2, seen: 5, inserted: 3, updated: 1, unchanged: 1, rejected: 2, deleted: 0, skippedLive: 0 };
    m.observer.pageCommitted!(FLOW_A, "full", page);
    m.observer.pageCommitted!(FLOW_A, "full", page);
    m.observer.passFinished!(FLOW_A, "full", "completed", 1500);
    const text = await m.text();
    expect(samples(text, "approvals_sync_requests_total")).toEqual({
      '{kind="list_runs",status="200"}': 2,
      '{kind="list_runs",status="503"}': 1,
      '{kind="get_run",status="error"}': 1,
    });
    expect(samples(text, "approvals_sync_retries_total")).toEqual({ '{kind="list_runs"}': 1 });
    expect(samples(text, "approvals_sync_pages_total")).toEqual({ [`{flow_id="${FLOW_A}",kind="full"}`]: 2 });
    expect(samples(text, "approvals_sync_runs_total")).toEqual({
      [`{flow_id="${FLOW_A}",result="inserted"}`]: 6,
      [`{flow_id="${FLOW_A}",result="updated"}`]: 2,
      [`{flow_id="${FLOW_A}",result="unchanged"}`]: 2,
      [`{flow_id="${FLOW_A}",result="rejected"}`]: 4,
    });
    expect(samples(text, "approvals_sync_pass_duration_seconds_count")).toEqual({ '{kind="full",outcome="completed"}': 1 });
    expect(samples(text, "approvals_sync_pass_duration_seconds_sum")).toEqual({ '{kind="full",outcome="completed"}': 1.5 });
    // Default process metrics, on this registry.
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
  });

  it("has its own registry: two daemons in one process do not collide", () => {
    expect(() => [new SyncMetrics(), new SyncMetrics()]).not.toThrow();
  });

  it("per-flow gauges follow sync_state and drop flows that left it", async () => {
    const m = new SyncMetrics();
    const now = Date.now();
    m.setFlowStatuses(
      [
        status(FLOW_A, {
          name: "Purchases 🐦",
          lastSuccessAt: new Date(now - 30_000).toISOString(),
          lagSeconds: 30,
          leaseOwner: "me",
          listOrder: "desc",
          reverseWorks: true,
        }),
        status(FLOW_B, {
          missingSince: new Date(now).toISOString(),
          consecutiveFailures: 3,
          nextAttemptAt: new Date(now + 120_000).toISOString(),
          leaseOwner: "someone-else",
          listOrder: "asc",
          reverseWorks: false,
        }),
      ],
      "me",
    );
    let text = await m.text();
    expect(samples(text, "approvals_sync_lag_seconds")).toEqual({ [`{flow_id="${FLOW_A}"}`]: 30 });
    expect(samples(text, "approvals_sync_last_success_timestamp_seconds")[`{flow_id="${FLOW_A}"}`]).toBeCloseTo((now - 30_000) / 1000, 0);
    expect(samples(text, "approvals_sync_lease_held")).toEqual({ [`{flow_id="${FLOW_A}"}`]: 1, [`{flow_id="${FLOW_B}"}`]: 0 });
    expect(samples(text, "approvals_sync_consecutive_failures")[`{flow_id="${FLOW_B}"}`]).toBe(3);
    expect(samples(text, "approvals_sync_backoff_until_timestamp_seconds")[`{flow_id="${FLOW_B}"}`]).toBeCloseTo((now + 120_000) / 1000, 0);
    expect(samples(text, "approvals_sync_flow_missing")).toEqual({ [`{flow_id="${FLOW_A}"}`]: 0, [`{flow_id="${FLOW_B}"}`]: 1 });
    // The organization is a label of flow_info only: one series per flow, joined on flow_id.
    expect(samples(text, "approvals_sync_flow_info")).toEqual({
      [`{flow_id="${FLOW_A}",name="Purchases 🐦",organization="org-1"}`]: 1,
      [`{flow_id="${FLOW_B}",name="",organization="org-1"}`]: 1,
    });
    expect(samples(text, "approvals_sync_flow_reverse_supported")).toEqual({ [`{flow_id="${FLOW_A}"}`]: 1, [`{flow_id="${FLOW_B}"}`]: 0 });
    expect(samples(text, "approvals_sync_flow_list_order")).toEqual({
      [`{flow_id="${FLOW_A}",order="desc"}`]: 1,
      [`{flow_id="${FLOW_B}",order="asc"}`]: 1,
    });

    m.setFlowStatuses([status(FLOW_B)], "me");
    text = await m.text();
    expect(Object.keys(samples(text, "approvals_sync_lease_held"))).toEqual([`{flow_id="${FLOW_B}"}`]);
    expect(samples(text, "approvals_sync_lag_seconds")).toEqual({});
  });

  it("records cycles, flow outcomes and skipped ticks", async () => {
    const m = new SyncMetrics();
    m.recordCycle("ok", [flow("completed"), flow("skipped-leased")], 2000);
    m.recordCycle("all_failed", [flow("failed")], 100);
    m.recordSkippedTick();
    const text = await m.text();
    expect(samples(text, "approvals_sync_cycles_total")).toEqual({ '{outcome="ok"}': 1, '{outcome="all_failed"}': 1 });
    expect(samples(text, "approvals_sync_flow_outcomes_total")).toEqual({
      '{outcome="completed"}': 1,
      '{outcome="skipped-leased"}': 1,
      '{outcome="failed"}': 1,
    });
    expect(samples(text, "approvals_sync_skipped_ticks_total")).toEqual({ "": 1 });
    expect(samples(text, "approvals_sync_cycle_duration_seconds_count")).toEqual({ "": 2 });
  });
});

describe("cycleOutcome (what /readyz reads)", () => {
  it.each<[FlowOutcome[], boolean, string]>([
    [["completed", "completed"], false, "ok"],
    [[], false, "ok"],
    [["completed", "skipped-leased"], false, "ok"],
    [["skipped-leased", "skipped-leased"], false, "ok"],
    [["completed", "failed"], false, "flows_failed"],
    [["skipped-backoff", "missing", "completed"], false, "flows_failed"],
    [["failed", "missing"], false, "all_failed"],
    [["failed", "skipped-backoff"], false, "all_failed"],
    [["skipped-backoff"], false, "all_failed"],
    [["completed", "interrupted"], true, "interrupted"],
  ])("%j (aborted: %s) → %s", (outcomes, aborted, expected) => {
    expect(
      cycleOutcome(
        outcomes.map((o) => flow(o)),
        aborted,
      ),
    ).toBe(expected);
  });

  it("summarizes counts for the cycle's log line", () => {
    const s = summarizeCycle([flow("completed", 5), flow("skipped-backoff"), flow("completed", 2)]);
    expect(s).toMatchObject({ flows: 3, completed: 2, skippedBackoff: 1, inserted: 7, pages: 2 });
  });
});

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

describe("health server", () => {
  it("serves /metrics, /healthz and /readyz; 404 elsewhere, 405 for other methods", async () => {
    const m = new SyncMetrics();
    let ready = true;
    const server = await startHealthServer({
      port: await freePort(),
      host: "127.0.0.1",
      logger,
      metrics: async () => ({ contentType: m.contentType, body: await m.text() }),
      readiness: async () => (ready ? { ready, reasons: [] } : { ready, reasons: ["last cycle failed every flow"] }),
    });
    const base = `http://127.0.0.1:${server.port}`;
    try {
      const metrics = await fetch(`${base}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metrics.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(await metrics.text()).toMatch(/# TYPE approvals_sync_requests_total counter/);
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      ready = false;
      const notReady = await fetch(`${base}/readyz`);
      expect(notReady.status).toBe(503);
      expect(await notReady.text()).toMatch(/last cycle failed every flow/);
      expect((await fetch(`${base}/nope`)).status).toBe(404);
      expect((await fetch(`${base}/metrics`, { method: "POST" })).status).toBe(405);
    } finally {
      await server.close();
    }
  });

  it("a port in use is a configuration error naming METRICS_PORT", async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const attempt = startHealthServer({
        port,
        logger,
        metrics: async () => ({ contentType: "text/plain", body: "" }),
        readiness: async () => ({ ready: true, reasons: [] }),
      });
      await expect(attempt).rejects.toThrow(ConfigError);
      await expect(attempt).rejects.toThrow(/METRICS_PORT \d+ is already in use/);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it("close() returns even while a client keeps its connection open", async () => {
    const server = await startHealthServer({
      port: await freePort(),
      host: "127.0.0.1",
      logger,
      metrics: async () => ({ contentType: "text/plain", body: "" }),
      readiness: async () => ({ ready: true, reasons: [] }),
    });
    await fetch(`http://127.0.0.1:${server.port}/healthz`, { keepalive: true });
    // It drops the idle keep-alive socket rather than waiting out keepAliveTimeout (asserted on the
    // effect, not on how long close() took: wall-time bounds flake on a busy machine).
    const dropped = vi.spyOn(Server.prototype, "closeAllConnections");
    await server.close();
    expect(dropped).toHaveBeenCalled();
    dropped.mockRestore();
    await expect(fetch(`http://127.0.0.1:${server.port}/healthz`)).rejects.toThrow();
  });
});

describe("deploy/grafana-dashboard.json", () => {
  it("queries only metrics the daemon exports", async () => {
    const dashboard = readFileSync(new URL("../deploy/grafana-dashboard.json", import.meta.url), "utf8");
    JSON.parse(dashboard);
    const exported = new Set((await new SyncMetrics().registry.getMetricsAsJSON()).map((m) => m.name));
    const used = new Set(
      [...dashboard.matchAll(/\b((?:approvals_sync|process|nodejs)_[a-z0-9_]+)/g)].map((m) => m[1]!.replace(/_(bucket|sum|count)$/, "")),
    );
    expect(used.size).toBeGreaterThan(10);
    for (const name of used) expect(exported, name).toContain(name);
  });
});
