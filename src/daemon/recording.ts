// SYNC_RECORD_FILE in the daemon (issue 25): its next SYNC_RECORD_CYCLES cycles are recorded, or those
// that start within SYNC_RECORD_FOR of its start, whichever ends first; one session each (a replay runs
// each as a `sync`). Then the file is closed and the daemon goes on unrecorded. A cycle is recorded whole:
// the window closing mid-cycle closes the file after that cycle, an idle daemon's file at once.
import type { Logger } from "pino";
import type { FileRecorder } from "../bird/recorder.js";
import type { CycleOutcome } from "../sync/outcome.js";
import type { CycleReason } from "./scheduler.js";

type RunCycle = (signal: AbortSignal, reason: CycleReason) => Promise<void>;

const EXIT_CODE_OF: Record<CycleOutcome, number> = { ok: 0, flows_failed: 1, all_failed: 1, interrupted: 1, error: 2 };

export interface RecordingLimits {
  /** Cycles to record (unset: no limit on the count). */
  cycles?: number;
  /** Record the cycles that start within this many ms of the recording's start (unset: no time limit). */
  forMs?: number;
}

export class CycleRecording {
  private recorded = 0;
  private running = false;
  private closed = false;
  private readonly endsAt: number;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly recorder: FileRecorder,
    private readonly limits: RecordingLimits,
    private readonly settings: Record<string, string>,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.endsAt = limits.forMs === undefined ? Number.POSITIVE_INFINITY : this.now() + limits.forMs;
    if (limits.forMs !== undefined) {
      // An idle daemon's file is closed when the window ends; a running cycle's, after it.
      this.timer = setTimeout(() => {
        if (!this.running) this.close().catch((err: unknown) => this.logger.warn({ err }, "the recording could not be closed"));
      }, limits.forMs);
      this.timer.unref();
    }
  }

  /** `runCycle`, recording the next cycles; `outcome` tells how the cycle just run ended. */
  wrap(runCycle: RunCycle, outcome: () => CycleOutcome | undefined): RunCycle {
    return async (signal, reason) => {
      if (this.closed || this.done()) {
        await this.close();
        return runCycle(signal, reason);
      }
      this.running = true;
      this.recorder.beginSession(["sync"], this.settings);
      try {
        await runCycle(signal, reason);
      } finally {
        const last = outcome();
        this.recorder.endSession(last === undefined ? undefined : EXIT_CODE_OF[last]);
        this.recorded++;
        this.running = false;
        if (this.done()) await this.close();
      }
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    await this.recorder.close();
    this.logger.info(
      { file: this.recorder.file, cycles: this.recorded },
      "recording written (SYNC_RECORD_CYCLES or SYNC_RECORD_FOR reached, or stopping); replay it with `approvals-sync fake-api --replay FILE`",
    );
  }

  /** Whether no further cycle is to be recorded. */
  private done(): boolean {
    return this.recorded >= (this.limits.cycles ?? Number.POSITIVE_INFINITY) || this.now() >= this.endsAt;
  }
}
