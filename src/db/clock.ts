// Version windows (issue 22) are kept on the database's clock: every process writing the same runs
// then compares instants on one clock, however far apart their hosts' clocks are. A process measures
// how its clock stands to the database's once per pass and widens each read by the measurement's
// uncertainty, so a window stays a proof: what a read showed was true somewhere inside it.
import { sql } from "drizzle-orm";
import { type ReadWindow, localClockUs } from "../model.js";
import type { SqlRunner } from "./database.js";

/** A read's window on the database's clock, whole µs since the epoch (widened outwards). */
export interface DbReadWindow {
  sentUs: number;
  receivedUs: number;
}

export interface DbClock {
  toDb(read: ReadWindow): DbReadWindow;
}

export async function measureDbClock(db: SqlRunner): Promise<DbClock> {
  const before = localClockUs();
  const [row] = await db.rows<{ us: number }>(sql`select (extract(epoch from clock_timestamp()) * 1000000)::float8 as us`);
  const after = localClockUs();
  // The database read its clock somewhere between `before` and `after`.
  const offset = (row?.us ?? (before + after) / 2) - (before + after) / 2;
  const uncertainty = (after - before) / 2 + 1;
  return {
    toDb: (read) => ({
      sentUs: Math.floor(read.sentUs + offset - uncertainty),
      receivedUs: Math.ceil(read.receivedUs + offset + uncertainty),
    }),
  };
}
