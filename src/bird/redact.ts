// Redaction of a recorded answer (issue 25, README "Recording and replay"). The answer's own JSON text
// is walked as UTF-8 bytes and redacted in place, never parsed and re-serialised: what is kept stays
// byte for byte, and what is redacted gets a placeholder of the same shape (placeholder.ts). What is
// kept is a short list per answer kind (ids, timestamps, status, activeStep, results[].result, reviewer
// and invoker, flow types, the page token, error codes and messages); all other text is free text, and
// so is any field the list does not know, so a field Bird adds tomorrow is redacted, not leaked.
// A secret (the access key) is looked for only where bytes are kept as they are: elsewhere its
// characters are gone (a scan of every answer for it cost a twentieth of the recording's CPU).
import { KeyScope } from "./key-scope.js";
import { redactAllBytes, redactNumberBytes, redactStringBytes, stringEnd } from "./placeholder.js";
import type { SecretBytes } from "./secret-bytes.js";

/** "keep": verbatim. "free": every string, key and number redacted. Objects keep their own keys. */
type Shape = "keep" | "free" | Structure;
/** An object with known `fields` (and `other` for the rest), or (fields null) an array of `items`: one form, one hidden class. */
interface Structure {
  readonly fields: FieldTable | null;
  readonly other: Shape;
  readonly items: Shape;
}

/** An object's known fields, found by the bytes of a key (no string made per key: there are many). */
class FieldTable {
  /** The names of each byte length, and their shapes: a key is compared only with names of its length. */
  private readonly names: Array<Uint8Array[] | undefined> = [];
  private readonly shapes: Array<Shape[] | undefined> = [];

  constructor(fields: Record<string, Shape>) {
    for (const [name, shape] of Object.entries(fields)) {
      const bytes = new Uint8Array(Buffer.from(name, "utf8"));
      (this.names[bytes.length] ??= []).push(bytes);
      (this.shapes[bytes.length] ??= []).push(shape);
    }
  }

  get(buf: Uint8Array, start: number, end: number): Shape | undefined {
    const n = end - start;
    const names = this.names[n];
    if (names === undefined) return undefined;
    for (let f = 0; f < names.length; f++) {
      const name = names[f] as Uint8Array;
      let k = 0;
      while (k < n && name[k] === buf[start + k]) k++;
      if (k === n) return (this.shapes[n] as Shape[])[f];
    }
    return undefined;
  }
}

const object = (fields: Record<string, Shape>, other: Shape = "free"): Shape => ({ fields: new FieldTable(fields), other, items: "free" });
const arrayOf = (items: Shape): Shape => ({ fields: null, other: "free", items });
const keep = (...names: string[]): Record<string, Shape> => Object.fromEntries(names.map((n) => [n, "keep" as const]));

const PARTY = object(keep("type", "id"));
// A tag keeps the names "key" and "value"; both values are free text.
const TAG = object({});
const RUN = object({
  ...keep("id", "approvalFlowId", "organizationId", "workspaceId", "status", "activeStep", "createdAt", "updatedAt"),
  invoker: PARTY,
  tags: arrayOf(TAG),
  results: arrayOf(object({ ...keep("result", "userId"), reviewer: PARTY })),
});
const FLOW = object({
  ...keep("id", "organizationId", "workspaceId", "ownerId", "objectType", "objectAction", "createdAt", "updatedAt"),
  steps: arrayOf(object({ ...keep("type"), reviewers: arrayOf(PARTY) })),
  tags: arrayOf(TAG),
});
const listOf = (item: Shape): Shape => object({ results: arrayOf(item), ...keep("nextPageToken") });
const RUNS = listOf(RUN);
const FLOWS = listOf(FLOW);
// Bird's own words about a request ({code, message}): what a bug report needs, not customer data.
const ERROR = object(keep("code", "message"));

/** Which shape an answer has, from its path (without the query) and status. */
function shapeOf(path: string, status: number): Shape {
  if (status < 200 || status >= 300) return ERROR;
  if (/\/approvals\/[^/]+\/runs\/[^/]+\/?$/.test(path)) return RUN;
  if (/\/approvals\/[^/]+\/runs\/?$/.test(path)) return RUNS;
  if (/\/approvals\/?$/.test(path)) return FLOWS;
  if (/\/approvals\/[^/]+\/?$/.test(path)) return FLOW;
  return "free";
}

const LITERALS = [Buffer.from("true"), Buffer.from("false"), Buffer.from("null")];

/** Index past the literal (true, false, null) at i, or -1. */
function literalEnd(buf: Buffer, i: number): number {
  const c = buf[i];
  for (let l = 0; l < LITERALS.length; l++) {
    const literal = LITERALS[l] as Buffer;
    if (c !== literal[0]) continue;
    let k = 1;
    while (k < literal.length && buf[i + k] === literal[k]) k++;
    return k === literal.length ? i + k : -1;
  }
  return -1;
}

const isWs = (c: number | undefined) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

// A walk never starts another (JavaScript runs one at a time): one set of key scopes, by depth, and one
// stack of open containers serve every answer, with no allocation per object (a new stack for every
// free subtree was most of what the walk allocated).
const SCOPES: KeyScope[] = [];
const OPEN: Array<KeyScope | null> = [];

class Redaction {
  constructor(
    /** The answer, redacted in place. */
    private readonly buf: Buffer,
    /** Bytes that must not be kept: where they appear in kept text, they become asterisks. */
    private readonly secret: SecretBytes | undefined,
  ) {}

  /** Bytes [start, end) stay as they are: the secret, should it be there, does not. */
  private kept(start: number, end: number): void {
    if (this.secret !== undefined && end - start >= this.secret.bytes.length) this.secret.scrub(this.buf, start, end);
  }

  private ws(i: number): number {
    while (isWs(this.buf[i])) i++;
    return i;
  }

  /** Index past the value at i (after whitespace), redacted as `shape` says. */
  value(i: number, shape: Shape): number {
    const at = this.ws(i);
    const c = this.buf[at];
    if (shape === "keep") return c === 0x7b || c === 0x5b ? this.free(at) : this.scalar(at, false);
    if (shape === "free") return this.free(at);
    if (shape.fields !== null) return c === 0x7b ? this.object(at, shape.fields, shape.other) : this.free(at);
    return c === 0x5b ? this.array(at, shape.items) : this.free(at);
  }

  private object(i: number, fields: FieldTable, other: Shape): number {
    const { buf } = this;
    let j = this.ws(i + 1);
    if (buf[j] === 0x7d) return j + 1;
    for (;;) {
      if (buf[j] !== 0x22) throw new SyntaxError(`expected a key at ${j}`);
      const close = stringEnd(buf, j);
      const field = this.field(fields, j + 1, close);
      this.kept(j + 1, close);
      j = this.ws(close + 1);
      if (buf[j] !== 0x3a) throw new SyntaxError(`expected a colon at ${j}`);
      j = this.ws(this.value(j + 1, field ?? other));
      if (buf[j] === 0x7d) return j + 1;
      if (buf[j] !== 0x2c) throw new SyntaxError(`expected , or } at ${j}`);
      j = this.ws(j + 1);
    }
  }

  /** The shape of the field named by the key content [start, end) (written with escapes or not). */
  private field(fields: FieldTable, start: number, end: number): Shape | undefined {
    // A name has no backslash: a key that matches one as written is that name.
    const known = fields.get(this.buf, start, end);
    if (known !== undefined) return known;
    let escaped = false;
    for (let k = start; k < end && !escaped; k++) escaped = this.buf[k] === 0x5c;
    if (!escaped) return undefined;
    const name = Buffer.from(JSON.parse(this.buf.toString("utf8", start - 1, end + 1)) as string, "utf8");
    return fields.get(name, 0, name.length);
  }

  private array(i: number, items: Shape): number {
    const { buf } = this;
    let j = this.ws(i + 1);
    if (buf[j] === 0x5d) return j + 1;
    for (;;) {
      j = this.ws(this.value(j, items));
      if (buf[j] === 0x5d) return j + 1;
      if (buf[j] !== 0x2c) throw new SyntaxError(`expected , or ] at ${j}`);
      j++;
    }
  }

  /** A string, number or literal at i; redacted when `free`. */
  private scalar(i: number, free: boolean): number {
    const { buf } = this;
    const c = buf[i] as number;
    if (c === 0x22) {
      const close = stringEnd(buf, i);
      if (!free || !redactStringBytes(buf, i + 1, close)) this.kept(i + 1, close);
      return close + 1;
    }
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      let end = i + 1;
      for (let d = buf[end] as number; (d >= 0x30 && d <= 0x39) || d === 0x2e || d === 0x65 || d === 0x45 || d === 0x2b || d === 0x2d; ) {
        d = buf[++end] as number;
      }
      if (free) redactNumberBytes(buf, i, end);
      else this.kept(i, end);
      return end;
    }
    const end = literalEnd(buf, i);
    if (end >= 0) return end;
    throw new SyntaxError(`unexpected byte ${c} at ${i}`);
  }

  /**
   * A free-text subtree, walked with an explicit stack (it may be nested deeper than a call stack
   * allows: depth is one of the things PostgreSQL refuses, and the replay must meet it again).
   */
  private free(i: number): number {
    const { buf } = this;
    // One entry per open container (OPEN[0, depth)): the object's key placeholders, or null for an array.
    let depth = 0;
    let scope: KeyScope | null = null;
    let expectKey = false;
    let j = i;
    for (;;) {
      j = this.ws(j);
      if (j >= buf.length) throw new SyntaxError("unexpected end of JSON text");
      const c = buf[j] as number;
      if (c === 0x7b || c === 0x5b) {
        scope = c === 0x7b ? scopeAt(depth) : null;
        OPEN[depth++] = scope;
        expectKey = c === 0x7b;
        j++;
        continue;
      }
      if (c === 0x7d || c === 0x5d) {
        if (depth === 0) throw new SyntaxError(`unexpected ${String.fromCharCode(c)} at ${j}`);
        j++;
        if (--depth === 0) return j;
        scope = OPEN[depth - 1] as KeyScope | null;
        continue;
      }
      if (c === 0x2c || c === 0x3a) {
        expectKey = c === 0x2c && scope !== null;
        j++;
        continue;
      }
      if (c === 0x22 && expectKey && scope !== null) {
        const close = stringEnd(buf, j);
        if (!scope.redact(buf, j + 1, close)) this.kept(j + 1, close);
        j = close + 1;
      } else j = this.scalar(j, true);
      expectKey = false;
      if (depth === 0) return j;
    }
  }
}

/** The key placeholders of a new object at this depth of a free subtree (one object per depth is open). */
function scopeAt(depth: number): KeyScope {
  const scope = (SCOPES[depth] ??= new KeyScope());
  scope.clear();
  return scope;
}

/**
 * Redacts, in place, the answer to a GET of `path` (no query) with `status`, as UTF-8 bytes: its free
 * text replaced by placeholders of the same byte length, `secret` (when given) by asterisks wherever
 * text is kept as it is. Returns whether the result is JSON: JSON stays JSON; a body that is not JSON
 * is redacted character by character (what a walk redacted before it failed stays redacted), and
 * the caller scrubs the secret from it.
 */
export function redactAnswerInPlace(path: string, status: number, buf: Buffer, secret?: SecretBytes): boolean {
  try {
    let end = new Redaction(buf, secret).value(0, shapeOf(path, status));
    while (isWs(buf[end])) end++;
    if (end !== buf.length) throw new SyntaxError(`text after the JSON value at ${end}`);
    return true;
  } catch {
    redactAllBytes(buf);
    return false;
  }
}

/** redactAnswerInPlace of a text, as text. */
export function redactAnswer(path: string, status: number, text: string): string {
  const buf = Buffer.from(text, "utf8");
  redactAnswerInPlace(path, status, buf);
  return buf.toString("utf8");
}
