// The oracle for the report tests: every figure each reporting view and report should show, worked out
// in JavaScript from the fixture (counts, UTC days, interpolated percentiles, age buckets) — never from the SQL.
import { A, B, C, D, DAY, FLOWS, flowName, HOUR, iso, LIVE, NOW, type Run } from "./report-fixture.js";

export interface Filters {
  flowId?: string;
  since?: number;
  until?: number;
}
const inRange = (r: Run, f: Filters) =>
  (!f.flowId || r.flow === f.flowId) && (f.since === undefined || r.created >= f.since) && (f.until === undefined || r.created < f.until);
const count = <T>(xs: readonly T[], p: (x: T) => boolean) => xs.filter(p).length;
export const byText =
  <T>(key: (x: T) => string) =>
  (a: T, b: T) =>
    key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
const flowCols = (id: string) => ({ flow_id: id, flow_name: flowName(id) });
const rate = (yes: number, no: number) => (yes + no === 0 ? null : yes / (yes + no));

/** Linear interpolation between the closest ranks (what percentile_cont is documented to do). */
function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = p * (s.length - 1);
  const lo = Math.floor(pos);
  return s[lo]! + (s[Math.ceil(pos)]! - s[lo]!) * (pos - lo);
}

export function expectSummary(f: Filters = {}) {
  return FLOWS.filter((id) => !f.flowId || id === f.flowId)
    .map((id) => {
      const rs = LIVE.filter((r) => r.flow === id && inRange(r, f));
      const approved = count(rs, (r) => r.status === "approved");
      const denied = count(rs, (r) => r.status === "denied");
      const created = rs.map((r) => r.created);
      return {
        ...flowCols(id),
        total_runs: rs.length,
        pending: count(rs, (r) => r.status === "pending"),
        approved,
        denied,
        approval_rate: rate(approved, denied),
        first_run_at: rs.length ? iso(Math.min(...created)) : null,
        last_run_at: rs.length ? iso(Math.max(...created)) : null,
      };
    })
    .sort(byText((r) => r.flow_name));
}

export function expectDaily(f: Filters = {}) {
  const days = new Map<
    string,
    { day: string; flow_id: string; flow_name: string; runs: number; pending: number; approved: number; denied: number }
  >();
  for (const r of LIVE.filter((x) => inRange(x, f))) {
    const day = iso(r.created).slice(0, 10);
    const k = `${day} ${flowName(r.flow)}`;
    const row = days.get(k) ?? { day, ...flowCols(r.flow), runs: 0, pending: 0, approved: 0, denied: 0 };
    row.runs++;
    row[r.status]++;
    days.set(k, row);
  }
  return [...days.entries()].sort(byText(([k]) => k)).map(([, v]) => v);
}

export function expectLatency(f: Filters = {}) {
  return FLOWS.map((id) => {
    const took = LIVE.filter((r) => r.flow === id && r.status !== "pending" && inRange(r, f)).map((r) => r.took);
    return {
      ...flowCols(id),
      decided_runs: took.length,
      p50_seconds: took.length ? percentile(took, 0.5) : 0,
      p90_seconds: took.length ? percentile(took, 0.9) : 0,
      max_seconds: Math.max(...took),
    };
  })
    .filter((r) => r.decided_runs > 0)
    .sort(byText((r) => r.flow_name));
}

const BUCKETS: [string, number][] = [
  ["<1h", HOUR],
  ["1h-24h", DAY],
  ["1d-7d", 7 * DAY],
  ["7d-30d", 30 * DAY],
  [">30d", Infinity],
];
export function expectBacklog(f: Filters = {}) {
  const out: { flow_id: string; flow_name: string; age_bucket: string; runs: number; oldest_created_at: string; order: number }[] = [];
  for (const r of LIVE.filter((x) => x.status === "pending" && inRange(x, f))) {
    const order = BUCKETS.findIndex(([, limit]) => NOW - r.created < limit);
    const row = out.find((o) => o.flow_id === r.flow && o.order === order);
    if (row) {
      row.runs++;
      row.oldest_created_at = iso(Math.min(Date.parse(row.oldest_created_at), r.created));
    } else out.push({ ...flowCols(r.flow), age_bucket: BUCKETS[order]![0], runs: 1, oldest_created_at: iso(r.created), order });
  }
  return out.sort((a, b) => byText<typeof a>((x) => x.flow_name)(a, b) || a.order - b.order).map(({ order: _, ...rest }) => rest);
}

export function expectDecisions() {
  return LIVE.flatMap((r) =>
    r.results.map((d, i) => ({
      run_id: r.id,
      flow_id: r.flow,
      ordinal: i + 1,
      reviewer_type: d.reviewer?.type ?? (d.userId ? "user" : null),
      reviewer_id: d.reviewer?.id ?? d.userId ?? null,
      result: d.result,
      comment: d.comment ?? null,
      run_status: r.status,
      run_created_at: iso(r.created),
      run_updated_at: iso(r.created + r.took * 1000),
    })),
  );
}

export function expectReviewers(f: Filters = {}) {
  const live = new Set(LIVE.filter((r) => inRange(r, f)).map((r) => r.id));
  const rows = new Map<
    string,
    {
      reviewer_type: string | null;
      reviewer_id: string | null;
      decisions: number;
      approved: number;
      rejected: number;
      approval_rate: number | null;
      flows: Set<string>;
    }
  >();
  for (const d of expectDecisions().filter((x) => live.has(x.run_id))) {
    const k = `${d.reviewer_type}/${d.reviewer_id}`;
    const row = rows.get(k) ?? {
      reviewer_type: d.reviewer_type,
      reviewer_id: d.reviewer_id,
      decisions: 0,
      approved: 0,
      rejected: 0,
      approval_rate: null,
      flows: new Set(),
    };
    row.decisions++;
    if (d.result === "approved") row.approved++;
    else row.rejected++;
    row.approval_rate = rate(row.approved, row.rejected);
    row.flows.add(d.flow_id);
    rows.set(k, row);
  }
  return [...rows.values()]
    .map(({ flows, ...r }) => ({ ...r, flows: flows.size }))
    .sort(
      (a, b) =>
        b.decisions - a.decisions ||
        (a.reviewer_id === null ? 1 : b.reviewer_id === null ? -1 : byText<typeof a>((x) => x.reviewer_id!)(a, b)),
    );
}

export function expectTags(f: Filters = {}) {
  const rows = new Map<
    string,
    {
      flow_id: string;
      flow_name: string;
      key: string;
      value: string;
      runs: Set<string>;
      pending: Set<string>;
      approved: Set<string>;
      denied: Set<string>;
    }
  >();
  for (const r of LIVE.filter((x) => inRange(x, f))) {
    for (const t of r.tags) {
      const k = `${r.flow} ${t.key}=${t.value}`;
      const row = rows.get(k) ?? {
        ...flowCols(r.flow),
        key: t.key,
        value: t.value,
        runs: new Set(),
        pending: new Set(),
        approved: new Set(),
        denied: new Set(),
      };
      row.runs.add(r.id);
      row[r.status].add(r.id);
      rows.set(k, row);
    }
  }
  return [...rows.values()]
    .map((r) => ({ ...r, runs: r.runs.size, pending: r.pending.size, approved: r.approved.size, denied: r.denied.size }))
    .sort((a, b) => byText<typeof a>((x) => `${x.flow_name} ${x.key}`)(a, b) || b.runs - a.runs || byText<typeof a>((x) => x.value)(a, b));
}

export const HEALTH = [
  {
    ...flowCols(B),
    state: "missing",
    last_success_at: "2025-03-06T06:00:00.000Z",
    consecutive_failures: 0,
    rejects: 0,
    missing_since: "2025-03-07T12:00:00.000Z",
    last_error: "flow not found (404)",
  },
  {
    ...flowCols(D),
    state: "failing",
    last_success_at: null,
    consecutive_failures: 3,
    rejects: 1,
    missing_since: null,
    last_error: "HTTP 503 from Bird: upstream\nunavailable",
  },
  {
    ...flowCols(A),
    state: "ok",
    last_success_at: "2025-03-06T00:00:00.000Z",
    consecutive_failures: 0,
    rejects: 2,
    missing_since: null,
    last_error: null,
  },
  {
    ...flowCols(C),
    state: "never synced",
    last_success_at: null,
    consecutive_failures: 0,
    rejects: 0,
    missing_since: null,
    last_error: null,
  },
];
