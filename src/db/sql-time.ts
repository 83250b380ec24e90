// The one way SQL hands a timestamptz to Node: ISO 8601 text in UTC, so JSON and comparisons never
// depend on the driver's Date parsing. Microseconds where the value is fed back into SQL (cursors,
// watermarks: a millisecond rounding would move them); milliseconds for people and reports.
import { type SQL, sql } from "drizzle-orm";

const FORMATS = {
  us: 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"',
  ms: 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"',
} as const;

/** `to_char(<column> at time zone 'UTC', …)`; `column` is trusted SQL (a column name, not input). */
export function isoUtc(column: string, precision: keyof typeof FORMATS): SQL {
  return sql.raw(`to_char(${column} at time zone 'UTC', '${FORMATS[precision]}')`);
}
