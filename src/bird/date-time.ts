// RFC 3339 date-times as Bird may send them (§5.6): `T`, `t` or a space between date and time, any
// fraction length, `Z`, `z` or any ±hh:mm offset (RFC 3339 allows hours up to 23, beyond PostgreSQL's
// ±15:59, so the database converts those itself), and a leap second `:60`.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))$/;

export function isRfc3339DateTime(text: string): boolean {
  const m = RFC3339.exec(text);
  if (!m) return false;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const daysInMonth = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  const offsetOk = m[9] === undefined || (Number(m[9]) <= 23 && Number(m[10]) <= 59);
  return mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth && h <= 23 && mi <= 59 && s <= 60 && offsetOk;
}

/** RFC 3339 allows year 0000; PostgreSQL's dates begin at year 1, so it cannot store one. */
export function hasStorableYear(text: string): boolean {
  return !text.startsWith("0000");
}

/**
 * Microseconds since the epoch, as PostgreSQL stores the instant (issue 20): it reads the fraction as
 * `rint(strtod(fraction) * 1e6)` — to the nearest microsecond, ties to even — so `.123999600` is stored
 * as `.124000`. Anything that compares an instant Bird sent with a stored one (a watermark, a stored
 * createdAt) reads it here, so both sides have the precision that is stored. A leap second is the first
 * second of the next minute, as PostgreSQL stores `:60`. NaN when the text is not a date-time.
 * Exact as a double for years 1685..2255; beyond, rounding can only make two instants equal, never swap them.
 */
export function instantUs(text: unknown): number {
  if (typeof text !== "string") return Number.NaN;
  const m = RFC3339.exec(text);
  if (!m) return Number.NaN;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const day = new Date(0);
  // Date.UTC would read years 0..99 as 1900..1999.
  day.setUTCFullYear(y, mo - 1, d);
  const offsetMin = m[9] === undefined ? 0 : (m[8]!.startsWith("-") ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10]));
  const seconds = day.getTime() / 1000 + h * 3600 + (mi - offsetMin) * 60 + s;
  return seconds * 1_000_000 + roundHalfEven(Number(`0${m[7] ?? ""}`) * 1_000_000);
}

/** C's rint() under the default rounding mode, for non-negative values. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
