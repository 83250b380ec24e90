// Version windows (issue 22) are kept on the database's clock: every process writing the same runs
// then compares instants on one clock, however far apart their hosts' clocks are. A process measures
// how its clock stands to the database's and widens each read by the measurement's uncertainty, so a
// window stays a proof: what a read showed was true somewhere inside it. The measurement is kept for
// an hour per database, so the reads of one process keep their order exactly (the page write orders
// two reads of a run by when they were sent).
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

const KEEP_MS = 3_600_000;
// The database's clock may count in whole milliseconds (the embedded one does).
const TICK_US = 1000;
const measured = new Map<string, { clock: Promise<DbClock>; atMs: number }>();

async function measureDbClock(db: SqlRunner): Promise<DbClock> {
  const before = localClockUs();
  const [row] = await db.rows<{ us: number }>(sql`select (extract(epoch from clock_timestamp()) * 1000000)::float8 as us`);
  const after = localClockUs();
  // The database read its clock somewhere between `before` and `after`.
  const offset = (row?.us ?? (before + after) / 2) - (before + after) / 2;
  const uncertainty = (after - before) / 2 + TICK_US;
  return {
    toDb: (read) => ({
      sentUs: Math.floor(read.sentUs + offset - uncertainty),
      receivedUs: Math.ceil(read.receivedUs + offset + uncertainty),
    }),
  };
}

/** This process's measurement for the database at `location`, made on `db` when none is fresh. */
export function dbClock(location: string, db: SqlRunner): Promise<DbClock> {
  const kept = measured.get(location);
  if (kept && Date.now() - kept.atMs < KEEP_MS) return kept.clock;
  const clock = measureDbClock(db);
  measured.set(location, { clock, atMs: Date.now() });
  clock.catch(() => measured.delete(location));
  return clock;
}
