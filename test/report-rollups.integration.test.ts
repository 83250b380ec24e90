// Issue 26: tags, reviewers, runs per day and decisions per day read monthly rollups for segments nothing changed in
// since their refresh, and count the rest from the runs. Whatever the refresh has done, every answer
// must be what counting every run gives: compared here with nothing refreshed (all counted from the
// runs), everything refreshed, and a mix after later writes, plain and over ranges that cut months.
import { beforeAll, describe, expect, it } from "vitest";
import { freshDatabaseUrl, query } from "./helpers/db.js";
import { startFake, syncEnv } from "./helpers/fake.js";
import { syncInProcess } from "./helpers/sync-in-process.js";

const FLOWS = ["0b000000-0000-4000-8000-000000000001", "0b000000-0000-4000-8000-000000000002"];

// 240 runs over five months in two flows: tags (one repeated on a run), one or two decisions, statuses.
const FIXTURE = `
  insert into bird.approval_runs (id, approval_flow_id, status, tags, results, created_at, updated_at, observed_at)
  select gen_random_uuid(), (array['${FLOWS[0]}', '${FLOWS[1]}']::uuid[])[1 + i % 2],
    (array['pending', 'approved', 'denied'])[1 + i % 3],
    case when i % 4 = 0 then '[]'::jsonb when i % 4 = 1 then '[{"key":"team","value":"ops"},{"key":"team","value":"ops"}]'
         else jsonb_build_array(jsonb_build_object('key', 'region', 'value', 'r' || i % 3)) end,
    case when i % 3 = 0 then '[]'::jsonb else jsonb_build_array(
      jsonb_build_object('reviewer', jsonb_build_object('type', 'user', 'id', 'u' || i % 5), 'result', case when i % 3 = 2 then 'rejected' else 'approved' end),
      jsonb_build_object('userId', 'u' || i % 7, 'result', 'approved')) end,
    timestamptz '2025-01-01T00:00Z' + i * interval '15 hours',
    timestamptz '2025-01-01T00:00Z' + i * interval '15 hours' + (i % 9) * interval '1 day',
    timestamptz '2025-07-01T00:00Z'
  from generate_series(1, 240) i;
  select bird.mark_all_report_segments()`;

const RANGES: Array<[string | null, string | null, string | null]> = [
  [null, null, null],
  [FLOWS[0]!, null, null],
  [null, "2025-02-01T00:00Z", "2025-04-01T00:00Z"],
  [null, "2025-01-17T06:00Z", "2025-03-09T13:30Z"],
  [FLOWS[1]!, "2025-02-20T00:00Z", null],
  [null, null, "2025-02-11T00:00Z"],
  [null, "2025-03-03T00:00Z", "2025-03-20T00:00Z"],
];

async function answersOf(url: string): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const [flow, since, until] of RANGES) {
    const args = [flow, since, until];
    out.push(await query(url, "select * from bird.tag_counts_for($1, $2, $3) order by flow_id, key, value", args));
    out.push(await query(url, "select * from bird.reviewer_workload_for($1, $2, $3) order by reviewer_type, reviewer_id", args));
    out.push(
      await query(
        url,
        "select day::text, flow_id, status, runs from bird.daily_volume_for($1, $2, $3) order by day, flow_id, status",
        args,
      ),
    );
  }
  // The status page's decisions per day (src/db/console-history.ts reads the same tables).
  out.push(
    await query(
      url,
      `
      select t.day::text, t.status, sum(t.runs)::int as runs from (
        select t.day, t.status, t.runs from bird.decision_day_rollup t
        where not exists (select 1 from bird.report_segments_dirty x where x.flow_id = t.flow_id and x.month = t.month)
        union all
        select ((r.created_at + r.decision_seconds * interval '1 second') at time zone 'UTC')::date, r.status, 1
        from bird.report_segments_dirty x join bird.approval_runs r on r.approval_flow_id = x.flow_id
          and r.created_at >= bird.utc_month_start(x.month) and r.created_at < bird.utc_month_end(x.month)
        where r.deleted_at is null and r.status in ('approved', 'denied')) t
      group by 1, 2 order by 1, 2`,
    ),
  );
  return out;
}

describe("report rollups", () => {
  let url: string;
  const answers = () => answersOf(url);
  const dirty = async () => (await query<{ n: number }>(url, "select count(*)::int as n from bird.report_segments_dirty"))[0]!.n;

  beforeAll(async () => {
    url = await freshDatabaseUrl();
    await query(url, FIXTURE);
  });

  it("answers the same from the runs, from the rollups, and from a mix after later writes", async () => {
    expect(await dirty()).toBe(10); // 2 flows × 5 months, marked after the insert (migration 0013)
    const fromRuns = await answers();
    expect(JSON.stringify(fromRuns)).toContain('"team"');

    expect((await query<{ n: number }>(url, "select bird.refresh_report_segments(100) as n"))[0]!.n).toBe(10);
    expect(await dirty()).toBe(0);
    expect(await answers()).toEqual(fromRuns);

    // Later writes dirty some segments again: a deletion, a decision, a run moved to the other flow.
    await query(url, `update bird.approval_runs set deleted_at = now() where created_at < '2025-01-20T00:00Z' and status = 'approved'`);
    await query(
      url,
      `update bird.approval_runs set status = 'approved', results = '[{"reviewer":{"type":"user","id":"u9"},"result":"approved"}]'
      where status = 'pending' and created_at between '2025-03-01T00:00Z' and '2025-03-05T00:00Z'`,
    );
    await query(
      url,
      `update bird.approval_runs set approval_flow_id = '${FLOWS[1]}'
      where approval_flow_id = '${FLOWS[0]}' and created_at between '2025-04-10T00:00Z' and '2025-04-12T00:00Z'`,
    );
    expect(await dirty()).toBeGreaterThan(0);
    const mixed = await answers();
    expect(mixed).not.toEqual(fromRuns);
    await query(url, "select bird.refresh_report_segments(100)");
    expect(await answers()).toEqual(mixed);
  });

  it("a refresh leaves segments marked less than p_settled ago for later", async () => {
    await query(url, `update bird.approval_runs set tags = '[]' where created_at between '2025-02-01T00:00Z' and '2025-02-03T00:00Z'`);
    const before = await query<{ flow_id: string; marked_at: string }>(
      url,
      "select flow_id::text, marked_at::text from bird.report_segments_dirty",
    );
    expect(before.length).toBeGreaterThan(0);
    // settled: only segments marked at least an hour ago are refreshed; these were just marked
    expect((await query<{ n: number }>(url, "select bird.refresh_report_segments(100, interval '1 hour') as n"))[0]!.n).toBe(0);
    expect(await dirty()).toBe(before.length);
  });
});

describe("report rollups after a sync", () => {
  it("the page statement marks the segments of the runs it inserts: a sync's rollups answer as counting every run", async () => {
    const api = await startFake({ flows: 2, runsPerFlow: 300, seed: 26 });
    try {
      const url = await freshDatabaseUrl();
      expect(await syncInProcess(syncEnv(api, url))).toBe(0);
      const months = await query<{ n: number }>(
        url,
        "select count(distinct (approval_flow_id, bird.utc_month(created_at)))::int as n from bird.approval_runs",
      );
      expect(months[0]!.n).toBeGreaterThan(1);
      // a segment neither marked nor rolled up would be missing from every answer below
      const afterSync = await answersOf(url);
      // the same questions with every segment counted from the runs
      await query(
        url,
        "delete from bird.tag_rollup; delete from bird.reviewer_rollup; delete from bird.decision_day_rollup; delete from bird.run_day_rollup",
      );
      await query(url, "select bird.mark_all_report_segments()");
      expect(afterSync).toEqual(await answersOf(url));
    } finally {
      await api.close();
    }
  });
});
