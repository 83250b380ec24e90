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

/** The text's whole seconds since the epoch (offset applied) and its fraction (`.123…`, or ""). */
function secondsAndFraction(text: unknown): { seconds: number; fraction: string } | undefined {
  if (typeof text !== "string") return undefined;
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const day = new Date(0);
  // Date.UTC would read years 0..99 as 1900..1999.
  day.setUTCFullYear(y, mo - 1, d);
  const offsetMin = m[9] === undefined ? 0 : (m[8]!.startsWith("-") ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10]));
  // A leap second (:60) is the first second of the next minute, as PostgreSQL stores it.
  return { seconds: day.getTime() / 1000 + h * 3600 + (mi - offsetMin) * 60 + s, fraction: m[7] ?? "" };
}

/**
 * The millisecond an instant Bird sent falls in (finer digits cut off), for telling a listing's order.
 * Bird's keyset is `[createdAtMillis, id]` (DESIGN §1): runs within one millisecond may come in any
 * order, so digits below the millisecond are no evidence of order. NaN when the text is not a date-time.
 */
export function instantMs(text: unknown): number {
  const t = secondsAndFraction(text);
  return t === undefined ? Number.NaN : t.seconds * 1000 + Number(t.fraction.slice(1, 4).padEnd(3, "0"));
}

/**
 * Microseconds since the epoch, as PostgreSQL stores the instant: it reads the fraction as
 * `rint(strtod(fraction) * 1e6)` — to the nearest microsecond, ties to even — so `.123999600` is stored
 * as `.124000` (issue 20). NaN when the text is not a date-time. Exact as a double for years
 * 1685..2255; beyond, rounding can only make two instants equal, never swap them.
 */
export function instantUs(text: unknown): number {
  const t = secondsAndFraction(text);
  return t === undefined ? Number.NaN : t.seconds * 1_000_000 + roundHalfEven(Number(`0${t.fraction}`) * 1_000_000);
}

/** C's rint() under the default rounding mode, for non-negative values. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The earliest millisecond (as `instantMs` gives it) that the text Bird sent for a stored instant can
 * have named. PostgreSQL rounds to the nearest microsecond, so a stored `.124000` may have been sent as
 * `.1239996`, in millisecond .123: half a microsecond down (one, in whole microseconds) covers it.
 */
export function earliestSentMs(storedUs: number): number {
  return Math.floor((storedUs - 1) / 1000);
}
