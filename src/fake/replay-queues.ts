// Which recorded answer a replayed request gets (issue 25): the answers recorded for the same request
// (method, path, query in name order), one after another. Without --replay-timing the recorded
// retryable failures (429, 5xx, resets) are skipped when a success for that request follows: the
// client already lived through them while recording, and the replay is about what it stored.
import { type AttemptLine, type Recording, type SessionLine, requestKey } from "../bird/recording.js";

export interface RecordedAnswer {
  /** null: no answer came (network error, timeout); replayed as a reset connection. */
  status: number | null;
  headers: Record<string, string>;
  body: string;
  error: string | undefined;
  /** When the request was sent (epoch ms) and how long its answer took. */
  sentAt: number;
  ms: number;
}

export interface ReplayCounters {
  /** Attempts the recording holds. */
  recorded: number;
  requests: number;
  matched: number;
  /** Requests the recording has no (more) answers for: each got a not_recorded error. */
  missed: number;
  /** Recorded retryable failures passed over (without --replay-timing). */
  skipped: number;
  /** Recorded answers no request has asked for yet. */
  remaining: number;
  byStatus: Record<string, number>;
  /** The first missed requests, as method, path and query. */
  missedRequests: string[];
}

const RETRYABLE = new Set([408, 425, 429, 500, 502, 503, 504]);
const MISSES_KEPT = 50;

const isRetryableFailure = (a: RecordedAnswer) => a.status === null || RETRYABLE.has(a.status);

function answerOf(line: AttemptLine): RecordedAnswer {
  return {
    status: line.status,
    headers: line.headers ?? {},
    body: line.body ?? "",
    error: line.error,
    sentAt: Date.parse(line.at),
    ms: line.ms,
  };
}

export class ReplayQueues {
  readonly sessions: SessionLine[] = [];
  readonly counters: ReplayCounters;
  private readonly queues = new Map<string, RecordedAnswer[]>();
  private readonly served = new Map<string, number>();

  constructor(recording: Recording) {
    let recorded = 0;
    for (const line of recording.lines) {
      if (line.type === "session") this.sessions.push(line);
      if (line.type !== undefined) continue;
      const key = requestKey(line.method, line.path);
      const queue = this.queues.get(key) ?? [];
      queue.push(answerOf(line));
      this.queues.set(key, queue);
      recorded++;
    }
    this.counters = { recorded, requests: 0, matched: 0, missed: 0, skipped: 0, remaining: recorded, byStatus: {}, missedRequests: [] };
  }

  /** Every request key in the recording (paths name the organization and the flows). */
  keys(): string[] {
    return [...this.queues.keys()];
  }

  /** The answer for this request, or undefined (counted as missed) when the recording has none left. */
  next(method: string, pathAndQuery: string, timing: boolean): RecordedAnswer | undefined {
    const key = requestKey(method, pathAndQuery);
    const c = this.counters;
    c.requests++;
    const queue = this.queues.get(key) ?? [];
    const from = this.served.get(key) ?? 0;
    let at = from;
    if (!timing) {
      const success = queue.findIndex((a, i) => i >= from && !isRetryableFailure(a));
      if (success >= 0) at = success;
    }
    const answer = queue[at];
    if (answer === undefined) {
      c.missed++;
      if (c.missedRequests.length < MISSES_KEPT) c.missedRequests.push(key);
      return undefined;
    }
    c.skipped += at - from;
    c.remaining -= at + 1 - from;
    c.matched++;
    this.served.set(key, at + 1);
    const status = answer.status === null ? "reset" : String(answer.status);
    c.byStatus[status] = (c.byStatus[status] ?? 0) + 1;
    return answer;
  }

  /** How many answers were recorded for the request, and how many of them are served. */
  describe(method: string, pathAndQuery: string): { recorded: number; served: number } {
    const key = requestKey(method, pathAndQuery);
    return { recorded: this.queues.get(key)?.length ?? 0, served: this.served.get(key) ?? 0 };
  }
}
