import type { Logger } from "pino";
import type { Upstream } from "../bird/client.js";
import type { Config } from "../config.js";
import type { Database } from "../db/database.js";
import type { SyncObserver } from "./observer.js";

/** What a pass needs, passed in (no module globals). */
export interface SyncContext {
  readonly db: Database;
  readonly client: Upstream;
  readonly config: Config;
  readonly logger: Logger;
  /** This process's lease identity. */
  readonly owner: string;
  readonly observer: SyncObserver;
  /** Flows to work at once, sized from measured latency and BIRD_MAX_RPS (absent: SYNC_CONCURRENCY). */
  readonly parallelFlows?: (configured: number) => number;
  /**
   * Flows this process already warned were held by another process: with replicas that is every
   * cycle's normal, so it is a warning once per flow and debug after that (issue 24).
   */
  readonly heldFlowsWarned?: Set<string>;
}
