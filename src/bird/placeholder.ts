// Same-shape placeholders for the free text a recording redacts (issue 25), written over the answer's
// UTF-8 bytes in place: every placeholder has the byte length of what it replaces, so a body keeps its
// size, and the walk costs one pass with no new strings (recording may slow a sync by 10% at most).
//
// A string keeps its escapes, punctuation and spaces; ASCII letters become x/X, digits 0, other letters,
// marks and symbols a character of the same UTF-8 length (é, 文, 𝑥). `\u0000` and lone surrogate
// escapes stay as written: they carry no content and are what PostgreSQL cannot store, so a replay must
// meet them again. A number keeps its sign, digit count, zeros, first significant digit, fraction and
// exponent; its other digits become 5 (1.10 stays x.x0, 2^53-sized integers stay beyond 2^53).
import { isRfc3339DateTime } from "./date-time.js";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
export const PLACEHOLDER_2 = [0xc3, 0xa9]; // é
export const PLACEHOLDER_3 = [0xe6, 0x96, 0x87]; // 文
export const PLACEHOLDER_4 = [0xf0, 0x9d, 0x91, 0xa5]; // 𝑥

/** Index of the closing quote of the string whose opening quote is at i. */
export function stringEnd(buf: Buffer, i: number): number {
  const n = buf.length;
  for (let k = i + 1; k < n; k++) {
    const c = buf[k];
    if (c === QUOTE) return k;
    if (c === BACKSLASH) k++;
  }
  throw new SyntaxError("unterminated string in JSON text");
}

/** Spaces, dashes, quotes, direction marks and separators of U+2000..U+206F, and the other spaces: shape. */
function isShapeCodePoint(cp: number): boolean {
  return (cp >= 0x2000 && cp <= 0x206f) || cp === 0xa0 || cp === 0x3000 || cp === 0xfeff || (cp >= 0x80 && cp <= 0x9f);
}

/** Overwrites the UTF-8 sequence at k (length n, code point cp) when it is content; returns n. */
function redactWide(buf: Buffer, k: number, n: number, cp: number): number {
  if (isShapeCodePoint(cp)) return n;
  const bytes = n === 2 ? PLACEHOLDER_2 : n === 3 ? PLACEHOLDER_3 : PLACEHOLDER_4;
  for (let b = 0; b < n; b++) buf[k + b] = bytes[b] as number;
  return n;
}

// Each ASCII byte's placeholder, looked up (a table costs less than three comparisons per byte).
const ASCII_PLACEHOLDER = Uint8Array.from({ length: 128 }, (_, c) =>
  c >= 0x61 && c <= 0x7a ? 0x78 : c >= 0x41 && c <= 0x5a ? 0x58 : c >= 0x30 && c <= 0x39 ? 0x30 : c,
);
const asciiPlaceholder = (c: number): number => ASCII_PLACEHOLDER[c] as number;

function hex4(buf: Buffer, k: number): number {
  let v = 0;
  for (let b = k; b < k + 4; b++) {
    const c = buf[b] as number;
    const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 87 : c >= 0x41 && c <= 0x46 ? c - 55 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

function writeAscii(buf: Buffer, k: number, text: string): void {
  buf.write(text, k, "latin1");
}

/** A `\uXXXX` escape at k (and its pair when it has one); returns the bytes it spans. */
function redactEscape(buf: Buffer, k: number, end: number): number {
  const unit = k + 6 <= end ? hex4(buf, k + 2) : -1;
  if (unit < 0) return 2;
  if (unit >= 0xd800 && unit <= 0xdbff && k + 12 <= end && buf[k + 6] === BACKSLASH && buf[k + 7] === 0x75) {
    const low = hex4(buf, k + 8);
    if (low >= 0xdc00 && low <= 0xdfff) {
      writeAscii(buf, k, "\\ud835\\udc65"); // one 4-byte character, as escapes: 𝑥
      return 12;
    }
  }
  if (unit === 0 || (unit >= 0xd800 && unit <= 0xdfff)) return 6;
  if (unit < 0x80) {
    const p = asciiPlaceholder(unit);
    if (p !== unit) writeAscii(buf, k + 2, p.toString(16).padStart(4, "0"));
  } else if (!isShapeCodePoint(unit)) writeAscii(buf, k + 2, unit < 0x800 ? "00e9" : "6587");
  return 6;
}

/** Redacts the text bytes [start, end) in place; `escapes`: it is a JSON string's content. */
function redactRange(buf: Buffer, start: number, end: number, escapes: boolean): void {
  for (let k = start; k < end; ) {
    const c = buf[k] as number;
    if (c < 0x80) {
      if (c === BACKSLASH && escapes) k += buf[k + 1] === 0x75 ? redactEscape(buf, k, end) : 2;
      else {
        buf[k] = asciiPlaceholder(c);
        k++;
      }
      continue;
    }
    if (c >= 0xf0) k += redactWide(buf, k, 4, ((c & 0x07) << 18) | (((buf[k + 1] as number) & 0x3f) << 12));
    else if (c >= 0xe0)
      k += redactWide(buf, k, 3, ((c & 0x0f) << 12) | (((buf[k + 1] as number) & 0x3f) << 6) | ((buf[k + 2] as number) & 0x3f));
    else if (c >= 0xc0) k += redactWide(buf, k, 2, ((c & 0x1f) << 6) | ((buf[k + 1] as number) & 0x3f));
    else k++; // a stray continuation byte: not UTF-8 text
  }
}

const HEX = Uint8Array.from({ length: 256 }, (_, c) =>
  Number((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46)),
);

/** The 8-4-4-4-12 hex form of src/uuid.ts, checked on bytes (the dashes first: most strings fail there). */
function isUuidBytes(buf: Buffer, start: number): boolean {
  if (buf[start + 8] !== 0x2d || buf[start + 13] !== 0x2d || buf[start + 18] !== 0x2d || buf[start + 23] !== 0x2d) return false;
  for (let i = 0; i < 36; i++) {
    if (HEX[buf[start + i] as number] === 0 && i !== 8 && i !== 13 && i !== 18 && i !== 23) return false;
  }
  return true;
}

/** Ids and date-times are not free text: they link records, and date bugs need them as they were. */
function keptAsIs(buf: Buffer, start: number, end: number): boolean {
  const n = end - start;
  if (n === 36) return isUuidBytes(buf, start);
  return n >= 19 && n <= 40 && buf[start + 4] === 0x2d && isRfc3339DateTime(buf.toString("latin1", start, end));
}

/** A JSON string's content [start, end) (between its quotes) redacted in place; false when it is kept as is. */
export function redactStringBytes(buf: Buffer, start: number, end: number): boolean {
  if (keptAsIs(buf, start, end)) return false;
  redactRange(buf, start, end, true);
  return true;
}

/** A JSON number's text [start, end) redacted in place. */
export function redactNumberBytes(buf: Buffer, start: number, end: number): void {
  let significant = false;
  for (let k = start; k < end; k++) {
    const c = buf[k] as number;
    if (c === 0x65 || c === 0x45) return;
    if (c >= 0x31 && c <= 0x39) {
      if (significant) buf[k] = 0x35;
      significant = true;
    }
  }
}

/** Bytes that are not JSON at all (an HTML error page, a cut-off body): every content character replaced. */
export function redactAllBytes(buf: Buffer): void {
  redactRange(buf, 0, buf.length, false);
}
