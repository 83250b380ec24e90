// What the tables must hold, compared with the model in PostgreSQL: jsonb by its text (so 1.10 stays
// 1.10, not 1.1), timestamps as instants, and every id as a uuid.
import { sql } from "drizzle-orm";
import { instantUs } from "../../src/bird/date-time.js";
import type { SqlRunner } from "../../src/db/database.js";
import type { ModelRun, ModelUpstream } from "./model-upstream.js";

const KNOWN = new Set([
  "status",
  "activeStep",
  "object",
  "previousObject",
  "invoker",
  "tags",
  "results",
  "createdAt",
  "updatedAt",
  "organizationId",
  "workspaceId",
]);

/** A model run as the row it must become, every value still as the text Bird sent. */
function expected(run: ModelRun) {
  const f = run.fields;
  const extra = Object.entries(f).filter(([k]) => !KNOWN.has(k));
  const invoker = f.invoker && f.invoker !== "null" ? (JSON.parse(f.invoker) as { type: string; id: string }) : undefined;
  const instant = (text: string | undefined) => (text ? instantOf(JSON.parse(text) as string) : null);
  return {
    id: run.id,
    api_id: run.apiId === run.id ? null : run.apiId,
    flow: run.flowId,
    status: JSON.parse(f.status!) as string,
    active_step: f.activeStep && f.activeStep !== "null" ? f.activeStep : null,
    object: f.object && f.object !== "null" ? f.object : null,
    previous_object: f.previousObject && f.previousObject !== "null" ? f.previousObject : null,
    tags: f.tags!,
    results: f.results!,
    extra: extra.length ? `{${extra.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(",")}}` : null,
    invoker_type: invoker?.type ?? null,
    invoker_id: invoker?.id.toLowerCase() ?? null,
    organization_id: f.organizationId ? (JSON.parse(f.organizationId) as string) : null,
    created_at: instant(f.createdAt),
    updated_at: instant(f.updatedAt),
  };
}

/** The instant of an RFC 3339 text the model wrote, as PostgreSQL stores it (to the microsecond). */
function instantOf(text: string): string {
  const us = instantUs(text);
  const ms = Math.floor(us / 1000);
  return new Date(ms).toISOString().replace("Z", `${String(us - ms * 1000).padStart(3, "0")}Z`);
}

export interface Violation {
  id: string;
  what: string;
}

/** After a completed full pass of every flow: the live rows of the model's flows equal the model. */
export async function tableEqualsModel(db: SqlRunner, m: ModelUpstream, exempt: ReadonlySet<string> = new Set()): Promise<Violation[]> {
  const all = [...m.flows.values()].flatMap((f) => [...f.runs.values()]).filter((r) => !exempt.has(r.id));
  const valid = all.filter((r) => r.kind === "valid").map(expected);
  const listed = all.map((r) => ({ id: r.id, flow: r.flowId, valid: r.kind === "valid" }));
  const flows = JSON.stringify([...m.flows.keys()]);
  return db.rows<Violation>(sql`
    with exp as (
      select * from jsonb_to_recordset(${JSON.stringify(valid)}::jsonb) as x(id uuid, api_id text, flow uuid, status text,
        active_step text, object text, previous_object text, tags text, results text, extra text, invoker_type text,
        invoker_id uuid, organization_id uuid, created_at timestamptz, updated_at timestamptz)
    ), listed as (
      select * from jsonb_to_recordset(${JSON.stringify(listed)}::jsonb) as x(id uuid, flow uuid, valid boolean)
    )
    select exp.id::text as id, case when r.id is null then 'missing' when r.deleted_at is not null then 'marked deleted'
      else 'differs: ' || concat_ws(', ',
        case when r.approval_flow_id <> exp.flow then 'flow' end,
        case when r.api_id is distinct from exp.api_id then 'api_id' end,
        case when r.status <> exp.status then 'status' end,
        case when r.active_step is distinct from exp.active_step::numeric then 'active_step' end,
        case when r.object::text is distinct from exp.object::jsonb::text then 'object ' || r.object::text || ' vs ' || exp.object end,
        case when r.previous_object::text is distinct from exp.previous_object::jsonb::text then 'previous_object' end,
        case when r.tags::text <> exp.tags::jsonb::text then 'tags' end,
        case when r.results::text <> exp.results::jsonb::text then 'results' end,
        case when r.extra::text is distinct from exp.extra::jsonb::text then 'extra' end,
        case when r.invoker_type is distinct from exp.invoker_type or r.invoker_id is distinct from exp.invoker_id then 'invoker' end,
        case when r.organization_id is distinct from exp.organization_id then 'organization_id' end,
        case when r.created_at <> exp.created_at then 'created_at ' || r.created_at || ' vs ' || exp.created_at end,
        case when r.updated_at <> exp.updated_at then 'updated_at' end) end as what
    from exp left join bird.approval_runs r on r.id = exp.id
    where r.id is null or r.deleted_at is not null or r.approval_flow_id <> exp.flow or r.api_id is distinct from exp.api_id
      or r.status <> exp.status or r.active_step is distinct from exp.active_step::numeric
      or r.object::text is distinct from exp.object::jsonb::text or r.previous_object::text is distinct from exp.previous_object::jsonb::text
      or r.tags::text <> exp.tags::jsonb::text or r.results::text <> exp.results::jsonb::text or r.extra::text is distinct from exp.extra::jsonb::text
      or r.invoker_type is distinct from exp.invoker_type or r.invoker_id is distinct from exp.invoker_id
      or r.organization_id is distinct from exp.organization_id or r.created_at <> exp.created_at or r.updated_at <> exp.updated_at
    union all
    -- live rows the model does not list in their flow (gone, moved, or never there)
    select r.id::text, 'live but not listed in flow ' || r.approval_flow_id from bird.approval_runs r
    where r.approval_flow_id in (select f::uuid from jsonb_array_elements_text(${flows}::jsonb) as f) and r.deleted_at is null
      and r.id::text <> all(${`{${[...exempt].join(",")}}`}::text[])
      and not exists (select 1 from listed l where l.id = r.id and l.flow = r.approval_flow_id)
    union all
    -- a listed run whose new version is invalid stays live, and its new version is quarantined
    select l.id::text, 'invalid version not quarantined' from listed l
    where not l.valid and not exists (select 1 from bird.sync_rejects q where q.flow_id = l.flow and q.fingerprint = l.id::text)
    union all
    select l.id::text, 'valid but still quarantined' from listed l
    where l.valid and exists (select 1 from bird.sync_rejects q where q.flow_id = l.flow and q.fingerprint = l.id::text)`);
}

/**
 * After an incremental pass of the flows in `done`: no run the model lists in its flow is marked
 * deleted there, and every run added before the pass (not backdated, moved or fixed since) is present.
 */
export async function incrementalInvariants(
  db: SqlRunner,
  m: ModelUpstream,
  done: ReadonlySet<string>,
  before: ReadonlySet<string>,
  exempt: ReadonlySet<string> = new Set(),
): Promise<Violation[]> {
  const listed = [...m.flows.values()]
    .filter((f) => done.has(f.id))
    .flatMap((f) => [...f.runs.values()])
    .filter((r) => !exempt.has(r.id));
  const mustBePresent = listed.filter((r) => r.kind === "valid" && r.incrementalVisible && before.has(r.id)).map((r) => r.id);
  const inFlow = listed.map((r) => ({ id: r.id, flow: r.flowId }));
  return db.rows<Violation>(sql`
    select l.id::text as id, 'listed in its flow but marked deleted' as what
    from jsonb_to_recordset(${JSON.stringify(inFlow)}::jsonb) as l(id uuid, flow uuid)
    join bird.approval_runs r on r.id = l.id and r.approval_flow_id = l.flow and r.deleted_at is not null
    union all
    select p.id, 'added before the pass but not stored' || coalesce(' (row in flow ' || r.approval_flow_id || ', deleted ' || r.deleted_at || ')', ' (no row)')
    from jsonb_array_elements_text(${JSON.stringify(mustBePresent)}::jsonb) as p(id) left join bird.approval_runs r on r.id = p.id::uuid
    where not exists (select 1 from bird.approval_runs r2 where r2.id = p.id::uuid and r2.deleted_at is null)`);
}
