// One HTTP attempt against Bird, classified into a typed outcome. Retrying is the caller's job.
// Bounded and pinned (issue 20): a body is read only up to HTTP_MAX_RESPONSE_BYTES, and a redirect
// is followed only within the origin the request was sent to (BIRD_API_URL's): whatever another
// origin answers is not Bird's data, and its 401 is not Bird's verdict on the key.
import { isUtf8 } from "node:buffer";
import { AuthError, HttpError, RetryableHttpError } from "../errors.js";
import { parseRetryAfter } from "./retry-after.js";

export interface Answer {
  status: number;
  body: unknown;
  /** The body as received: the database reads runs from it verbatim. */
  text: string;
  /**
   * The body's bytes when they are exactly `text`'s UTF-8 (unset when decoding changed them: a BOM
   * dropped, invalid bytes replaced): a page can be kept and written as these, never as a large string.
   */
  utf8?: Uint8Array;
  /** Response headers (`check` reports rate-limit headers; Bird documents none). */
  headers?: Headers;
}

const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

/** Error bodies are `{code, message}` in the seeds, but Bird does not promise it: be lenient. */
function describeErrorBody(text: string, parsed: { value: unknown } | undefined): string {
  const body = parsed?.value;
  if (body !== null && typeof body === "object") {
    const { code, message } = body as { code?: unknown; message?: unknown };
    const parts = [code, message].filter((p) => typeof p === "string" && p.length > 0);
    if (parts.length > 0) return parts.join(": ").slice(0, 300);
  }
  return text.replace(/\s+/g, " ").slice(0, 120);
}

export interface AttemptOptions {
  headers: Record<string, string>;
  timeoutMs: number;
  /** HTTP_MAX_RESPONSE_BYTES: a larger body is not read (the request fails, not retried). */
  maxBytes: number;
  signal?: AbortSignal;
  /** Sees what came back before it is judged: the answer as read, or why none came (`--record`, issue 25). */
  observe?: (outcome: RawOutcome) => void;
}

/**
 * `bytes`: the body as read, `text` decoded from them, `exact`: the bytes are exactly the text's UTF-8
 * (no BOM dropped, no invalid byte replaced), `json`: true when that text is JSON. The observer must
 * not change the bytes or hand them over (the answer keeps them): a copy is its own.
 */
export type RawOutcome =
  | { status: number; headers: Headers; text: string; bytes?: Uint8Array; exact?: boolean; json?: boolean }
  | { error: string };

const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;
// Decodes as Response.text() does: UTF-8, a leading BOM dropped, invalid bytes as U+FFFD.
const utf8 = new TextDecoder("utf-8");

/** Where a redirect pointed, for an error: the query is left out (it may carry a signed token). */
function describeTarget(url: URL): string {
  return `${url.origin}${url.pathname}`.slice(0, 200);
}

/**
 * GETs url, following at most MAX_REDIRECTS redirects that stay on its origin, with the same headers.
 * A redirect elsewhere is an HttpError naming where it pointed; its body is not read.
 */
async function fetchOnOrigin(url: string, opts: AttemptOptions, signal: AbortSignal): Promise<Response> {
  const origin = new URL(url).origin;
  let current = url;
  for (let redirects = 0; ; redirects++) {
    const res = await fetch(current, { headers: opts.headers, signal, redirect: "manual" });
    const location = res.headers.get("location");
    if (!REDIRECT_STATUS.has(res.status) || location === null) return res;
    await res.body?.cancel().catch(() => undefined);
    const target = new URL(location, current);
    if (target.origin !== origin) {
      throw new HttpError(
        `Bird answered HTTP ${res.status} redirecting to ${describeTarget(target)}; refusing to follow a redirect off BIRD_API_URL's origin (${origin})`,
        res.status,
      );
    }
    if (redirects >= MAX_REDIRECTS) {
      throw new HttpError(`Bird answered more than ${MAX_REDIRECTS} redirects in a row (last to ${describeTarget(target)})`, res.status);
    }
    current = target.href;
  }
}

function tooLarge(res: Response, maxBytes: number, what: string): HttpError {
  return new HttpError(
    `Bird's answer (HTTP ${res.status}) is larger than HTTP_MAX_RESPONSE_BYTES (${maxBytes} bytes): ${what}; raise the setting if answers this large are expected`,
    res.status,
  );
}

/** The body's bytes, read as a stream and given up (the connection closed) past maxBytes. */
async function readBoundedBody(res: Response, maxBytes: number): Promise<Uint8Array> {
  const announced = Number(res.headers.get("content-length") ?? Number.NaN);
  if (announced > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw tooLarge(res, maxBytes, `it announced ${announced} bytes (Content-Length)`);
  }
  if (!res.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let length = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.byteLength;
    if (length > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(res, maxBytes, `stopped reading after ${length} bytes`);
    }
    chunks.push(value);
  }
  // An array of its own: a page keeps it until its commit, and a recording copies it (Buffer.concat may return a slice of a shared pool).
  const bytes = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}

/**
 * GETs url once. Resolves 2xx with parsed JSON and 404 as an answer (callers decide what a 404 means);
 * throws AuthError for 401/403, RetryableHttpError for what a retry can fix, HttpError otherwise
 * (including an answer over maxBytes and a redirect off url's origin).
 */
export async function getJsonOnce(url: string, opts: AttemptOptions): Promise<Answer> {
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  let res: Response;
  let bytes: Uint8Array;
  try {
    res = await fetchOnOrigin(url, opts, signal);
    bytes = await readBoundedBody(res, opts.maxBytes);
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    if (err instanceof HttpError) {
      opts.observe?.({ error: err.message });
      throw err;
    }
    const reason = timeout.aborted
      ? `no complete answer within ${opts.timeoutMs} ms`
      : `network error: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`;
    opts.observe?.({ error: reason });
    throw new RetryableHttpError(reason, undefined, undefined, { cause: err });
  }
  const text = utf8.decode(bytes);
  const parsed = parseJson(text);
  const exact = isExactUtf8(bytes);
  opts.observe?.({ status: res.status, headers: res.headers, text, bytes, exact, json: parsed !== undefined });
  const status = res.status;
  if (status === 401 || status === 403) {
    throw new AuthError(
      `Bird rejected the access key (HTTP ${status}): check BIRD_ACCESS_KEY and that it may read approvals of BIRD_ORGANIZATION_ID`,
    );
  }
  if (RETRYABLE_STATUS.has(status)) {
    const retryAfterMs = parseRetryAfter(res.headers.get("retry-after"));
    throw new RetryableHttpError(`HTTP ${status} ${describeErrorBody(text, parsed)}`.trim(), status, retryAfterMs);
  }
  if (status === 404) return { status, body: parsed ? parsed.value : text, text, headers: res.headers };
  if (status < 200 || status >= 300) throw new HttpError(`HTTP ${status} ${describeErrorBody(text, parsed)}`.trim(), status);
  // A cut-off or non-JSON 200 is a transport problem, not data: try again.
  if (!parsed) throw new RetryableHttpError(`invalid JSON in a ${status} answer (${text.length} bytes)`, status);
  return { status, body: parsed.value, text, ...(exact ? { utf8: bytes } : {}), headers: res.headers };
}

/** Whether decoding these bytes gives their own text back (UTF-8, no BOM to drop). */
export function isExactUtf8(bytes: Uint8Array): boolean {
  return !(bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) && isUtf8(bytes);
}

/** The text's JSON value, or undefined when it is not JSON. */
function parseJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) };
  } catch {
    return undefined;
  }
}
