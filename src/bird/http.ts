// One HTTP attempt against Bird, classified into a typed outcome. Retrying is the caller's job.
import { AuthError, HttpError, RetryableHttpError } from "../errors.js";
import { parseRetryAfter } from "./retry-after.js";

export interface Answer {
  status: number;
  body: unknown;
  /** The body as received: the database reads runs from it verbatim. */
  text: string;
  /** Response headers (`check` reports rate-limit headers; Bird documents none). */
  headers?: Headers;
}

const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

/** Error bodies are `{code, message}` in the seeds, but Bird does not promise it: be lenient. */
function describeErrorBody(text: string): string {
  try {
    const body = JSON.parse(text) as { code?: unknown; message?: unknown };
    const parts = [body.code, body.message].filter((p) => typeof p === "string" && p.length > 0);
    if (parts.length > 0) return parts.join(": ").slice(0, 300);
  } catch {
    // not JSON
  }
  return text.replace(/\s+/g, " ").slice(0, 120);
}

export interface AttemptOptions {
  headers: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Sees what came back before it is judged: the answer as read, or why none came (`--record`, issue 25). */
  observe?: (outcome: RawOutcome) => void;
}

export type RawOutcome = { status: number; headers: Headers; text: string } | { error: string };

/**
 * GETs url once. Resolves 2xx with parsed JSON and 404 as an answer (callers decide what a 404 means);
 * throws AuthError for 401/403, RetryableHttpError for what a retry can fix, HttpError otherwise.
 */
export async function getJsonOnce(url: string, opts: AttemptOptions): Promise<Answer> {
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, { headers: opts.headers, signal });
    text = await res.text();
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    const reason = timeout.aborted
      ? `no complete answer within ${opts.timeoutMs} ms`
      : `network error: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`;
    opts.observe?.({ error: reason });
    throw new RetryableHttpError(reason, undefined, undefined, { cause: err });
  }
  opts.observe?.({ status: res.status, headers: res.headers, text });
  const status = res.status;
  if (status === 401 || status === 403) {
    throw new AuthError(
      `Bird rejected the access key (HTTP ${status}): check BIRD_ACCESS_KEY and that it may read approvals of BIRD_ORGANIZATION_ID`,
    );
  }
  if (RETRYABLE_STATUS.has(status)) {
    const retryAfterMs = parseRetryAfter(res.headers.get("retry-after"));
    throw new RetryableHttpError(`HTTP ${status} ${describeErrorBody(text)}`.trim(), status, retryAfterMs);
  }
  if (status === 404) return { status, body: safeJson(text), text, headers: res.headers };
  if (status < 200 || status >= 300) throw new HttpError(`HTTP ${status} ${describeErrorBody(text)}`.trim(), status);
  try {
    return { status, body: JSON.parse(text), text, headers: res.headers };
  } catch {
    // A cut-off or non-JSON 200 is a transport problem, not data: try again.
    throw new RetryableHttpError(`invalid JSON in a ${status} answer (${text.length} bytes)`, status);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
