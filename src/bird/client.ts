// Bird Accounts API client: list runs, get run, list flows — with the retry policy of DESIGN §5.
import pRetry, { AbortError, type Options as PRetryOptions } from "p-retry";
import type { Logger } from "pino";
import {
  ApiUnreachableError,
  AuthError,
  ConfigError,
  FlowNotFoundError,
  HttpError,
  PageTokenRejectedError,
  RetryableHttpError,
  SyncError,
} from "../errors.js";
import { type Answer, getJsonOnce } from "./http.js";
import { type RunsPage, parseListPage } from "./list-page.js";
import { describeUnreachable, unreachableCode } from "./reachability.js";
import type { Recorder } from "./recorder.js";
import type { RequestGate } from "./request-gate.js";
import { valueText } from "./json-text.js";
import { RetryWarnings } from "./retry-warnings.js";
import { FlowListProgress } from "./flow-list-progress.js";

export type RequestKind = "list_runs" | "get_run" | "list_flows";

export interface ClientEvents {
  /** Every attempt's outcome: an HTTP status, or "error" when none came back. */
  onAttempt?(kind: RequestKind, status: number | "error"): void;
  onRetry?(kind: RequestKind, error: Error): void;
}

export interface ClientOptions {
  apiUrl: string;
  organizationId: string;
  accessKey: string;
  timeoutMs: number;
  /** HTTP_MAX_RESPONSE_BYTES. */
  maxResponseBytes: number;
  maxRetries: number;
  gate: RequestGate;
  logger: Logger;
  events?: ClientEvents;
  /** `--record`: sees every attempt and what came back (issue 25). */
  recorder?: Recorder | undefined;
}

/** Per-call context: cancellation, and a counter the caller owns (requests per pass). */
export interface CallContext {
  signal?: AbortSignal;
  meter?: { requests: number };
}

export type { RunsPage };

export interface RunAnswer {
  record: unknown;
  /** The answer's text: the run exactly as Bird sent it. */
  text: string;
}

/** What the sync engine needs from Bird; BirdClient over HTTP, or an in-process model in tests. */
export interface Upstream {
  listRuns(flowId: string, page: { pageToken?: string; limit: number; reverse?: boolean }, ctx?: CallContext): Promise<RunsPage>;
  getRun(flowId: string, runId: string, ctx?: CallContext): Promise<RunAnswer | null>;
  listFlows(ctx?: CallContext, limit?: number, status?: "active" | "deleted"): Promise<unknown[]>;
}

// A 429 that says how long to wait does not use up the retry budget (Bird: it was not processed);
// this many of them in a row is a storm we stop waiting out.
const MAX_RATE_LIMITED_WAITS = 30;
const MAX_RETRY_TIME_MS = 10 * 60_000;

// Tries before a first request that cannot connect at all gives up (issue 24): an API that never
// answered this process is most likely a wrong BIRD_API_URL. Once it has answered, a connection
// error is an outage and gets the whole retry policy.
const UNREACHABLE_ATTEMPTS = 3;

const isWaitable = (error: unknown) => error instanceof RetryableHttpError && error.retryAfterMs !== undefined;

// The backoff schedule p-retry owns: 250 ms doubling, at most 15 s, each wait ×1..2 at random.
const BACKOFF = { minTimeout: 250, factor: 2, maxTimeout: 15_000, randomize: true } as const;

/** The shortest and longest wait p-retry's schedule may pick after this many consumed retries. */
function backoffRange(retriesConsumed: number): [number, number] {
  const base = Math.min(BACKOFF.maxTimeout, BACKOFF.minTimeout * BACKOFF.factor ** retriesConsumed);
  return [base, Math.min(BACKOFF.maxTimeout, 2 * base)];
}

export class BirdClient implements Upstream {
  private readonly headers: Record<string, string>;
  private readonly retryWarnings: RetryWarnings;
  /** Bird has answered (any HTTP status) at least once in this process. */
  private reached = false;

  constructor(private readonly opts: ClientOptions) {
    this.retryWarnings = new RetryWarnings(opts.logger);
    this.headers = {
      authorization: `AccessKey ${opts.accessKey}`,
      accept: "application/json",
      "user-agent": "bird-approvals-sync",
    };
  }

  async listRuns(flowId: string, page: { pageToken?: string; limit: number; reverse?: boolean }, ctx: CallContext = {}): Promise<RunsPage> {
    const q = new URLSearchParams({ limit: String(page.limit) });
    if (page.pageToken) q.set("pageToken", page.pageToken);
    if (page.reverse !== undefined) q.set("reverse", String(page.reverse));
    const url = `${this.orgUrl()}/approvals/${encodeURIComponent(flowId)}/runs?${q}`;
    return this.get(
      "list_runs",
      url,
      ctx,
      (answer) => {
        if (answer.status === 404) throw new FlowNotFoundError(`approval flow ${flowId} was not found (HTTP 404)`);
        return parseListPage(answer);
      },
      (err) =>
        err instanceof HttpError && err.status === 400 && page.pageToken
          ? new PageTokenRejectedError(`Bird rejected the stored page token for flow ${flowId} (${err.message})`)
          : err,
    );
  }

  /** The run and its own text, or null when Bird answers 404 (it was deleted). `runId` as Bird sent it. */
  async getRun(flowId: string, runId: string, ctx: CallContext = {}): Promise<RunAnswer | null> {
    const url = `${this.orgUrl()}/approvals/${encodeURIComponent(flowId)}/runs/${encodeURIComponent(runId)}`;
    return this.get("get_run", url, ctx, (answer) =>
      answer.status === 404 ? null : { record: answer.body, text: valueText(answer.text) },
    );
  }

  /**
   * Every flow of the organization (all pages, records as listed: a flow may come twice); `status:
   * "deleted"` lists the deleted ones instead. The listing ends by progress, not by trusting tokens.
   */
  async listFlows(ctx: CallContext = {}, limit = 100, status: "active" | "deleted" = "active"): Promise<unknown[]> {
    const flows: unknown[] = [];
    const progress = new FlowListProgress();
    let pageToken: string | undefined;
    do {
      const q = new URLSearchParams({ limit: String(limit) });
      // Bird's default is active; the parameter is sent only when it changes something.
      if (status !== "active") q.set("status", status);
      if (pageToken) q.set("pageToken", pageToken);
      const page = await this.get("list_flows", `${this.orgUrl()}/approvals?${q}`, ctx, (answer) => {
        if (answer.status === 404) {
          throw new ConfigError(`Bird answered 404 for organization ${this.opts.organizationId}: check BIRD_ORGANIZATION_ID`);
        }
        return parseListPage(answer);
      });
      flows.push(...page.records);
      pageToken = page.nextPageToken;
      if (pageToken) progress.check(page.records, pageToken);
    } while (pageToken);
    return flows;
  }

  /** Tells the gate what a failed attempt means and returns what to throw (p-retry's AbortError: no retry). */
  private learnFromFailure(kind: RequestKind, err: unknown, ctx: CallContext, mapError: (err: Error) => Error): Error {
    const { gate, events } = this.opts;
    if (err instanceof AuthError) {
      events?.onAttempt?.(kind, 401);
      gate.onAuthRejected(err);
      return new AbortError(err);
    }
    if (err instanceof RetryableHttpError || err instanceof HttpError) {
      if (err.status !== undefined) gate.onAnswered(err.status);
      else gate.onUnanswered();
      events?.onAttempt?.(kind, err.status ?? "error");
    } else {
      gate.onUnanswered();
      events?.onAttempt?.(kind, "error");
    }
    if (err instanceof RetryableHttpError) {
      if (err.status === 429) gate.onRateLimited();
      // A wait beyond SYNC_MAX_RETRY_AFTER ends the request (and the flow's pass) instead.
      const tooLong = err.retryAfterMs === undefined ? undefined : gate.pauseFor(err.retryAfterMs);
      return tooLong ? new AbortError(tooLong) : err;
    }
    if (ctx.signal?.aborted) return new AbortError(err as Error);
    return new AbortError(mapError(err as Error));
  }

  private orgUrl(): string {
    return `${this.opts.apiUrl}/organizations/${encodeURIComponent(this.opts.organizationId)}`;
  }

  /** One logical GET: attempts through the gate, retried; `parse` runs inside the attempt so a bad body is retried too. */
  private async get<T>(
    kind: RequestKind,
    url: string,
    ctx: CallContext,
    parse: (answer: Answer) => T,
    mapError: (err: Error) => Error = (e) => e,
  ): Promise<T> {
    try {
      return await pRetry(() => this.attempt(kind, url, ctx, parse, mapError), this.retryPolicy(kind, ctx));
    } catch (err) {
      if (err instanceof RetryableHttpError) {
        throw new RetryableHttpError(`${kind} gave up after ${this.opts.maxRetries + 1} attempts: ${err.message}`, err.status, undefined, {
          cause: err,
        });
      }
      throw err;
    }
  }

  /** One HTTP attempt through the gate; what cannot be retried is wrapped in p-retry's AbortError. */
  private async attempt<T>(
    kind: RequestKind,
    url: string,
    ctx: CallContext,
    parse: (answer: Answer) => T,
    mapError: (err: Error) => Error,
  ): Promise<T> {
    const { gate, events } = this.opts;
    try {
      await gate.acquire(ctx.signal);
    } catch (err) {
      // A rejected key or a pause too long to wait out: no attempt can succeed, so none is retried.
      throw err instanceof SyncError ? new AbortError(err) : err;
    }
    if (ctx.meter) ctx.meter.requests++;
    let answer: Answer;
    // Released after the gate has learnt from the answer (a pause is set before anyone waits on it).
    try {
      try {
        const sent = performance.now();
        const observe = this.opts.recorder?.attempt(url);
        answer = await getJsonOnce(url, {
          headers: this.headers,
          timeoutMs: this.opts.timeoutMs,
          maxBytes: this.opts.maxResponseBytes,
          signal: ctx.signal,
          ...(observe ? { observe } : {}),
        });
        this.reached = true;
        gate.recordLatency(performance.now() - sent);
        gate.onAnswered(answer.status);
        events?.onAttempt?.(kind, answer.status);
      } catch (err) {
        if ((err as { status?: unknown }).status !== undefined) this.reached = true;
        throw this.learnFromFailure(kind, err, ctx, mapError);
      }
    } finally {
      gate.release();
    }
    await this.opts.recorder?.ready();
    try {
      return parse(answer);
    } catch (err) {
      if (err instanceof RetryableHttpError) throw err;
      throw new AbortError(err as Error);
    }
  }

  /** How one logical GET retries: rate-limit waits the gate absorbs, exponential backoff for the rest. */
  private retryPolicy(kind: RequestKind, ctx: CallContext): PRetryOptions {
    let rateLimitedWaits = 0;
    return {
      retries: this.opts.maxRetries,
      ...BACKOFF,
      maxRetryTime: MAX_RETRY_TIME_MS,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      shouldConsumeRetry: ({ error }) => !(isWaitable(error) && ++rateLimitedWaits <= MAX_RATE_LIMITED_WAITS),
      onFailedAttempt: async ({ error, attemptNumber, retriesLeft, retriesConsumed }) => {
        // Stopped (Ctrl-C, SIGTERM, a lost lease): no retry, and no retry warning (issue 24).
        if (ctx.signal?.aborted) throw error;
        const unreachable = this.reached ? undefined : unreachableCode(error);
        if (unreachable && attemptNumber >= UNREACHABLE_ATTEMPTS) {
          throw new ApiUnreachableError(describeUnreachable(this.opts.apiUrl, unreachable), { cause: error });
        }
        this.opts.events?.onRetry?.(kind, error);
        // A Retry-After that does not use up the budget is waited out by the gate (every request
        // pauses, and p-retry does not back off on top); anything else waits p-retry's backoff.
        const gateWaits = isWaitable(error) && rateLimitedWaits < MAX_RATE_LIMITED_WAITS;
        // p-retry gives up when no retries are left, whether or not this one would have counted.
        if (retriesLeft <= 0) return;
        const [waitMs, waitUpToMs] = gateWaits ? [(error as RetryableHttpError).retryAfterMs!, undefined] : backoffRange(retriesConsumed);
        this.retryWarnings.notice({
          kind,
          attempt: attemptNumber,
          maxAttempts: this.opts.maxRetries + 1,
          waitMs,
          waitUpToMs,
          status: error instanceof RetryableHttpError ? error.status : undefined,
          error,
        });
      },
    };
  }
}
