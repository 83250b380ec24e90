import type { Logger } from "pino";
import type { Upstream } from "../bird/client.js";
import type { Config } from "../config.js";
import type { Database } from "../db/database.js";
import type { SyncObserver } from "./observer.js";

/** The settings the engine reads: no secret, no HTTP or database address (those stay with their parts). */
export interface SyncSettings {
  /** BIRD_ORGANIZATION_ID: the organization whose flows this engine lists and may touch. */
  readonly organizationId: string;
  readonly approvalIds: readonly string[] | undefined;
  readonly pageSize: number;
  readonly concurrency: number;
  /** A full pass lists a flow from both ends once it has this many pages (0 = always one stream). */
  readonly twoEndedPages: number;
  readonly fullEveryMs: number;
  readonly leaseTtlMs: number;
  readonly recheckFactor: number;
  readonly maxRequestsPerHour: number | undefined;
  /** SYNC_RUN_HISTORY: the page write keeps each replaced version of a run (issue 22). */
  readonly runHistory: boolean;
}

export function syncSettingsOf(config: Config): SyncSettings {
  const {
    organizationId,
    approvalIds,
    pageSize,
    concurrency,
    twoEndedPages,
    fullEveryMs,
    leaseTtlMs,
    recheckFactor,
    maxRequestsPerHour,
    runHistory,
  } = config;
  return Object.freeze({
    organizationId,
    approvalIds,
    pageSize,
    concurrency,
    twoEndedPages,
    fullEveryMs,
    leaseTtlMs,
    recheckFactor,
    maxRequestsPerHour,
    runHistory,
  });
}

/** What a pass needs, passed in (no module globals). */
export interface SyncContext {
  readonly db: Database;
  readonly client: Upstream;
  readonly settings: SyncSettings;
  readonly logger: Logger;
  /** This process's lease identity. */
  readonly owner: string;
  readonly observer: SyncObserver;
  /** Flows to work at once, sized from measured latency and BIRD_MAX_RPS (absent: SYNC_CONCURRENCY). */
  readonly parallelFlows?: (configured: number) => number;
  /**
   * A second stream of a full pass starts only while the first waits on the API longer than it writes
   * pages (a latency-bound listing; against a fast API it only costs CPU and memory). The default;
   * tests of two-ended paging itself, against an API that answers at once, turn it off here.
   */
  readonly secondStreamOnlyWhenWaiting?: boolean;
  /**
   * Flows this process already warned were held by another process: with replicas that is every
   * cycle's normal, so it is a warning once per flow and debug after that (issue 24).
   */
  readonly heldFlowsWarned?: Set<string>;
}
