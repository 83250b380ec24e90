// The embedded database is one process's: two processes opening the same PGlite directory would
// corrupt it. A lock file next to it names the holder; a holder that is gone (kill -9) is replaced.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { DatabaseConnectionError } from "../errors.js";
import { isProcessAlive } from "../process-alive.js";

/** Takes the lock for `dir`; returns its release. */
export function lockPgliteDir(dir: string): () => void {
  const file = `${dir}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const holder = Number(readFileSync(file, "utf8").trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isProcessAlive(holder)) {
        throw new DatabaseConnectionError(
          `the embedded database at ${dir} is in use by process ${holder}; it serves one process at a time — set DATABASE_URL to a PostgreSQL server to run several`,
        );
      }
      rmSync(file, { force: true });
    }
  }
  throw new DatabaseConnectionError(`could not lock the embedded database at ${dir} (${file})`);
}
