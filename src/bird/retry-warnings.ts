// Issue 15 (4): retries must be visible when they happen, without a flood. The first failure of each
// request kind is logged at once (an unreachable API is reported within a second, not after the
// whole retry budget); after that at most one line per kind per window, counting what it held back.
import type { Logger } from "pino";
import { errorMessage } from "../errors.js";

const WINDOW_MS = 10_000;

export interface RetryNotice {
  kind: string;
  /** The attempt that failed (1 = the first try). */
  attempt: number;
  maxAttempts: number;
  /** How long until the next try. */
  waitMs: number;
  /** When the wait is p-retry's randomised backoff: the longest it may be. */
  waitUpToMs?: number | undefined;
  status: number | undefined;
  error: unknown;
}

export class RetryWarnings {
  private readonly lastWarnAt = new Map<string, number>();
  private readonly heldBack = new Map<string, number>();

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  notice(n: RetryNotice): void {
    const at = this.now();
    const last = this.lastWarnAt.get(n.kind);
    if (last !== undefined && at - last < WINDOW_MS) {
      this.heldBack.set(n.kind, (this.heldBack.get(n.kind) ?? 0) + 1);
      this.logger.debug({ kind: n.kind, attempt: n.attempt, waitMs: n.waitMs, err: errorMessage(n.error) }, "request failed, will retry");
      return;
    }
    const suppressed = this.heldBack.get(n.kind) ?? 0;
    this.lastWarnAt.set(n.kind, at);
    this.heldBack.delete(n.kind);
    const what = n.status === undefined ? errorMessage(n.error) : `HTTP ${n.status}`;
    const more = suppressed > 0 ? `; ${suppressed} more failed ${n.kind} attempts in the last ${WINDOW_MS / 1000} s` : "";
    this.logger.warn(
      {
        kind: n.kind,
        attempt: n.attempt,
        maxAttempts: n.maxAttempts,
        waitMs: n.waitMs,
        status: n.status,
        err: errorMessage(n.error),
        suppressed,
      },
      `Bird ${n.kind} request failed (${what}); attempt ${n.attempt} of ${n.maxAttempts}, retrying in ${seconds(n.waitMs)}${n.waitUpToMs === undefined ? "" : `–${seconds(n.waitUpToMs)}`} s${more}`,
    );
  }
}

const seconds = (ms: number) => (ms / 1000).toFixed(1);
