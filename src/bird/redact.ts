// Redaction of a recorded answer (issue 25, README "Recording and replay"). The answer's own JSON text
// is walked, never parsed and re-serialised: what is kept stays byte for byte, and what is redacted
// gets a placeholder of the same shape (placeholder.ts). What is kept is a short list per answer kind
// (ids, timestamps, status, activeStep, results[].result, reviewer and invoker, flow types, the page
// token, error codes and messages); everything else that is text is free text, and so is any field
// this list does not know, so a field Bird adds tomorrow is redacted, not leaked.
import { skipString, skipWs } from "./json-text.js";
import { KeyScope, redactAnyText, redactNumberText, redactStringText } from "./placeholder.js";

/** "keep": verbatim. "free": every string, key and number redacted. Objects keep their keys. */
type Shape = "keep" | "free" | { readonly fields: ReadonlyMap<string, Shape>; readonly other: Shape } | { readonly items: Shape };

const object = (fields: Record<string, Shape>, other: Shape = "free"): Shape => ({ fields: new Map(Object.entries(fields)), other });
const keep = (...names: string[]): Record<string, Shape> => Object.fromEntries(names.map((n) => [n, "keep" as const]));

const PARTY = object(keep("type", "id"));
// A tag keeps the names "key" and "value"; both values are free text.
const TAG = object({});
const RUN = object({
  ...keep("id", "approvalFlowId", "organizationId", "workspaceId", "status", "activeStep", "createdAt", "updatedAt"),
  invoker: PARTY,
  tags: { items: TAG },
  results: { items: object({ ...keep("result", "userId"), reviewer: PARTY }) },
});
const FLOW = object({
  ...keep("id", "organizationId", "workspaceId", "ownerId", "objectType", "objectAction", "createdAt", "updatedAt"),
  steps: { items: object({ ...keep("type"), reviewers: { items: PARTY } }) },
  tags: { items: TAG },
});
const listOf = (item: Shape): Shape => object({ results: { items: item }, ...keep("nextPageToken") });
// Bird's own words about a request ({code, message}): what a bug report needs, not customer data.
const ERROR = object(keep("code", "message"));

/** Which shape an answer has, from its path (without the query) and status. */
function shapeOf(path: string, status: number): Shape {
  if (status < 200 || status >= 300) return ERROR;
  if (/\/approvals\/[^/]+\/runs\/[^/]+\/?$/.test(path)) return RUN;
  if (/\/approvals\/[^/]+\/runs\/?$/.test(path)) return listOf(RUN);
  if (/\/approvals\/?$/.test(path)) return listOf(FLOW);
  if (/\/approvals\/[^/]+\/?$/.test(path)) return FLOW;
  return "free";
}

const SCALAR = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;
const NUMBER_START = /[-0-9]/;

class Redaction {
  private readonly out: string[] = [];
  private copied = 0;

  constructor(private readonly text: string) {}

  result(): string {
    if (this.copied === 0) return this.text;
    this.out.push(this.text.slice(this.copied));
    return this.out.join("");
  }

  /** Index past the value at i (after whitespace), redacted as `shape` says. */
  value(i: number, shape: Shape): number {
    const at = skipWs(this.text, i);
    const c = this.text.charCodeAt(at);
    if (shape === "keep") return c === 0x7b || c === 0x5b ? this.free(at) : this.scalar(at, false);
    if (shape === "free") return this.free(at);
    if ("fields" in shape) return c === 0x7b ? this.object(at, shape) : this.free(at);
    return c === 0x5b ? this.array(at, shape.items) : this.free(at);
  }

  private replace(from: number, to: number, text: string): void {
    if (to - from === text.length && this.text.startsWith(text, from)) return;
    this.out.push(this.text.slice(this.copied, from), text);
    this.copied = to;
  }

  private object(i: number, shape: { fields: ReadonlyMap<string, Shape>; other: Shape }): number {
    const { text } = this;
    let j = skipWs(text, i + 1);
    if (text.charCodeAt(j) === 0x7d) return j + 1;
    for (;;) {
      if (text.charCodeAt(j) !== 0x22) throw new SyntaxError(`expected a key at ${j}`);
      const keyEnd = skipString(text, j);
      const raw = text.slice(j + 1, keyEnd - 1);
      const name = raw.includes("\\") ? (JSON.parse(text.slice(j, keyEnd)) as string) : raw;
      j = skipWs(text, keyEnd);
      if (text.charCodeAt(j) !== 0x3a) throw new SyntaxError(`expected a colon at ${j}`);
      j = skipWs(text, this.value(j + 1, shape.fields.get(name) ?? shape.other));
      const c = text.charCodeAt(j);
      if (c === 0x7d) return j + 1;
      if (c !== 0x2c) throw new SyntaxError(`expected , or } at ${j}`);
      j = skipWs(text, j + 1);
    }
  }

  private array(i: number, items: Shape): number {
    const { text } = this;
    let j = skipWs(text, i + 1);
    if (text.charCodeAt(j) === 0x5d) return j + 1;
    for (;;) {
      j = skipWs(text, this.value(j, items));
      const c = text.charCodeAt(j);
      if (c === 0x5d) return j + 1;
      if (c !== 0x2c) throw new SyntaxError(`expected , or ] at ${j}`);
      j++;
    }
  }

  /** A string, number or literal at i; redacted when `free`. */
  private scalar(i: number, free: boolean): number {
    const { text } = this;
    if (text.charCodeAt(i) === 0x22) {
      const end = skipString(text, i);
      if (free) this.replace(i + 1, end - 1, redactStringText(text.slice(i + 1, end - 1)));
      return end;
    }
    SCALAR.lastIndex = i;
    const m = SCALAR.exec(text);
    if (!m) throw new SyntaxError(`unexpected ${JSON.stringify(text.charAt(i))} at ${i}`);
    const end = i + m[0].length;
    if (free && NUMBER_START.test(m[0])) this.replace(i, end, redactNumberText(m[0]));
    return end;
  }

  /**
   * A free-text subtree, walked with an explicit stack (it may be nested deeper than a call stack
   * allows: depth is one of the things PostgreSQL refuses, and the replay must meet it again).
   */
  private free(i: number): number {
    const { text } = this;
    // One entry per open container: the object's key placeholders, or null for an array.
    const open: Array<KeyScope | null> = [];
    let expectKey = false;
    let j = i;
    for (;;) {
      j = skipWs(text, j);
      if (j >= text.length) throw new SyntaxError("unexpected end of JSON text");
      const c = text.charCodeAt(j);
      if (c === 0x7b || c === 0x5b) {
        open.push(c === 0x7b ? new KeyScope() : null);
        expectKey = c === 0x7b;
        j++;
        continue;
      }
      if (c === 0x7d || c === 0x5d) {
        if (open.length === 0) throw new SyntaxError(`unexpected ${text[j]} at ${j}`);
        open.pop();
        j++;
        if (open.length === 0) return j;
        continue;
      }
      if (c === 0x2c || c === 0x3a) {
        expectKey = c === 0x2c && open.at(-1) != null;
        j++;
        continue;
      }
      const scope = open.at(-1);
      if (c === 0x22 && expectKey && scope) {
        const end = skipString(text, j);
        this.replace(j + 1, end - 1, scope.placeholder(text.slice(j + 1, end - 1)));
        j = end;
      } else j = this.scalar(j, true);
      expectKey = false;
      if (open.length === 0) return j;
    }
  }
}

/**
 * The answer to a GET of `path` (no query) with `status`, its free text replaced by placeholders.
 * A body that is not JSON is redacted character by character, so it stays as unreadable to the sync.
 */
export function redactAnswer(path: string, status: number, text: string): string {
  try {
    const r = new Redaction(text);
    const end = skipWs(text, r.value(0, shapeOf(path, status)));
    if (end !== text.length) throw new SyntaxError(`text after the JSON value at ${end}`);
    return r.result();
  } catch {
    return redactAnyText(text);
  }
}
