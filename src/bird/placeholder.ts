// Same-shape placeholders for the free text a recording redacts (issue 25), written into the JSON text
// itself: a string keeps its length in UTF-8 bytes and in UTF-16 units, its escapes and punctuation;
// a number keeps its sign, digit count, fraction and exponent. So a body keeps its byte length, and
// the bugs that live in shapes (escapes PostgreSQL can't store, precision, size) still reproduce.
import { isUuid } from "../uuid.js";
import { isRfc3339DateTime } from "./date-time.js";

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
// Letters, digits, marks and symbols carry content; punctuation, spaces and format characters are shape.
const CONTENT = /[\p{L}\p{N}\p{M}\p{S}\p{Co}]/u;
const CONTENT_ALL = /[\p{L}\p{N}\p{M}\p{S}\p{Co}]/gu;
const LOWER = /[a-z]/g;
const UPPER = /[A-Z]/g;
const DIGIT = /[0-9]/g;

/** A placeholder with the same UTF-8 length (2, 3 or 4 bytes) as the code point it replaces. */
function wideChar(cp: number): string {
  return cp < 0x800 ? "é" : cp < 0x10000 ? "文" : "𝑥";
}

function asciiChar(c: number): string {
  if (c >= 0x61 && c <= 0x7a) return "x";
  if (c >= 0x41 && c <= 0x5a) return "X";
  if (c >= 0x30 && c <= 0x39) return "0";
  return String.fromCharCode(c);
}

/**
 * `\uXXXX` keeps its six characters. NUL and lone surrogates stay exactly as written: they are what
 * PostgreSQL cannot store, carry no content, and a replay must meet them again.
 */
function escapePlaceholder(unit: number, written: string): string {
  if (unit === 0 || (unit >= 0xd800 && unit <= 0xdfff)) return written;
  if (unit < 0x80) {
    const c = asciiChar(unit);
    return c === String.fromCharCode(unit) ? written : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
  }
  return CONTENT.test(String.fromCharCode(unit)) ? (unit < 0x800 ? "\\u00e9" : "\\u6587") : written;
}

function hexAt(raw: string, i: number): number {
  return /^[0-9a-fA-F]{4}$/.test(raw.slice(i, i + 4)) ? Number.parseInt(raw.slice(i, i + 4), 16) : -1;
}

function redactEscaped(raw: string): string {
  let out = "";
  for (let i = 0; i < raw.length; ) {
    const c = raw.charCodeAt(i);
    if (c === 0x5c) {
      const unit = raw.charCodeAt(i + 1) === 0x75 ? hexAt(raw, i + 2) : -1;
      if (unit < 0) {
        out += raw.slice(i, i + 2);
        i += 2;
        continue;
      }
      const low = unit >= 0xd800 && unit <= 0xdbff && raw.startsWith("\\u", i + 6) ? hexAt(raw, i + 8) : -1;
      if (low >= 0xdc00 && low <= 0xdfff) {
        out += "\\ud835\\udc65"; // a pair written as escapes: one 4-byte character, "𝑥"
        i += 12;
        continue;
      }
      out += escapePlaceholder(unit, raw.slice(i, i + 6));
      i += 6;
      continue;
    }
    if (c < 0x80) {
      out += asciiChar(c);
      i++;
      continue;
    }
    const cp = raw.codePointAt(i) as number;
    const ch = String.fromCodePoint(cp);
    out += CONTENT.test(ch) ? wideChar(cp) : ch;
    i += ch.length;
  }
  return out;
}

/** Ids and date-times are not free text: they link records and are what date bugs need. */
function keptAsIs(raw: string): boolean {
  if (raw.includes("\\")) return false;
  if (raw.length === 36) return isUuid(raw);
  return raw.length >= 19 && raw.length <= 40 && raw.charCodeAt(4) === 0x2d && isRfc3339DateTime(raw);
}

/** The placeholder for a JSON string's raw text (between its quotes, escapes as written). */
export function redactStringText(raw: string): string {
  if (keptAsIs(raw)) return raw;
  if (PRINTABLE_ASCII.test(raw) && !raw.includes("\\")) return raw.replace(LOWER, "x").replace(UPPER, "X").replace(DIGIT, "0");
  return redactEscaped(raw);
}

/**
 * A number's text with its digits replaced: zeros stay zeros (1.10 keeps its trailing zero), the first
 * significant digit stays (the magnitude, so 2^53 and range edges fall the same way), the other digits
 * become 5. The sign and exponent are kept.
 */
export function redactNumberText(raw: string): string {
  let out = "";
  let significant = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x65 || c === 0x45) return out + raw.slice(i);
    if (c >= 0x31 && c <= 0x39) {
      out += significant ? "5" : raw[i];
      significant = true;
    } else out += raw[i];
  }
  return out;
}

/** Text that is not JSON at all (an HTML error page, a cut-off body): every content character replaced. */
export function redactAnyText(text: string): string {
  return text
    .replace(LOWER, "x")
    .replace(UPPER, "X")
    .replace(DIGIT, "0")
    .replace(CONTENT_ALL, (ch) => (ch.length === 1 && ch.charCodeAt(0) < 0x80 ? ch : wideChar(ch.codePointAt(0) as number)));
}

// What a placeholder character may vary through, to keep two different keys of one object different.
const VARIANTS: Record<string, (k: number) => string> = {
  x: (k) => String.fromCharCode(0x61 + (k % 26)),
  X: (k) => String.fromCharCode(0x41 + (k % 26)),
  "0": (k) => String.fromCharCode(0x30 + (k % 10)),
  é: (k) => String.fromCharCode(0xe0 + (k % 32)),
  文: (k) => String.fromCharCode(0x4e00 + (k % 4096)),
  𝑥: (k) => String.fromCodePoint(0x1d400 + (k % 52)),
};
const SIZES: Record<string, number> = { x: 26, X: 26, "0": 10, é: 32, 文: 4096, 𝑥: 52 };

/** The n-th variant of a placeholder (mixed radix over its placeholder characters, last first). */
function variant(chars: string[], slots: number[], n: number): string | undefined {
  const out = [...chars];
  let rest = n;
  for (let s = slots.length - 1; s >= 0 && rest > 0; s--) {
    const slot = slots[s] as number;
    const kind = chars[slot] as string;
    const size = SIZES[kind] as number;
    out[slot] = (VARIANTS[kind] as (k: number) => string)(rest % size);
    rest = Math.floor(rest / size);
  }
  return rest > 0 ? undefined : out.join("");
}

/**
 * One object's keys: equal keys get equal placeholders (a duplicate stays a duplicate), different keys
 * different ones, so the object keeps as many members as it had.
 */
export class KeyScope {
  private readonly byKey = new Map<string, string>();
  private readonly used = new Set<string>();

  placeholder(raw: string): string {
    const known = this.byKey.get(raw);
    if (known !== undefined) return known;
    let out = redactStringText(raw);
    if (this.used.has(out)) out = this.unused(out);
    this.used.add(out);
    this.byKey.set(raw, out);
    return out;
  }

  private unused(base: string): string {
    const chars: string[] = [];
    const slots: number[] = [];
    for (let i = 0; i < base.length; ) {
      if (base[i] === "\\") {
        const width = base[i + 1] === "u" ? 6 : 2;
        chars.push(base.slice(i, i + width));
        i += width;
        continue;
      }
      const ch = String.fromCodePoint(base.codePointAt(i) as number);
      if (Object.hasOwn(SIZES, ch)) slots.push(chars.length);
      chars.push(ch);
      i += ch.length;
    }
    for (let n = 1; n < 1_000_000; n++) {
      const next = variant(chars, slots, n);
      if (next === undefined) break;
      if (!this.used.has(next)) return next;
    }
    return base; // more same-shaped keys than placeholders: the duplicate is the lesser evil
  }
}
