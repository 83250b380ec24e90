// Compares two JSON texts by value without JSON.parse's number round trip: numbers compare by their
// text (1.0 is not 1, 0.1000000000000000055 is not 0.1), strings by their decoded value (escapes
// do not matter), objects by key regardless of order. `check` uses it to tell whether GET-by-id
// returns exactly what the list returned — the store keeps the API's own text (DESIGN §5 rule 1).

export type JsonNode =
  | { t: "object"; m: Map<string, JsonNode> }
  | { t: "array"; v: JsonNode[] }
  | { t: "string"; v: string }
  | { t: "number"; v: string }
  | { t: "literal"; v: "true" | "false" | "null" };

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const LITERAL = /true|false|null/y;

class Reader {
  i = 0;
  constructor(private readonly s: string) {}

  fail(what: string): never {
    throw new SyntaxError(`invalid JSON at ${this.i}: ${what}`);
  }

  ws(): void {
    while (this.i < this.s.length && " \t\n\r".includes(this.s[this.i] as string)) this.i++;
  }

  value(depth: number): JsonNode {
    if (depth > 1000) this.fail("nested too deeply");
    this.ws();
    const c = this.s[this.i];
    if (c === "{") return this.object(depth);
    if (c === "[") return this.array(depth);
    if (c === '"') return { t: "string", v: this.string() };
    return this.token(NUMBER, "number") ?? this.token(LITERAL, "literal") ?? this.fail(`unexpected ${JSON.stringify(c ?? "end")}`);
  }

  private token(re: RegExp, t: "number" | "literal"): JsonNode | undefined {
    re.lastIndex = this.i;
    const m = re.exec(this.s);
    if (!m) return undefined;
    this.i += m[0].length;
    return t === "number" ? { t, v: m[0] } : { t, v: m[0] as "true" | "false" | "null" };
  }

  private string(): string {
    const start = this.i++;
    while (this.i < this.s.length && this.s[this.i] !== '"') this.i += this.s[this.i] === "\\" ? 2 : 1;
    if (this.i >= this.s.length) this.fail("unterminated string");
    this.i++;
    // One string literal alone: JSON.parse decodes its escapes exactly, and no number is involved.
    return JSON.parse(this.s.slice(start, this.i)) as string;
  }

  private object(depth: number): JsonNode {
    const m = new Map<string, JsonNode>();
    this.i++;
    this.ws();
    if (this.s[this.i] === "}") return this.i++, { t: "object", m };
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.fail("expected a key");
      const key = this.string();
      this.ws();
      if (this.s[this.i++] !== ":") this.fail("expected :");
      m.set(key, this.value(depth + 1));
      this.ws();
      const c = this.s[this.i++];
      if (c === "}") return { t: "object", m };
      if (c !== ",") this.fail("expected , or }");
    }
  }

  private array(depth: number): JsonNode {
    const v: JsonNode[] = [];
    this.i++;
    this.ws();
    if (this.s[this.i] === "]") return this.i++, { t: "array", v };
    for (;;) {
      v.push(this.value(depth + 1));
      this.ws();
      const c = this.s[this.i++];
      if (c === "]") return { t: "array", v };
      if (c !== ",") this.fail("expected , or ]");
    }
  }
}

export function parseJsonText(text: string): JsonNode {
  const r = new Reader(text);
  const node = r.value(0);
  r.ws();
  if (r.i !== text.length) r.fail("trailing characters");
  return node;
}

const show = (n: JsonNode) =>
  n.t === "object" ? "an object" : n.t === "array" ? "an array" : n.t === "string" ? JSON.stringify(n.v).slice(0, 60) : n.v;

/** undefined when equal; else where and how they first differ ("$.results[0].comment: … vs …"). */
export function firstDifference(a: JsonNode, b: JsonNode, path = "$"): string | undefined {
  if (a.t !== b.t) return `${path}: ${show(a)} vs ${show(b)}`;
  if (a.t === "object" && b.t === "object") {
    for (const k of new Set([...a.m.keys(), ...b.m.keys()])) {
      const x = a.m.get(k);
      const y = b.m.get(k);
      if (!x || !y) return `${path}.${k}: ${x ? "present" : "absent"} vs ${y ? "present" : "absent"}`;
      const d = firstDifference(x, y, `${path}.${k}`);
      if (d) return d;
    }
    return undefined;
  }
  if (a.t === "array" && b.t === "array") {
    if (a.v.length !== b.v.length) return `${path}: ${a.v.length} items vs ${b.v.length}`;
    for (let i = 0; i < a.v.length; i++) {
      const d = firstDifference(a.v[i] as JsonNode, b.v[i] as JsonNode, `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  return (a as { v: string }).v === (b as { v: string }).v ? undefined : `${path}: ${show(a)} vs ${show(b)}`;
}
