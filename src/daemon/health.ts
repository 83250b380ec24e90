// What /readyz and the per-flow gauges need from the database, bounded in time so a dead database
// makes a scrape or a probe answer "not ready" quickly instead of hanging until the pool gives up.
import type { Logger } from "pino";
import type { SqlRunner } from "../db/database.js";
import { pingDatabase, readFlowStatuses } from "../db/status.js";
import { errorMessage } from "../errors.js";
import type { LastCycle } from "./cycle-runner.js";
import type { SyncMetrics } from "./metrics.js";

const DB_CHECK_TIMEOUT_MS = 3000;
// The status query counts runs per flow: scrapes every few seconds must not repeat it each time.
const SCRAPE_REFRESH_MIN_INTERVAL_MS = 5000;

export interface Readiness {
  ready: boolean;
  /** Why not, one line per reason (empty when ready). */
  reasons: string[];
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export interface DaemonHealthOptions {
  db: SqlRunner;
  metrics: SyncMetrics;
  logger: Logger;
  /** This process's lease identity, for approvals_sync_lease_held. */
  owner(): string;
  /** The per-flow gauges show this organization's flows (the daemon's BIRD_ORGANIZATION_ID). */
  organization?: string;
  lastCycle(): LastCycle | undefined;
  /** Aborted when the daemon is stopping: not ready any more, so traffic and alerts move on. */
  stopping?: AbortSignal;
}

export class DaemonHealth {
  private refreshing: Promise<void> | undefined;
  private refreshedAt = 0;

  constructor(private readonly opts: DaemonHealthOptions) {}

  /** Re-reads sync_state into the per-flow gauges; concurrent callers share one query. */
  refreshFlowGauges(): Promise<void> {
    this.refreshing ??= withTimeout(readFlowStatuses(this.opts.db, this.opts.organization), DB_CHECK_TIMEOUT_MS, "reading flow status")
      .then((statuses) => {
        this.opts.metrics.setFlowStatuses(statuses, this.opts.owner());
        this.refreshedAt = Date.now();
      })
      .finally(() => {
        this.refreshing = undefined;
      });
    return this.refreshing;
  }

  /** Before a scrape: fresh enough gauges, never a failed scrape because the database is away. */
  async beforeScrape(): Promise<void> {
    if (Date.now() - this.refreshedAt < SCRAPE_REFRESH_MIN_INTERVAL_MS) return;
    await this.refreshFlowGauges().catch((err) =>
      this.opts.logger.warn({ err: errorMessage(err) }, "could not refresh flow metrics; serving the previous values"),
    );
  }

  /** Ready: not stopping, the database answers, and the last cycle did not fail every flow. */
  async readiness(): Promise<Readiness> {
    const reasons: string[] = [];
    if (this.opts.stopping?.aborted) reasons.push("shutting down");
    try {
      await withTimeout(pingDatabase(this.opts.db), DB_CHECK_TIMEOUT_MS, "database check");
    } catch (err) {
      reasons.push(`database unreachable: ${errorMessage(err)}`);
    }
    const last = this.opts.lastCycle();
    if (last?.outcome === "error") reasons.push(`last cycle failed: ${last.error ?? "unknown error"}`);
    if (last?.outcome === "all_failed") reasons.push("last cycle failed every flow (see status and the log)");
    return { ready: reasons.length === 0, reasons };
  }
}
