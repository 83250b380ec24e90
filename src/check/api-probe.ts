// The few GETs `check` makes, timed one by one, with every rate-limit header they carried. A 429 or
// 5xx is waited out and tried again a few times (Retry-After first); 401/403 and network failures
// are the caller's to report.
import { setTimeout as sleep } from "node:timers/promises";
import { type Answer, getJsonOnce } from "../bird/http.js";
import type { Recorder } from "../bird/recorder.js";
import { RetryableHttpError } from "../errors.js";

const RATE_LIMIT_HEADER = /^(retry-after|x-rate-?limit-.+|ratelimit(-.+)?)$/i;
const ATTEMPTS = 3;

export interface ProbeOptions {
  apiUrl: string;
  organizationId: string;
  accessKey: string;
  timeoutMs: number;
  maxResponseBytes: number;
  /** `check --record`: the smallest useful bug report (issue 25). */
  recorder?: Recorder | undefined;
}

export class ApiProbe {
  readonly latenciesMs: number[] = [];
  /** Rate-limit headers seen, name -> last value (they carry no secret). */
  readonly rateLimitHeaders = new Map<string, string>();
  rateLimited = 0;
  private readonly headers: Record<string, string>;

  constructor(private readonly opts: ProbeOptions) {
    this.headers = { authorization: `AccessKey ${opts.accessKey}`, accept: "application/json", "user-agent": "bird-approvals-sync check" };
  }

  get apiUrl(): string {
    return this.opts.apiUrl;
  }

  orgPath(rest: string): string {
    return `/organizations/${encodeURIComponent(this.opts.organizationId)}${rest}`;
  }

  /** GET path?query once it answers (200 or 404); throws AuthError, HttpError, or RetryableHttpError after ATTEMPTS. */
  async get(path: string, query: Record<string, string> = {}): Promise<Answer> {
    const q = new URLSearchParams(query).toString();
    const url = `${this.opts.apiUrl}${path}${q ? `?${q}` : ""}`;
    for (let attempt = 1; ; attempt++) {
      const started = performance.now();
      try {
        const observe = this.opts.recorder?.attempt(url);
        const answer = await getJsonOnce(url, {
          headers: this.headers,
          timeoutMs: this.opts.timeoutMs,
          maxBytes: this.opts.maxResponseBytes,
          ...(observe ? { observe } : {}),
        });
        this.latenciesMs.push(performance.now() - started);
        answer.headers?.forEach((value, name) => {
          if (RATE_LIMIT_HEADER.test(name)) this.rateLimitHeaders.set(name.toLowerCase(), value);
        });
        return answer;
      } catch (err) {
        if (!(err instanceof RetryableHttpError) || attempt >= ATTEMPTS) throw err;
        if (err.status === 429) this.rateLimited++;
        if (err.retryAfterMs !== undefined) this.rateLimitHeaders.set("retry-after", `${Math.ceil(err.retryAfterMs / 1000)} s`);
        await sleep(Math.min(err.retryAfterMs ?? 500 * attempt, 15_000));
      }
    }
  }

  latencyP50(): number | undefined {
    if (this.latenciesMs.length === 0) return undefined;
    const sorted = [...this.latenciesMs].sort((a, b) => a - b);
    return sorted[Math.floor((sorted.length - 1) / 2)];
  }
}
