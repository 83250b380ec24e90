// Free-form run content (object, previousObject, tags, comments): the unicode, nesting and number shapes
// a sync must store verbatim. Strings never contain NUL or lone surrogates: those are not valid runs.
import type { Rng } from "./random.js";
import type { ApprovalTag, JsonObject, JsonValue } from "./types.js";

export const TEXTS: readonly string[] = [
  "🐦 Bird approval",
  "承認が必要です",
  "موافقة مطلوبة",
  "Cafe\u0301 crème brûlée",
  'She said "approve" \\ then left',
  "Ünïcödé ✓ ≠ ∞",
  "line one\nline two\ttabbed",
  "👩‍💻 reviewer 🇳🇱",
  "z̷̢a̵l̶g̴o text",
  "\u200fעברית with RTL mark",
  "plain ascii",
  "",
  "emoji only 🎉🎉",
  "sep\u2028ara\u2029tors",
];

export const COMMENTS: readonly string[] = [
  "LGTM 👍",
  "承認します",
  "تمت الموافقة",
  "Not within budget — rejected",
  'Quote "this" and \\ that',
  "ok",
  "Vérifié par l'équipe",
];

const TAG_KEYS: readonly string[] = ["env", "team", "priority", "région", "部署", "cost-center", "🐦"];
const TAG_VALUES: readonly string[] = ["prod", "staging", "finance", "高", "موافقة", 'a"b', "x\\y", "Ωmega"];
const KINDS: readonly string[] = ["invoice", "refund", "contact", "discount", "purchase-order"];
const FLOATS: readonly number[] = [0.1, 0.2, 0.3, 1.5, 2.675, 1234.56, -0.5, 99.99];

function money(rng: Rng): number {
  return rng.int(0, 1_000_000) / 100;
}

function nestedValue(rng: Rng, depth: number): JsonValue {
  const roll = rng.int(0, depth > 2 ? 4 : 6);
  switch (roll) {
    case 0:
      return rng.pick(TEXTS);
    case 1:
      return rng.pick(FLOATS);
    case 2:
      return rng.int(-1000, 1_000_000);
    case 3:
      return rng.chance(0.5);
    case 4:
      return null;
    case 5:
      return [rng.pick(TEXTS), rng.int(0, 9), nestedValue(rng, depth + 1), [rng.pick(FLOATS), null, true]];
    default:
      return { 名前: rng.pick(TEXTS), deeper: nestedValue(rng, depth + 1), 'quote"key': "back\\slash" };
  }
}

/** A business object as a run carries it: nested objects and arrays, unicode, ints and floats, booleans, null. */
export function buildObject(rng: Rng): JsonObject {
  const object: JsonObject = { kind: rng.pick(KINDS), id: rng.uuid(), title: rng.pick(TEXTS) };
  if (rng.chance(0.8)) object.amount = money(rng);
  if (rng.chance(0.5)) object.ratio = rng.pick(FLOATS);
  if (rng.chance(0.7)) object.quantity = rng.int(-5, 1000);
  object.urgent = rng.chance(0.3);
  object.note = rng.chance(0.4) ? null : rng.pick(TEXTS);
  if (rng.chance(0.6)) {
    const lines: JsonValue[] = [];
    const count = rng.int(0, 3);
    for (let i = 0; i < count; i++) {
      lines.push({ sku: `SKU-${rng.int(1, 9999)}`, qty: rng.int(1, 50), price: money(rng), labels: [rng.pick(TEXTS)] });
    }
    object.lines = lines;
  }
  if (rng.chance(0.5)) object.meta = { nested: nestedValue(rng, 0), list: [nestedValue(rng, 1), nestedValue(rng, 2)] };
  return object;
}

/** The object before the change the run approves: a copy with a few fields different. */
export function buildPreviousObject(rng: Rng, object: JsonObject): JsonObject {
  const previous: JsonObject = { ...object };
  if ("amount" in previous) previous.amount = money(rng);
  previous.title = rng.pick(TEXTS);
  if (rng.chance(0.3)) delete previous.note;
  return previous;
}

export function buildTags(rng: Rng): ApprovalTag[] {
  const count = rng.int(0, 3);
  const tags: ApprovalTag[] = [];
  const used = new Set<string>();
  while (tags.length < count) {
    const key = rng.pick(TAG_KEYS);
    if (used.has(key)) continue;
    used.add(key);
    tags.push({ key, value: rng.pick(TAG_VALUES) });
  }
  return tags;
}
