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
 * Milliseconds since the epoch, for ordering and watermarks only (values are stored from the text).
 * NaN when the text is not a date-time. A leap second counts as the second before it.
 */
export function instantMs(text: unknown): number {
  if (typeof text !== "string") return Number.NaN;
  const m = RFC3339.exec(text);
  if (!m) return Number.NaN;
  const sec = m[6] === "60" ? "59" : m[6];
  const zone = m[8] === "Z" || m[8] === "z" ? "Z" : m[8];
  return Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${sec}${(m[7] ?? "").slice(0, 4)}${zone}`);
}
