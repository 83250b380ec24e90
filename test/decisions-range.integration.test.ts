// Issue 26: `decisions --since/--until` finds the runs a range can hold through where their decision windows can end
// (migration 0014, a btree of observed_at and the span's start) instead of scanning approval_runs. The answer must be exactly
// the decisions whose window ends in the range: here, on runs with every kind of window (none kept,
// some kept, a run dated after it was seen, a deleted run), decisions_for(since, until) is compared with
// the whole view filtered by decided_before, for ranges on, inside, across and beyond every instant.
import pg from "pg";
import { beforeAll, describe, expect, it } from "vitest";
import { mixSeed, Rng } from "../src/fake/random.js";
import { freshDatabaseUrl, query } from "./helpers/db.js";

const FLOWS = ["0e000000-0000-4000-8000-000000000001", "0e000000-0000-4000-8000-000000000002"];
const HOUR = 3_600_000;
const T0 = Date.parse("2025-03-01T00:00:00Z");
const at = (h: number) => new Date(T0 + h * HOUR).toISOString();

interface RunSpec {
  created: number;
  observed: number;
  /** Where each decision's window ends (hours), and whether the windows are kept (else null: the default). */
  ends: number[];
  kept: boolean;
  deleted: boolean;
}

function row(i: number, run: RunSpec): string {
  const id = `0e000000-0000-4000-8000-${(0xa00 + i).toString(16).padStart(12, "0")}`;
  const flow = FLOWS[i % 2]!;
  const n = run.ends.length;
  const results = `[${Array.from({ length: n }, (_, k) => `{"reviewer":{"type":"user","id":"u${k}"},"result":"approved"}`).join(",")}]`;
  const arr = (xs: number[]) => (run.kept ? `'{${xs.map(at).join(",")}}'` : "null");
  const deleted = run.deleted ? `'${at(run.observed)}'` : "null";
  return `('${id}', '${flow}', '${n > 0 ? "approved" : "pending"}', '[]', '${results}', '${at(run.created)}', '${at(run.created)}', '${at(run.observed)}', ${deleted},
    ${arr(run.ends.map((e) => e - 1))}, ${arr(run.ends)}, ${arr(run.ends)})`;
}

function fixture(): string {
  const r = new Rng(mixSeed("decisions-range"));
  const runs: RunSpec[] = [];
  for (let i = 0; i < 60; i++) {
    const created = r.int(0, 47);
    // one run in six is dated after the read that first showed it (Bird's clock ahead of ours)
    const observed = i % 6 === 5 ? created - r.int(1, 5) : created + r.int(0, 29);
    // each window ends by the read that showed the run; for a run dated after that read, before its created_at too
    const ends = Array.from({ length: r.int(0, 3) }, () => (observed < created ? observed - r.int(0, 3) : r.int(created, observed)));
    // windows kept for two runs in three (a run first seen with its decisions keeps none)
    runs.push({ created, observed, ends, kept: ends.length > 0 && i % 3 !== 0, deleted: i % 13 === 12 });
  }
  // Placed, not left to chance: a run dated after it was seen whose decision ended hours before that
  // read, with a range boundary (hour 12) in between. Taking the span's start as least(created_at,
  // observed_at), as a run's own dates would suggest, loses this decision from ranges ending at 12.
  runs.push({ created: 20, observed: 15, ends: [10], kept: true, deleted: false });
  return `
    insert into bird.approval_runs (id, approval_flow_id, status, tags, results, created_at, updated_at, observed_at, deleted_at,
      decision_after, decision_before, decision_at) values ${runs.map((run, i) => row(i, run)).join(",\n")};`;
}

describe("decisions over a date range", () => {
  let url: string;
  beforeAll(async () => {
    url = await freshDatabaseUrl();
    await query(url, fixture());
  });

  it("are exactly the decisions whose window ends in the range, for every range", async () => {
    const all = await query(url, "select run_id, position, decided_before from bird.decisions");
    expect(all.length).toBeGreaterThan(40);
    const key = (r: Record<string, unknown>) => `${r.run_id}#${r.position}`;
    const bounds = [null, ...Array.from({ length: 17 }, (_, k) => at(k * 5 - 8))];
    let nonEmpty = 0;
    for (const since of bounds)
      for (const until of bounds) {
        const got = await query(url, "select run_id, position from bird.decisions_for(null, $1, $2)", [since, until]);
        const want = all.filter(
          (d) =>
            (since === null || (d.decided_before as Date) >= new Date(since)) &&
            (until === null || (d.decided_before as Date) < new Date(until)),
        );
        expect(got.map(key).sort(), `since ${since} until ${until}`).toEqual(want.map(key).sort());
        if (want.length > 0 && want.length < all.length) nonEmpty++;
      }
    expect(nonEmpty).toBeGreaterThan(50);
  });

  it("are read through the decision-end index, not a scan of the runs", async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      // the fixture is small: without this the planner rightly scans it; the point is that it can use the index
      await client.query("analyze bird.approval_runs");
      await client.query("set enable_seqscan = off");
      const plan = await client.query(`explain select * from bird.decisions_for(null, '2025-03-01T05:00Z', '2025-03-01T09:00Z')`);
      expect(plan.rows.map((p) => p["QUERY PLAN"]).join("\n")).toContain("approval_runs_decision_end_idx");
    } finally {
      await client.end();
    }
  });
});
