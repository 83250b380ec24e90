// What the engine reports as it goes; metrics and progress bars subscribe, the engine does not know them.
import type { PageProgress, PassKind, PassOutcome } from "./outcome.js";

export interface SyncObserver {
  /** `expectedRuns`: how many runs the pass will likely see, when known (a full reconcile of stored runs). */
  passStarted?(flowId: string, kind: PassKind, resumed: boolean, expectedRuns?: number): void;
  pageCommitted?(flowId: string, kind: PassKind, progress: PageProgress): void;
  passFinished?(flowId: string, kind: PassKind, outcome: PassOutcome, durationMs: number): void;
}
