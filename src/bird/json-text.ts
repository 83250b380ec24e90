// Cuts records out of an answer's JSON text without parsing them, so each run reaches the database as
// the exact text Bird sent (numbers keep every digit, escapes stay as written). The text has already
// passed JSON.parse, so the scanner only needs to find where values start and end.

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function skipWs(text: string, i: number): number {
  while (i < text.length && WS.has(text.charCodeAt(i))) i++;
  return i;
}

/** Index just past the string whose opening quote is at i. */
function skipString(text: string, i: number): number {
  let j = i + 1;
  for (;;) {
    const q = text.indexOf('"', j);
    if (q < 0) throw new SyntaxError("unterminated string in JSON text");
    // The quote is escaped when an odd number of backslashes precede it.
    let k = q - 1;
    while (k > i && text.charCodeAt(k) === BACKSLASH) k--;
    if ((q - 1 - k) % 2 === 0) return q + 1;
    j = q + 1;
  }
}

/** Index just past the JSON value that starts at i (no leading whitespace). */
function skipValue(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === QUOTE) return skipString(text, i);
  if (c === 0x7b || c === 0x5b) {
    let depth = 0;
    let j = i;
    while (j < text.length) {
      const d = text.charCodeAt(j);
      if (d === QUOTE) {
        j = skipString(text, j);
        continue;
      }
      if (d === 0x7b || d === 0x5b) depth++;
      else if (d === 0x7d || d === 0x5d) {
        depth--;
        if (depth === 0) return j + 1;
      }
      j++;
    }
    throw new SyntaxError("unterminated container in JSON text");
  }
  let j = i;
  while (j < text.length) {
    const d = text.charCodeAt(j);
    if (d === 0x2c || d === 0x7d || d === 0x5d || WS.has(d)) break;
    j++;
  }
  return j;
}

function arrayElements(text: string, start: number): string[] {
  const out: string[] = [];
  let i = skipWs(text, start + 1);
  if (text.charCodeAt(i) === 0x5d) return out;
  for (;;) {
    const end = skipValue(text, i);
    out.push(text.slice(i, end));
    i = skipWs(text, end);
    if (text.charCodeAt(i) === 0x2c) {
      i = skipWs(text, i + 1);
      continue;
    }
    return out;
  }
}

/** A member of the top-level object: its name (escapes read), where its colon is, and its value's span. */
export interface MemberSpan {
  name: string;
  colon: number;
  /** The value's first character (after whitespace) and the index just past it. */
  start: number;
  end: number;
}

/** The members of the top-level object, in order (undefined when the text is not an object). */
export function topLevelMembers(text: string): MemberSpan[] | undefined {
  let i = skipWs(text, 0);
  if (text.charCodeAt(i) !== 0x7b) return undefined;
  const members: MemberSpan[] = [];
  i = skipWs(text, i + 1);
  while (i < text.length && text.charCodeAt(i) === QUOTE) {
    const keyEnd = skipString(text, i);
    const rawKey = text.slice(i, keyEnd);
    const name = rawKey.includes("\\") ? (JSON.parse(rawKey) as string) : rawKey.slice(1, -1);
    const colon = skipWs(text, keyEnd);
    const start = skipWs(text, colon + 1);
    const end = skipValue(text, start);
    members.push({ name, colon, start, end });
    i = skipWs(text, end);
    if (text.charCodeAt(i) !== 0x2c) break;
    i = skipWs(text, i + 1);
  }
  return members;
}

/**
 * The texts of the elements of the top-level object's `key` array, in order. A key written with escapes
 * counts, and when the key repeats the last one wins, exactly as JSON.parse and jsonb read it.
 */
export function arrayMemberTexts(text: string, key: string): string[] | undefined {
  const member = topLevelMembers(text)?.findLast((m) => m.name === key);
  return member && text.charCodeAt(member.start) === 0x5b ? arrayElements(text, member.start) : undefined;
}

/** The answer text without the whitespace around it: a GET answer is the run's own text. */
export function valueText(text: string): string {
  return text.trim();
}
