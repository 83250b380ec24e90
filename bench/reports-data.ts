// A synced-looking organization written straight into a migrated database (issue 26): runs over two
// years in `flows` flows, a worker installed a year ago that has watched runs since (each run created
// after that has its pending versions in bird.approval_run_history), realistic statuses (pending
// mostly recent, 3 of 4 decisions approvals), one to three decisions per decided run from a pool of
// reviewers, zero to three tags, objects of a few hundred bytes. Plain INSERT … SELECT: a million runs
// take a minute or two instead of hours through the fake.
import type { ScratchDb } from "./pg-admin.js";

const REVIEWERS = 300;

/** Steps of the fill, each one statement; `runs` split evenly over `flows`. */
export function fillStatements(runs: number, flows: number): string[] {
  const perFlow = Math.ceil(runs / flows);
  return [
    `insert into bird.approval_flows (id, name, steps)
     select ('00000000-0000-4000-8000-' || lpad(to_hex(f), 12, '0'))::uuid, 'Flow ' || f || ' approvals', '[]'::jsonb
     from generate_series(1, ${flows}) f`,
    // One row per run: its flow, age, status, latency and shape drawn from hashes of its number.
    `create temporary table fill_runs as
     select i, ('00000000-0000-4000-8000-' || lpad(to_hex(1 + (i - 1) / ${perFlow}), 12, '0'))::uuid as flow,
       gen_random_uuid() as id,
       now() - (random() * interval '730 days') as created,
       random() as r_status, random() as r_latency, random() as r_shape
     from generate_series(1, ${runs}) i`,
    `create temporary table fill_shaped as
     select f.*, case
         when now() - f.created < interval '2 days' and f.r_status < 0.6 then 'pending'
         when f.r_status < 0.02 then 'pending'
         when f.r_status < 0.77 then 'approved' else 'denied' end as status,
       -- decided after minutes to about two weeks
       greatest(f.created, least(f.created + (interval '1 minute' * power(20000, f.r_latency)), now() - interval '1 minute')) as decided,
       1 + floor(f.r_shape * 3)::int as decisions,
       floor(f.r_shape * 1000)::int % 4 as tag_count,
       now() - interval '365 days' as installed
     from fill_runs f`,
    `insert into bird.approval_runs (id, approval_flow_id, organization_id, status, active_step, invoker_type, invoker_id,
       object, tags, results, created_at, updated_at, first_synced_at, last_synced_at, version, changed_after, observed_at,
       first_read_sent_at, decided_after, decided_before, decided_at, step_entered_after, step_entered_before,
       decision_after, decision_before, decision_at)
     select s.id, s.flow, '00000000-0000-4000-8000-00000000aaaa'::uuid, s.status,
       case when s.status = 'pending' then 1 + s.decisions % 2 else s.decisions end, 'user', gen_random_uuid(),
       jsonb_build_object('type', 'invoice', 'id', 'INV-' || s.i, 'amount', (s.i * 37) % 100000, 'currency', 'EUR',
         'lines', jsonb_build_array(jsonb_build_object('sku', 'A-' || s.i % 97, 'qty', 1 + s.i % 5)), 'note', repeat('n', 60 + s.i % 120)),
       (select coalesce(jsonb_agg(jsonb_build_object('key', (array['team', 'region', 'cost_center'])[k],
          'value', (array['ops', 'eu', 'cc-' || s.i % 40])[k])), '[]'::jsonb) from generate_series(1, s.tag_count) k),
       case when s.status = 'pending' then '[]'::jsonb else (select jsonb_agg(jsonb_build_object(
          'reviewer', jsonb_build_object('type', 'user', 'id', '00000000-0000-4000-8000-' || lpad(to_hex(1 + (s.i * 7 + d * 131) % ${REVIEWERS}), 12, '0')),
          'result', case when s.status = 'denied' and d = s.decisions then 'rejected' else 'approved' end,
          'comment', case when d = 1 then 'ok' else '' end)) from generate_series(1, s.decisions) d) end,
       s.created, case when s.status = 'pending' then s.created else s.decided end,
       greatest(s.created, s.installed), greatest(s.decided, s.installed),
       case when s.status <> 'pending' and s.created > s.installed then 2 else 1 end,
       case when s.status <> 'pending' and s.created > s.installed then s.decided - interval '4 minutes' end,
       case when s.status = 'pending' then greatest(s.created, s.installed) + interval '2 seconds'
            when s.created > s.installed then s.decided + interval '1 minute'
            else greatest(s.decided, s.installed) + interval '2 seconds' end,
       case when s.status = 'pending' then greatest(s.created, s.installed)
            when s.created > s.installed then s.decided + interval '59 seconds'
            else greatest(s.decided, s.installed) end,
       -- the window in which it left pending: between two reads around the decision, or before the install
       case when s.status = 'pending' then null when s.created > s.installed then s.decided - interval '4 minutes' else s.created end,
       case when s.status = 'pending' then null when s.created > s.installed then s.decided + interval '1 minute'
            else greatest(s.decided, s.installed) + interval '2 seconds' end,
       case when s.status = 'pending' then null else s.decided end,
       case when s.status = 'pending' then s.created end,
       case when s.status = 'pending' then greatest(s.created, s.installed) + interval '2 seconds' end,
       -- each decision's window is its run's (they arrived together in these runs)
       case when s.status = 'pending' then '{}'::timestamptz[] when s.created > s.installed
            then array_fill(s.decided - interval '4 minutes', array[s.decisions]) else array_fill(s.created, array[s.decisions]) end,
       case when s.status = 'pending' then '{}'::timestamptz[] when s.created > s.installed
            then array_fill(s.decided + interval '1 minute', array[s.decisions])
            else array_fill(greatest(s.decided, s.installed) + interval '2 seconds', array[s.decisions]) end,
       case when s.status = 'pending' then '{}'::timestamptz[] else array_fill(s.decided, array[s.decisions]) end
     from fill_shaped s`,
    // A decided run seen pending on step 1 spent that stretch there until its decision.
    `insert into bird.run_step_times (run_id, flow_id, step, run_created_at, entered_after, entered_before, left_after, left_before)
     select id, approval_flow_id, 1, created_at, created_at, created_at + interval '2 seconds', changed_after, observed_at
     from bird.approval_runs where version = 2`,
    // Runs created since the install were seen pending first: that version is history now.
    `insert into bird.approval_run_history (id, version, approval_flow_id, organization_id, status, active_step, invoker_type,
       invoker_id, object, tags, results, created_at, updated_at, changed_after, observed_at, superseded_at)
     select r.id, 1, r.approval_flow_id, r.organization_id, 'pending', 1, r.invoker_type, r.invoker_id, r.object, r.tags,
       '[]'::jsonb, r.created_at, r.created_at, null, r.created_at + interval '2 seconds', r.observed_at
     from bird.approval_runs r where r.version = 2`,
    `insert into bird.run_reads (run_id, last_read_at)
     select id, now() - random() * interval '1 hour' from bird.approval_runs where status = 'pending'`,
    `insert into bird.sync_state (flow_id, last_full_pass_at, last_success_at, list_order)
     select id, now() - interval '3 hours', now() - interval '2 minutes', 'desc' from bird.approval_flows`,
    `insert into bird.sync_passes (flow_id, kind, owner, started_at, finished_at, outcome, from_first_page, pages, requests, runs_seen)
     select f.id, case when c % 288 = 0 then 'full' else 'incremental' end, 'bench', now() - c * interval '5 minutes',
       now() - c * interval '5 minutes' + interval '2 seconds', 'completed', true, 1, 2, 100
     from bird.approval_flows f, generate_series(1, 2016) c`,
  ];
}

export async function fillOrganization(db: ScratchDb, runs: number, flows: number, say: (line: string) => void): Promise<void> {
  const statements = fillStatements(runs, flows);
  // Temporary tables live per session: the whole fill goes through one connection.
  await db.query(`do $fill$ begin ${statements.map((s) => `execute ${quote(s)};`).join("\n")} end $fill$`);
  say(`filled ${runs} runs in ${flows} flows`);
  // What the page statement and the daemon's refresh would have done by now: every segment marked
  // (rows inserted by hand mark nothing themselves, migration 0013), then rolled up.
  await db.query("select bird.mark_all_report_segments()");
  await db.query("select bird.refresh_report_segments(2147483647)");
  await db.query("vacuum analyze");
}

function quote(s: string): string {
  return `$q$${s}$q$`;
}
