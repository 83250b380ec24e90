// The daemon's Prometheus metrics (DESIGN §6): one prom-client Registry per daemon, fed by the
// engine's SyncObserver and the client's ClientEvents, plus per-flow gauges read from sync_state.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { ClientEvents } from "../bird/client.js";
import type { FlowStatus } from "../db/status.js";
import type { SyncObserver } from "../sync/observer.js";
import type { CycleOutcome, FlowResult } from "../sync/outcome.js";
import { FLOW_HEALTHS, judgeFlowHealth } from "../health.js";

const P = "approvals_sync_";

const seconds = (iso: string | null) => (iso === null ? undefined : Date.parse(iso) / 1000);

export class SyncMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: `${P}requests_total`,
    help: 'HTTP attempts to the Bird API, by request kind and status ("error": no response)',
    labelNames: ["kind", "status"] as const,
    registers: [this.registry],
  });
  private readonly retries = new Counter({
    name: `${P}retries_total`,
    help: "Failed attempts that were retried, by request kind",
    labelNames: ["kind"] as const,
    registers: [this.registry],
  });
  private readonly pages = new Counter({
    name: `${P}pages_total`,
    help: "Pages committed (one transaction each), by flow and pass kind",
    labelNames: ["flow_id", "kind"] as const,
    registers: [this.registry],
  });
  private readonly runs = new Counter({
    name: `${P}runs_total`,
    help: "Runs written, by flow and result (inserted, updated, unchanged, rejected, deleted; skipped_live: a completed listing skipped a run that a GET proved live, i.e. Bird's paging is unstable)",
    labelNames: ["flow_id", "result"] as const,
    registers: [this.registry],
  });
  private readonly passDuration = new Histogram({
    name: `${P}pass_duration_seconds`,
    help: "Duration of flow passes, by kind and outcome",
    labelNames: ["kind", "outcome"] as const,
    buckets: [0.05, 0.25, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 1800, 3600],
    registers: [this.registry],
  });
  private readonly cycles = new Counter({
    name: `${P}cycles_total`,
    help: "Daemon cycles, by outcome (ok, flows_failed, all_failed, error, interrupted)",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  private readonly cycleDuration = new Histogram({
    name: `${P}cycle_duration_seconds`,
    help: "Duration of daemon cycles (all flows)",
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
    registers: [this.registry],
  });
  private readonly flowOutcomes = new Counter({
    name: `${P}flow_outcomes_total`,
    help: "What each cycle did with each flow (completed, failed, missing, interrupted, skipped-leased, skipped-backoff)",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  private readonly skippedTicks = new Counter({
    name: `${P}skipped_ticks_total`,
    help: "Schedule ticks skipped because the previous cycle was still running",
    registers: [this.registry],
  });
  private readonly lastCycle = new Gauge({
    name: `${P}last_cycle_timestamp_seconds`,
    help: "When the last daemon cycle finished (unix seconds)",
    registers: [this.registry],
  });
  private readonly lastSuccess = this.flowGauge("last_success_timestamp_seconds", "When the flow's last pass completed (unix seconds)");
  private readonly lag = this.flowGauge("lag_seconds", "Seconds since the flow's last completed pass");
  private readonly leaseHeld = this.flowGauge("lease_held", "1 while this process holds the flow's lease");
  private readonly failures = this.flowGauge("consecutive_failures", "Failed passes in a row; the flow backs off exponentially");
  private readonly backoffUntil = this.flowGauge(
    "backoff_until_timestamp_seconds",
    "After failures, the flow is not retried before this time (unix seconds; 0 = no failure since its last success)",
  );
  private readonly missing = this.flowGauge("flow_missing", "1 when Bird no longer lists the flow or answers 404 for it");
  private readonly storedRuns = this.flowGauge("flow_runs", "Runs stored for the flow (not deleted)");
  private readonly rejects = this.flowGauge("flow_rejects", "Records of the flow in the dead-letter table (sync_rejects)");
  private readonly reverseWorks = this.flowGauge(
    "flow_reverse_supported",
    "1 when Bird honours reverse for the flow, 0 when it ignores it (absent until probed)",
  );
  private readonly pending = this.flowGauge("flow_pending_runs", "Stored runs of the flow still pending (re-checked by age)");
  private readonly recheckDebt = this.flowGauge(
    "recheck_debt",
    "Pending runs due for a re-read that the request budget (SYNC_MAX_REQUESTS_PER_HOUR) postponed",
  );
  private readonly lastPassRequests = this.flowGauge("last_pass_requests", "Requests the flow's last pass made");
  private readonly lastPassRechecked = this.flowGauge(
    "last_pass_runs_rechecked",
    "Pending runs the flow's last pass re-read because they were due",
  );
  private readonly listOrderInfo = new Gauge({
    name: `${P}flow_list_order`,
    help: "The order Bird lists the flow in by default, as detected (always 1; order is asc, desc or unknown)",
    labelNames: ["flow_id", "order"] as const,
    registers: [this.registry],
  });
  private readonly flowInfo = new Gauge({
    name: `${P}flow_info`,
    help: "Flow names and organizations (BIRD_ORGANIZATION_ID), for joining on flow_id (always 1)",
    labelNames: ["flow_id", "name", "organization"] as const,
    registers: [this.registry],
  });

  // For deploy/alerts.yml: the state the status page shows (one series per state, 1 for the current
  // one), the schedule's interval, and when a cycle last synced every flow.
  private readonly flowState = new Gauge({
    name: `${P}flow_state`,
    help: "1 for the flow's state against SYNC_SCHEDULE (on_time, delayed, failing, missing), 0 for the others",
    labelNames: ["flow_id", "state"] as const,
    registers: [this.registry],
  });
  private readonly interval = new Gauge({
    name: `${P}schedule_interval_seconds`,
    help: "The longest gap between SYNC_SCHEDULE ticks: a flow is delayed after one, failing after two",
    registers: [this.registry],
  });
  private readonly lastOkCycle = new Gauge({
    name: `${P}last_successful_cycle_timestamp_seconds`,
    help: "When the last cycle that synced every flow finished (unix seconds); the daemon's start until one has",
    registers: [this.registry],
  });

  /** intervalMs: SYNC_SCHEDULE's interval (scheduleIntervalMs); the flow states are judged against it. */
  constructor(private readonly intervalMs = 5 * 60_000) {
    collectDefaultMetrics({ register: this.registry });
    this.interval.set(intervalMs / 1000);
    this.lastOkCycle.setToCurrentTime();
  }

  private flowGauge(name: string, help: string): Gauge<"flow_id"> {
    return new Gauge({ name: `${P}${name}`, help, labelNames: ["flow_id"] as const, registers: [this.registry] });
  }

  readonly observer: SyncObserver = {
    pageCommitted: (flowId, kind, p) => {
      if (p.pages > 0) this.pages.inc({ flow_id: flowId, kind }, p.pages);
      const add = (result: string, n: number) => n > 0 && this.runs.inc({ flow_id: flowId, result }, n);
      add("inserted", p.inserted);
      add("updated", p.updated);
      add("unchanged", p.unchanged);
      add("rejected", p.rejected);
      add("deleted", p.deleted);
      add("skipped_live", p.skippedLive);
    },
    passFinished: (_flowId, kind, outcome, durationMs) => {
      this.passDuration.observe({ kind, outcome }, durationMs / 1000);
    },
  };

  readonly clientEvents: ClientEvents = {
    onAttempt: (kind, status) => this.requests.inc({ kind, status: String(status) }),
    onRetry: (kind) => this.retries.inc({ kind }),
  };

  recordSkippedTick(): void {
    this.skippedTicks.inc();
  }

  recordCycle(outcome: CycleOutcome, flows: readonly FlowResult[], durationMs: number): void {
    this.cycles.inc({ outcome });
    if (outcome === "ok") this.lastOkCycle.setToCurrentTime();
    this.cycleDuration.observe(durationMs / 1000);
    for (const f of flows) this.flowOutcomes.inc({ outcome: f.outcome });
    this.lastCycle.setToCurrentTime();
  }

  /** Replaces the per-flow gauges with what sync_state says now (flows that left it disappear). */
  setFlowStatuses(statuses: readonly FlowStatus[], owner: string): void {
    const gauges = [
      this.lastSuccess,
      this.lag,
      this.leaseHeld,
      this.failures,
      this.backoffUntil,
      this.missing,
      this.storedRuns,
      this.rejects,
    ];
    for (const g of [...gauges, this.pending, this.recheckDebt, this.lastPassRequests, this.lastPassRechecked, this.listOrderInfo])
      g.reset();
    this.flowInfo.reset();
    this.flowState.reset();
    const now = Date.now();
    this.reverseWorks.reset();
    for (const s of statuses) {
      const l = { flow_id: s.flowId };
      const lastSuccess = seconds(s.lastSuccessAt);
      if (lastSuccess !== undefined) this.lastSuccess.set(l, lastSuccess);
      if (s.lagSeconds !== null) this.lag.set(l, Number(s.lagSeconds));
      this.leaseHeld.set(l, s.leaseOwner === owner ? 1 : 0);
      this.failures.set(l, Number(s.consecutiveFailures));
      this.backoffUntil.set(l, seconds(s.nextAttemptAt) ?? 0);
      this.missing.set(l, s.missingSince ? 1 : 0);
      this.storedRuns.set(l, Number(s.runs));
      this.rejects.set(l, Number(s.rejects));
      this.pending.set(l, Number(s.pending));
      this.recheckDebt.set(l, Number(s.recheckDebt));
      this.listOrderInfo.set({ flow_id: s.flowId, order: s.listOrder ?? "unknown" }, 1);
      if (s.lastPass) {
        this.lastPassRequests.set(l, Number(s.lastPass.requests));
        this.lastPassRechecked.set(l, Number(s.lastPass.rechecked));
      }
      if (s.name || s.organizationId) this.flowInfo.set({ flow_id: s.flowId, name: s.name ?? "", organization: s.organizationId ?? "" }, 1);
      const { state } = judgeFlowHealth(
        {
          missingSince: s.missingSince,
          lastSuccessAt: s.lastSuccessAt,
          consecutiveFailures: Number(s.consecutiveFailures),
          firstSeenAt: null,
        },
        this.intervalMs,
        now,
      );
      for (const st of FLOW_HEALTHS) this.flowState.set({ flow_id: s.flowId, state: st.replace(" ", "_") }, st === state ? 1 : 0);
      if (s.reverseWorks !== null) this.reverseWorks.set(l, s.reverseWorks ? 1 : 0);
    }
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
