// Issue 25: every recording under test/recordings/ is a regression test. It is served by the replay,
// its commands run again with the settings it names into an empty database, and the result must pass
// the exactness invariants (every stored value is a version the recording served, verbatim; every
// quarantined payload a record's own text), end as the recorded commands ended, ask nothing the
// recording lacks, and equal the tables stored beside it (`<name>.expect.json`), when there are any.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { freshDatabaseUrl } from "./helpers/db.js";
import { replayInto, verbatimViolations } from "./helpers/replay.js";
import { type TableDigest, tableDigests } from "./helpers/tables.js";

const DIR = new URL("./recordings/", import.meta.url);
const recordings = readdirSync(DIR).filter((f) => f.endsWith(".jsonl.gz"));

describe("recordings under test/recordings/", () => {
  it("holds the three hostile-mode recordings shipped with the product", () => {
    expect(recordings).toEqual(expect.arrayContaining(["ignored-reverse.jsonl.gz", "429-storm.jsonl.gz", "unstorable.jsonl.gz"]));
  });

  for (const name of recordings) {
    it(`${name} replays into the same database`, async () => {
      const file = new URL(name, DIR).pathname;
      const url = await freshDatabaseUrl();
      const replayed = await replayInto(file, url);
      for (const c of replayed.commands) {
        expect(c.result.code, `approvals-sync ${c.args.join(" ")}: ${c.result.stderr.slice(-2000)}`).toBe(c.recordedExit ?? c.result.code);
      }
      expect(replayed.counters.missed, `requests the recording lacks: ${replayed.counters.missedRequests.join(", ")}`).toBe(0);
      expect(replayed.counters.matched).toBeGreaterThan(0);
      expect(await verbatimViolations(url, file)).toEqual([]);
      const expectFile = file.replace(/\.jsonl\.gz$/, ".expect.json");
      if (existsSync(expectFile)) {
        const expected = JSON.parse(readFileSync(expectFile, "utf8")) as { tables: Record<string, TableDigest> };
        const actual = await tableDigests(url);
        expect(Object.fromEntries(Object.keys(expected.tables).map((t) => [t, actual[t]]))).toEqual(expected.tables);
      }
    });
  }
});
