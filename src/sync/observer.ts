// What the engine reports as it goes; metrics and progress bars subscribe, the engine does not know them.
import type { PageProgress, PassKind, PassOutcome } from "../db/state.js";

export interface SyncObserver {
  passStarted?(flowId: string, kind: PassKind, resumed: boolean): void;
  pageCommitted?(flowId: string, kind: PassKind, progress: PageProgress): void;
  passFinished?(flowId: string, kind: PassKind, outcome: PassOutcome, durationMs: number): void;
}
