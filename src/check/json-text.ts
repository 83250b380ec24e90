// Compares two JSON texts by value without JSON.parse's number round trip: numbers compare by their
// text (1.0 is not 1, 0.1000000000000000055 is not 0.1), strings by their decoded value (escapes
// do not matter), objects by key regardless of order. `check` uses it to tell whether GET-by-id
// returns exactly what the list returned — the store keeps the API's own text (DESIGN §5 rule 1).
// lossless-json parses (numbers kept as their text); only the comparison is ours.
import { isLosslessNumber, parse } from "lossless-json";

/** A parsed JSON value: numbers are LosslessNumbers (their text in `.value`). */
export type JsonValue = unknown;

export function parseJsonText(text: string): JsonValue {
  return parse(text);
}

const kind = (v: JsonValue) =>
  isLosslessNumber(v) ? "number" : Array.isArray(v) ? "array" : v === null ? "null" : typeof v === "object" ? "object" : typeof v;

function show(v: JsonValue): string {
  if (isLosslessNumber(v)) return v.value;
  if (Array.isArray(v)) return "an array";
  if (v !== null && typeof v === "object") return "an object";
  return JSON.stringify(v).slice(0, 60);
}

/** undefined when equal; else where and how they first differ ("$.results[0].comment: … vs …"). */
export function firstDifference(a: JsonValue, b: JsonValue, path = "$"): string | undefined {
  if (kind(a) !== kind(b)) return `${path}: ${show(a)} vs ${show(b)}`;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${path}: ${a.length} items vs ${b.length}`;
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (kind(a) === "object") {
    const x = a as Record<string, JsonValue>;
    const y = b as Record<string, JsonValue>;
    for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) {
      if (!Object.hasOwn(x, k) || !Object.hasOwn(y, k)) {
        return `${path}.${k}: ${Object.hasOwn(x, k) ? "present" : "absent"} vs ${Object.hasOwn(y, k) ? "present" : "absent"}`;
      }
      const d = firstDifference(x[k], y[k], `${path}.${k}`);
      if (d) return d;
    }
    return undefined;
  }
  const same = isLosslessNumber(a) && isLosslessNumber(b) ? a.value === b.value : a === b;
  return same ? undefined : `${path}: ${show(a)} vs ${show(b)}`;
}
