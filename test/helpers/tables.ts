// What a sync left in the database, as one digest per table: two databases synced from the same
// answers (a run and the replay of its recording) must have equal digests. Columns that say when or
// by whom (sync times, lease owners, request counts a replay skips) are left out: they differ by nature.
import pg from "pg";

export interface TableDigest {
  rows: number;
  md5: string;
}

const TABLES: Record<string, string> = {
  approval_runs: `select id, api_id, approval_flow_id, organization_id, workspace_id, status, active_step, invoker_type,
      invoker_id, object, previous_object, tags, results, extra, created_at, updated_at, deleted_at is not null as deleted
    from bird.approval_runs order by id`,
  approval_flows: `select id, organization_id, workspace_id, owner_id, name, description, object_type, object_action, steps,
      tags, created_at, updated_at, missing_since is not null as missing
    from bird.approval_flows order by id`,
  sync_rejects: `select flow_id, run_id, fingerprint, reason, payload, times_seen
    from bird.sync_rejects order by flow_id, fingerprint`,
  sync_passes: `select flow_id, kind, outcome, from_first_page, pages, runs_seen, runs_inserted, runs_updated, runs_unchanged,
      runs_rejected, runs_deleted
    from bird.sync_passes order by flow_id, id`,
  sync_state: `select flow_id, pass_kind, cursor, reverse_cursor, list_order, reverse_works, high_water_mark,
      last_full_pass_at is not null as fully_passed, consecutive_failures, recheck_debt, token_reuses, token_refusals
    from bird.sync_state order by flow_id`,
  page_tokens: `select flow_id, token, reverse, oldest_created_at, newest_created_at from bird.page_tokens order by flow_id, token`,
};

/** One digest per table (rows as jsonb text, sorted, timestamps in UTC). */
export async function tableDigests(url: string): Promise<Record<string, TableDigest>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("set time zone 'UTC'");
    const out: Record<string, TableDigest> = {};
    for (const [name, select] of Object.entries(TABLES)) {
      const { rows } = await client.query<{ rows: string; md5: string | null }>(
        `select count(*)::text as rows, md5(string_agg(to_jsonb(t)::text, E'\\n' order by to_jsonb(t)::text)) as md5 from (${select}) t`,
      );
      out[name] = { rows: Number(rows[0]!.rows), md5: rows[0]!.md5 ?? "" };
    }
    return out;
  } finally {
    await client.end();
  }
}
