// Issue 22's invariants, checked after every sync: the model Bird keeps every version of every run it
// ever had, with the instant it changed (on the engine's clock), and the recorded versions must be, in
// order, a subsequence of them: each recorded version is the model's version at some instant inside its
// window, no later than its observation, and after the last read that showed the one before; as-of at
// each observation gives that version; and after a full pass the current version is the model's.
import { sql } from "drizzle-orm";
import type { SqlRunner } from "../../src/db/database.js";
import { localClockUs } from "../../src/model.js";
import type { Violation } from "./checks.js";
import type { ModelFlow, ModelRun, ModelUpstream } from "./model-upstream.js";

interface ModelVersion {
  atUs: number;
  deleted: boolean;
  /** What a stored version must hold (undefined: invalid or unstorable, never recorded). */
  row?: { flow: string; status: string; results: string; tags: string; object: string | null; updated: string };
}

export class ModelHistory {
  readonly versions = new Map<string, ModelVersion[]>();

  /** Follows the model's changes: every render of a run is a version (if its text changed), every removal a deletion. */
  constructor(readonly m: ModelUpstream) {
    const render = m.render.bind(m);
    const lastText = new Map<string, string>();
    m.render = (run: ModelRun) => {
      render(run);
      const list = this.versions.get(run.id);
      if (lastText.get(run.id) === run.text && list?.at(-1)?.deleted === false) return;
      lastText.set(run.id, run.text);
      this.push(run.id, { atUs: localClockUs(), deleted: false, ...(run.kind === "valid" ? { row: rowOf(run) } : {}) });
    };
    const addFlow = m.addFlow.bind(m);
    m.addFlow = () => this.watch(addFlow());
    for (const flow of m.flows.values()) this.watch(flow);
  }

  private push(id: string, v: ModelVersion): void {
    const list = this.versions.get(id) ?? [];
    list.push(v);
    this.versions.set(id, list);
  }

  private watch(flow: ModelFlow): ModelFlow {
    const remove = flow.runs.delete.bind(flow.runs);
    flow.runs.delete = (id: string) => {
      if (flow.runs.has(id)) this.push(id, { atUs: localClockUs(), deleted: true });
      return remove(id);
    };
    return flow;
  }
}

function rowOf(run: ModelRun): ModelVersion["row"] {
  const f = run.fields;
  return {
    flow: run.flowId,
    status: JSON.parse(f.status!) as string,
    results: f.results!,
    tags: f.tags!,
    object: f.object && f.object !== "null" ? f.object : null,
    updated: JSON.parse(f.updatedAt!) as string,
  };
}

interface Match {
  id: string;
  version: number;
  is_current: boolean;
  after_us: number | null;
  observed_us: number;
  j: number | null;
  at_us: number | null;
}

/** `exempt`: runs whose current version need not be stored yet (only used when `exact`). */
export async function historyInvariants(
  db: SqlRunner,
  h: ModelHistory,
  exact: { exempt: ReadonlySet<string> } | undefined,
): Promise<Violation[]> {
  const model = [...h.versions.entries()].flatMap(([id, list]) =>
    list.flatMap((v, j) => (v.deleted || v.row ? [{ id, j, at_us: v.atUs, deleted: v.deleted, ...v.row }] : [])),
  );
  const ids = `{${[...h.versions.keys()].join(",")}}`;
  const rows = await db.rows<Match>(sql`
    with m as (
      select * from jsonb_to_recordset(${JSON.stringify(model)}::jsonb) as x(id uuid, j int, at_us float8, deleted boolean,
        flow uuid, status text, results text, tags text, object text, updated text)
    ), v as (
      select * from bird.approval_run_versions where id = any(${ids}::uuid[])
    )
    select v.id::text as id, v.version, v.is_current, extract(epoch from v.changed_after)::float8 * 1e6 as after_us,
      extract(epoch from v.observed_at)::float8 * 1e6 as observed_us, m.j, m.at_us
    from v left join m on m.id = v.id and m.deleted = (v.deleted_at is not null) and (m.deleted or (
      m.flow = v.approval_flow_id and m.status = v.status and v.results::text = m.results::jsonb::text
      and v.tags::text = m.tags::jsonb::text and v.object::text is not distinct from m.object::jsonb::text
      and v.updated_at = bird.rfc3339(m.updated)))
    order by v.id, v.version, m.j`);
  const found: Violation[] = [];
  const byVersion = new Map<string, Match[]>();
  for (const r of rows) byVersion.set(`${r.id}/${r.version}`, [...(byVersion.get(`${r.id}/${r.version}`) ?? []), r]);
  const lastJ = new Map<string, number>();
  for (const [key, matches] of byVersion) {
    const [id] = key.split("/") as [string];
    const first = matches[0]!;
    // The latest model version with this content that existed by the observation.
    const seen = matches.filter((x) => x.j !== null && x.at_us! <= first.observed_us).at(-1);
    if (!seen) {
      found.push({ id, what: `version ${first.version} is no version the model had by its observation` });
      continue;
    }
    if (seen.j! <= (lastJ.get(id) ?? -1)) found.push({ id, what: `version ${first.version} repeats or precedes an earlier recorded one` });
    lastJ.set(id, seen.j!);
    if (first.after_us !== null && first.after_us >= seen.at_us!) {
      found.push({ id, what: `version ${first.version} changed after ${first.after_us} but the model changed at ${seen.at_us}` });
    }
    // After a full pass the current version holds what the model holds now (by content: a run moved away
    // and back, unseen in between, changed nothing a read could tell).
    const current = h.versions.get(id)!;
    const now = current.length - 1;
    if (exact && first.is_current && !exact.exempt.has(id) && current[now]!.row && !matches.some((x) => x.j === now)) {
      found.push({ id, what: `current version ${first.version} is not the model's current one after a full pass` });
    }
  }
  found.push(...(await asOfInvariant(db, ids)), ...(await decisionInvariant(db, ids)));
  return found;
}

/**
 * Each decision's window, kept on the run's row by the page write, is the window of the first recorded
 * version of the unbroken stretch of versions showing it at its position (created_at as lower bound
 * when that is the first version seen): the windows checked against the model above.
 */
async function decisionInvariant(db: SqlRunner, ids: string): Promise<Violation[]> {
  return db.rows<Violation>(sql`
    select d.run_id::text as id, 'decision ' || d.position || ' window (' || coalesce(d.decided_after::text, '?') || ', '
      || d.decided_before || '] is not its first version''s (' || coalesce(f.lower::text, '?') || ', ' || coalesce(f.observed_at::text, '?') || ']' as what
    from bird.decisions d
    join bird.approval_runs r on r.id = d.run_id
    left join lateral (
      select v.observed_at, case when v.version = (select min(x.version) from bird.approval_run_versions x where x.id = v.id)
        then case when v.created_at <= v.observed_at then v.created_at end else v.changed_after end as lower
      from bird.approval_run_versions v
      where v.id = d.run_id and not exists (
        select 1 from bird.approval_run_versions o where o.id = d.run_id and o.version >= v.version
          and (o.results -> (d.position - 1)) is distinct from (r.results -> (d.position - 1)))
      order by v.version limit 1
    ) f on true
    where d.run_id = any(${ids}::uuid[])
      and (d.decided_before is distinct from f.observed_at or d.decided_after is distinct from f.lower)`);
}

/** runs_as_of at each version's observation gives that version (a deleted one: no row). */
async function asOfInvariant(db: SqlRunner, ids: string): Promise<Violation[]> {
  return db.rows<Violation>(sql`
    select v.id::text as id, 'runs_as_of(observed_at of version ' || v.version || ') gives ' || coalesce(
      (select string_agg(a.version::text, ',') from bird.runs_as_of(v.observed_at) a where a.id = v.id), 'nothing') as what
    from bird.approval_run_versions v
    where v.id = any(${ids}::uuid[])
      and (select array_agg(a.version) from bird.runs_as_of(v.observed_at) a where a.id = v.id)
        is distinct from case when v.deleted_at is null then array[v.version] end`);
}
