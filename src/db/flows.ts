// bird.approval_flows: flow metadata for reports, and which flows are gone.
import { type SQL, sql } from "drizzle-orm";
import type { ApprovalFlow } from "../bird/schema.js";
import { type Database, type SqlRunner, inSavepoint } from "./database.js";
import { dbErrorMessage, isRecordDataError } from "./pg-errors.js";

/** A listed flow whose metadata PostgreSQL refused (a NUL in its name, say): kept by its id alone. */
export interface RefusedFlow {
  id: string;
  reason: string;
}

/**
 * Upserts listed flows (seen now, not missing), one row per uuid whatever the list repeated (the first
 * copy wins: one statement cannot update a row twice). Metadata PostgreSQL refuses costs only that
 * metadata: such a flow is marked seen by its id, and returned so the caller can say so.
 */
export async function upsertFlows(db: Database, flows: readonly ApprovalFlow[]): Promise<RefusedFlow[]> {
  const byUuid = new Map<string, ApprovalFlow>();
  for (const f of flows) if (!byUuid.has(f.id.toLowerCase())) byUuid.set(f.id.toLowerCase(), f);
  const unique = [...byUuid.values()];
  if (unique.length === 0) return [];
  try {
    await db.rows(upsertFlowsStatement(unique));
    return [];
  } catch (err) {
    if (!isRecordDataError(err)) throw err;
  }
  return db.transaction(async (tx) => {
    const refused: RefusedFlow[] = [];
    for (const f of unique) {
      try {
        await inSavepoint(tx, "probe", () => tx.rows(upsertFlowsStatement([f])));
      } catch (err) {
        if (!isRecordDataError(err)) throw err;
        refused.push({ id: f.id, reason: dbErrorMessage(err) });
        await tx.rows(sql`
          insert into bird.approval_flows (id) values (${f.id}::uuid)
          on conflict (id) do update set last_seen_at = now(), missing_since = null`);
      }
    }
    return refused;
  });
}

// Timestamps go through bird.rfc3339 (migration 0003), as a run's do: RFC 3339 offsets reach ±23:59.
function upsertFlowsStatement(flows: readonly ApprovalFlow[]): SQL {
  const input = flows.map((f) => ({
    id: f.id,
    organization_id: f.organizationId ?? null,
    workspace_id: f.workspaceId ?? null,
    owner_id: f.ownerId ?? null,
    name: f.name ?? null,
    description: f.description ?? null,
    object_type: f.objectType ?? null,
    object_action: f.objectAction ?? null,
    steps: f.steps ?? null,
    tags: f.tags ?? null,
    created_at: f.createdAt ?? null,
    updated_at: f.updatedAt ?? null,
  }));
  return sql`
    insert into bird.approval_flows as f (id, organization_id, workspace_id, owner_id, name, description,
      object_type, object_action, steps, tags, created_at, updated_at)
    select id, organization_id, workspace_id, owner_id, name, description, object_type, object_action, steps, tags,
      bird.rfc3339(created_at), bird.rfc3339(updated_at)
    from jsonb_to_recordset(${JSON.stringify(input)}::jsonb) as r(id uuid, organization_id text,
      workspace_id text, owner_id text, name text, description text, object_type text, object_action text,
      steps jsonb, tags jsonb, created_at text, updated_at text)
    on conflict (id) do update set organization_id = excluded.organization_id, workspace_id = excluded.workspace_id,
      owner_id = excluded.owner_id, name = excluded.name, description = excluded.description,
      object_type = excluded.object_type, object_action = excluded.object_action, steps = excluded.steps,
      tags = excluded.tags, created_at = excluded.created_at, updated_at = excluded.updated_at,
      last_seen_at = now(), missing_since = null`;
}

/**
 * Flows of `organization` that its discovery no longer lists are missing (kept, with their runs, for
 * history). Another organization's flows are not in its listing and never its to mark (issue 23).
 * The list's column is named `value` on purpose: a bare `id` inside the subquery would resolve to the
 * outer table's column, `id not in (select id …)` would never hold, and nothing was ever marked (issue 15).
 */
export async function markUnlistedFlowsMissing(db: SqlRunner, listedIds: readonly string[], organization: string): Promise<string[]> {
  const rows = await db.rows<{ id: string }>(sql`
    update bird.approval_flows set missing_since = now()
    where missing_since is null
      and id in (select s.flow_id from bird.sync_state s where s.organization_id = ${organization})
      and id not in (select l.value::uuid from jsonb_array_elements_text(${JSON.stringify(listedIds)}::jsonb) as l(value))
    returning id::text as id`);
  return rows.map((r) => r.id);
}

export const DELETED_IN_BIRD = "Bird lists this flow as deleted (status=deleted); it is no longer synced";

/**
 * Known flows of `organization` that Bird lists with status=deleted: missing, with the reason where
 * `status` shows it. Flows we never synced are not added: there is nothing of theirs to explain.
 */
export async function markFlowsDeletedInBird(db: SqlRunner, flows: readonly ApprovalFlow[], organization: string): Promise<string[]> {
  if (flows.length === 0) return [];
  const ids = JSON.stringify(flows.map((f) => f.id));
  // `limit 1`: Bird may list one flow twice (in two spellings); the first name wins.
  const rows = await db.rows<{ id: string }>(sql`
    update bird.approval_flows set missing_since = coalesce(missing_since, now()),
      name = coalesce(name, (select f.value ->> 'name' from jsonb_array_elements(${JSON.stringify(flows)}::jsonb)
                               with ordinality as f(value, n)
                             where (f.value ->> 'id')::uuid = approval_flows.id order by f.n limit 1))
    where id in (select l.value::uuid from jsonb_array_elements_text(${ids}::jsonb) as l(value))
      and id in (select s.flow_id from bird.sync_state s where s.organization_id = ${organization})
    returning id::text as id`);
  if (rows.length > 0) {
    await db.rows(sql`
      update bird.sync_state set last_error = ${DELETED_IN_BIRD}, updated_at = now()
      where flow_id in (select l.value::uuid from jsonb_array_elements_text(${JSON.stringify(rows.map((r) => r.id))}::jsonb) as l(value))`);
  }
  return rows.map((r) => r.id);
}

export async function clearFlowMissing(db: SqlRunner, flowId: string): Promise<void> {
  await db.rows(
    sql`update bird.approval_flows set missing_since = null, last_seen_at = now() where id = ${flowId}::uuid and missing_since is not null`,
  );
}

/** Of these flows, the ones the database records as another organization's, with that organization. */
export async function flowsOfOtherOrganizations(
  db: SqlRunner,
  flowIds: readonly string[],
  organization: string,
): Promise<Array<{ flowId: string; organizationId: string }>> {
  if (flowIds.length === 0) return [];
  return db.rows(sql`
    select flow_id::text as "flowId", organization_id as "organizationId" from bird.sync_state
    where flow_id in (select l.value::uuid from jsonb_array_elements_text(${JSON.stringify(flowIds)}::jsonb) as l(value))
      and organization_id <> ${organization}`);
}

/** Organizations other than `organization` that have flows here (NULL: flows nothing attributes). */
export async function otherOrganizations(
  db: SqlRunner,
  organization: string,
): Promise<Array<{ organizationId: string | null; flows: number }>> {
  return db.rows(sql`
    select organization_id as "organizationId", count(*)::int as flows from bird.sync_state
    where organization_id is distinct from ${organization}
    group by organization_id order by organization_id nulls last`);
}
