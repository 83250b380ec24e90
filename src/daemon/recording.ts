// SYNC_RECORD_FILE in the daemon (issue 25): the next SYNC_RECORD_CYCLES cycles are recorded, one
// session each (a replay runs each as a `sync`), then the file is closed and the daemon goes on unrecorded.
import type { Logger } from "pino";
import type { FileRecorder } from "../bird/recorder.js";
import type { CycleOutcome } from "../sync/outcome.js";
import type { CycleReason } from "./scheduler.js";

type RunCycle = (signal: AbortSignal, reason: CycleReason) => Promise<void>;

const EXIT_CODE_OF: Record<CycleOutcome, number> = { ok: 0, flows_failed: 1, all_failed: 1, interrupted: 1, error: 2 };

export class CycleRecording {
  private recorded = 0;
  private closed = false;

  constructor(
    private readonly recorder: FileRecorder,
    private readonly cycles: number,
    private readonly settings: Record<string, string>,
    private readonly logger: Logger,
  ) {}

  /** `runCycle`, recording the next cycles; `outcome` tells how the cycle just run ended. */
  wrap(runCycle: RunCycle, outcome: () => CycleOutcome | undefined): RunCycle {
    return async (signal, reason) => {
      if (this.recorded >= this.cycles) return runCycle(signal, reason);
      this.recorder.beginSession(["sync"], this.settings);
      try {
        await runCycle(signal, reason);
      } finally {
        const last = outcome();
        this.recorder.endSession(last === undefined ? undefined : EXIT_CODE_OF[last]);
        this.recorded++;
        if (this.recorded >= this.cycles) await this.close();
      }
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.recorder.close();
    this.logger.info(
      { file: this.recorder.file, cycles: this.recorded },
      "recording written (SYNC_RECORD_CYCLES reached or stopping); replay it with `approvals-sync fake-api --replay FILE`",
    );
  }
}
