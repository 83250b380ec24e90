// Value generators for the simulation: JSON texts Bird may legally send that break naive code
// (numbers beyond double precision, escapes jsonb handles differently, RFC 3339 spellings), and
// values PostgreSQL refuses although the schema allows them.

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    chance: (p: number) => next() < p,
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
  };
}
export type Rng = ReturnType<typeof rng>;

export function uuid(r: Rng): string {
  const hex = () => r.int(0, 15).toString(16);
  const part = (n: number) => Array.from({ length: n }, hex).join("");
  return `${part(8)}-${part(4)}-4${part(3)}-${r.pick(["8", "9", "a", "b"])}${part(3)}-${part(12)}`;
}

// JS would read these differently from their text: precision, scale, overflow, negative zero.
const NUMBERS = [
  "12345678901234567890",
  "1.10",
  "1e400",
  "-0",
  "1E+2",
  "0.1000000000000000055511151231257827",
  "3.141592653589793238462643383279",
  "-1e-400",
  "42",
];
// Escapes jsonb decodes (pairs), literal backslash text that looks like an escape, separators.
const STRINGS = [
  '"plain"',
  '"\\ud83d\\ude80"',
  '"C:\\\\u0000dir"',
  '"🚀 literal"',
  '"quote \\" and \\/ slash"',
  '"\\u2028 line separator"',
  '"caf\\u00e9 é"',
  '""',
];

export function hostileObject(r: Rng): string {
  const members = [`"big":${r.pick(NUMBERS)}`, `"price":${r.pick(NUMBERS)}`, `"s":${r.pick(STRINGS)}`];
  if (r.chance(0.4)) members.push(`"nested":{"a":[${r.pick(NUMBERS)},${r.pick(STRINGS)},null,true],"b":{}}`);
  if (r.chance(0.2)) members.push(`"dup":1,"dup":${r.pick(NUMBERS)}`);
  return `{${members.join(r.chance(0.3) ? " , " : ",")}}`;
}

/** Step numbers as Bird might write them; the column is numeric, so beyond a double's precision and range too. */
export function activeStep(r: Rng): string | undefined {
  return r.pick([undefined, "null", "0", "1", "2.0", "1E0", "-0", "3.5", "9007199254740993", "1.50", "1e400", "-1e-400"]);
}

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/** The instant `ms` written in one of the RFC 3339 forms (same instant, different text). */
export function dateTimeText(r: Rng, ms: number): string {
  const d = new Date(ms);
  const form = r.int(0, 9);
  if (form <= 3) return d.toISOString();
  if (form === 4) return d.toISOString().replace("T", "t").replace("Z", "z");
  if (form === 5) return d.toISOString().replace("T", " ");
  // 7-9 fraction digits below the millisecond, some that PostgreSQL rounds up into the next one.
  if (form === 6)
    return d
      .toISOString()
      .replace("Z", `${r.pick(["000000", "999600", "9996", "5", "0005", r.int(0, 999999).toString().padStart(6, "0")])}Z`);
  // An offset: the local time at that offset, including ones beyond PostgreSQL's ±15:59.
  const offsetMin = r.pick([330, -0, 16 * 60, -(23 * 60 + 59), -480, 15 * 60 + 59]);
  const local = new Date(ms + offsetMin * 60_000);
  const sign = offsetMin < 0 || Object.is(offsetMin, -0) ? "-" : "+";
  const abs = Math.abs(offsetMin);
  const base = `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}.${pad(local.getUTCMilliseconds(), 3)}`;
  return `${base}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** Records the schema rejects (quarantined by validation). */
export const SCHEMA_INVALID: ReadonlyArray<(fields: Record<string, string>) => void> = [
  (f) => (f.status = '"archived"'),
  (f) => (f.createdAt = '"not-a-date"'),
  (f) => delete f.tags,
  (f) => (f.activeStep = '"two"'),
  (f) => (f.results = '[{"result":"maybe"}]'),
];

/** Records the schema accepts but PostgreSQL refuses (quarantined by the page write's probe, or found in JS). */
export const UNSTORABLE: ReadonlyArray<(fields: Record<string, string>) => void> = [
  (f) => (f.activeStep = "1e999999"),
  (f) => (f.object = '{"n":1e1000000}'),
  (f) => (f.object = '{"note":"nul\\u0000"}'),
  (f) => (f.object = '{"lone":"\\ud800"}'),
  (f) => (f.createdAt = '"0000-01-01T00:00:00Z"'),
];
