// What the engine reports as it goes; metrics and progress bars subscribe, the engine does not know them.
import type { PageProgress, PassKind, PassOutcome } from "../model.js";

export interface SyncObserver {
  /** The flows this cycle will work, once discovery has chosen them (progress shows done / total). */
  cycleStarted?(flowIds: readonly string[]): void;
  /** A flow's turn in the cycle ended: passes done, or skipped (leased elsewhere, backing off). */
  flowFinished?(flowId: string, outcome: string): void;
  /** After the last flow, whatever happened (progress clears its bars). */
  cycleFinished?(): void;
  /** `expectedRuns`: how many runs the pass will likely see, when known (a full reconcile of stored runs). */
  passStarted?(flowId: string, kind: PassKind, resumed: boolean, expectedRuns?: number): void;
  pageCommitted?(flowId: string, kind: PassKind, progress: PageProgress): void;
  passFinished?(flowId: string, kind: PassKind, outcome: PassOutcome, durationMs: number): void;
}
