
    with lease as (
      -- 1. renew the lease and move this stream's cursor; no row: another process holds the flow
      update bird.sync_state set
        lease_expires_at = now() + @lease_ttl_ms * interval '1 millisecond',
        cursor = case when @set_cursor then @next::text else cursor end,
        reverse_cursor = case when @set_reverse_cursor then @next::text else reverse_cursor end,
        list_order = coalesce(@list_order::text, list_order),
        updated_at = now()
      where flow_id = @flow_id::uuid and lease_owner = @owner
      returning flow_id
    ), picked as (
      -- 2. the runs as Bird's texts hold them: parsed once, never re-serialized
      select e from (select e from jsonb_array_elements(convert_from(@source::bytea, 'UTF8')::jsonb -> 'results') with ordinality as a(e, pos)
        where pos - 1 = any(@positions::int[])) as p where exists (select 1 from lease)
    ), input as (
      -- 3. one row per run, every column cast from its JSON value
      select (e->>'id')::uuid as id, (e->>'approvalFlowId')::uuid as approval_flow_id, (e->>'organizationId')::uuid as organization_id, (e->>'workspaceId')::uuid as workspace_id, (e->>'status')::text as status, (e->>'activeStep')::numeric as active_step, (e->'invoker'->>'type')::text as invoker_type, (e->'invoker'->>'id')::uuid as invoker_id, nullif(e->'object', 'null'::jsonb) as object, nullif(e->'previousObject', 'null'::jsonb) as previous_object, nullif(e->'tags', 'null'::jsonb) as tags, nullif(e->'results', 'null'::jsonb) as results, bird.rfc3339(e->>'createdAt') as created_at, bird.rfc3339(e->>'updatedAt') as updated_at,
      nullif(e->>'id', lower(e->>'id')) as api_id,
      case when @has_extra then nullif(e - array['id','approvalFlowId','organizationId','workspaceId','status','activeStep','invoker','object','previousObject','tags','results','createdAt','updatedAt'], '{}'::jsonb) end as extra from picked
    ), written as (
      -- 4. change-only upsert: a row is written only when a value differs, or to bring a deleted run back;
      --    each write is a new version, changed after the last read that showed the one before. A run
      --    marked deleted by a 404 under one flow that a read sent before that 404 shows in another
      --    flow was moved, not deleted: the deletion is withdrawn (this version replaces it, number kept;
      --    the trigger approval_runs_withdrawn_deletion ends the version before it where this one was seen)
      --    A run written for the first time leaves its windows NULL: "after created_at, by observed_at"
      insert into bird.approval_runs as t (id, approval_flow_id, organization_id, workspace_id, status, active_step, invoker_type, invoker_id, object, previous_object, tags, results, created_at, updated_at, api_id, extra, observed_at, first_read_sent_at)
      select id, approval_flow_id, organization_id, workspace_id, status, active_step, invoker_type, invoker_id, object, previous_object, tags, results, created_at, updated_at, api_id, extra, @read_received::timestamptz, @read_sent::timestamptz
      from input
      on conflict (id) do update set approval_flow_id = excluded.approval_flow_id, organization_id = excluded.organization_id, workspace_id = excluded.workspace_id, status = excluded.status, active_step = excluded.active_step, invoker_type = excluded.invoker_type, invoker_id = excluded.invoker_id, object = excluded.object, previous_object = excluded.previous_object, tags = excluded.tags, results = excluded.results, created_at = excluded.created_at, updated_at = excluded.updated_at, api_id = excluded.api_id, extra = excluded.extra, last_synced_at = now(), deleted_at = null,
        version = t.version + case when (t.deleted_at is not null and t.approval_flow_id <> excluded.approval_flow_id
          and t.first_read_sent_at > @read_sent::timestamptz) then 0 else 1 end, observed_at = excluded.observed_at, first_read_sent_at = excluded.first_read_sent_at,
        changed_after = coalesce(case when t.deleted_at is not null and t.approval_flow_id <> excluded.approval_flow_id
          then t.changed_after
          else greatest(t.first_read_sent_at, (select rr.last_read_at from bird.run_reads rr where rr.run_id = t.id)) end,
        (case when t.created_at <= @read_sent::timestamptz then t.created_at end)),
        decision_after = array(select case when t.results -> (i - 1) = excluded.results -> (i - 1) then coalesce(t.decision_after[i], (case when t.created_at <= t.observed_at then t.created_at end))
          else coalesce(case when t.deleted_at is not null and t.approval_flow_id <> excluded.approval_flow_id
          then t.changed_after
          else greatest(t.first_read_sent_at, (select rr.last_read_at from bird.run_reads rr where rr.run_id = t.id)) end,
        (case when t.created_at <= @read_sent::timestamptz then t.created_at end)) end from generate_series(1, case when jsonb_typeof(excluded.results) = 'array' then jsonb_array_length(excluded.results) else 0 end) as g(i) order by i),
        decision_before = array(select case when t.results -> (i - 1) = excluded.results -> (i - 1) then coalesce(t.decision_before[i], t.observed_at)
          else @read_received::timestamptz end from generate_series(1, case when jsonb_typeof(excluded.results) = 'array' then jsonb_array_length(excluded.results) else 0 end) as g(i) order by i),
        decision_at = array(select case when t.results -> (i - 1) = excluded.results -> (i - 1) then case when t.decision_after is null then case when t.updated_at between (case when t.created_at <= t.observed_at then t.created_at end) and t.observed_at then t.updated_at end else t.decision_at[i] end
          else case when excluded.updated_at between coalesce(case when t.deleted_at is not null and t.approval_flow_id <> excluded.approval_flow_id
          then t.changed_after
          else greatest(t.first_read_sent_at, (select rr.last_read_at from bird.run_reads rr where rr.run_id = t.id)) end,
        (case when t.created_at <= @read_sent::timestamptz then t.created_at end)) and @read_received::timestamptz then excluded.updated_at end end from generate_series(1, case when jsonb_typeof(excluded.results) = 'array' then jsonb_array_length(excluded.results) else 0 end) as g(i) order by i),
        decided_after = case when excluded.status = 'pending' then null
          when t.status <> 'pending' then coalesce(t.decided_after, (case when t.created_at <= t.observed_at then t.created_at end)) else coalesce(case when t.deleted_at is not null and t.approval_flow_id <> excluded.approval_flow_id
          then t.changed_after
          else greatest(t.first_read_sent_at, (select rr.last_read_at from bird.run_reads rr where rr.run_id = t.id)) end,
        (case when t.created_at <= @read_sent::timestamptz then t.created_at end)) end,
        decided_before = case when excluded.status = 'pending' then null
          when t.status <> 'pending' then coalesce(t.decided_before, t.observed_at) else @read_received::timestamptz end,
        decided_at = case when excluded.status = 'pending' then null
          when t.status <> 'pending' then case when t.decided_before is null then case when t.updated_at between (case when t.created_at <= t.observed_at then t.created_at end) and t.observed_at then t.updated_at end else t.decided_at end else case when excluded.updated_at between coalesce(case when t.deleted_at is not null and t.approval_flow_id <> excluded.approval_flow_id
          then t.changed_after
          else greatest(t.first_read_sent_at, (select rr.last_read_at from bird.run_reads rr where rr.run_id = t.id)) end,
        (case when t.created_at <= @read_sent::timestamptz then t.created_at end)) and @read_received::timestamptz then excluded.updated_at end end,
        step_entered_after = case when excluded.status <> 'pending' then null
          when t.status = 'pending' and t.deleted_at is null and t.active_step is not distinct from excluded.active_step then coalesce(t.step_entered_after, (case when t.created_at <= t.observed_at then t.created_at end)) else coalesce(case when t.deleted_at is not null and t.approval_flow_id <> excluded.approval_flow_id
          then t.changed_after
          else greatest(t.first_read_sent_at, (select rr.last_read_at from bird.run_reads rr where rr.run_id = t.id)) end,
        (case when t.created_at <= @read_sent::timestamptz then t.created_at end)) end,
        step_entered_before = case when excluded.status <> 'pending' then null
          when t.status = 'pending' and t.deleted_at is null and t.active_step is not distinct from excluded.active_step then coalesce(t.step_entered_before, t.observed_at) else @read_received::timestamptz end
      where ((t.approval_flow_id, t.organization_id, t.workspace_id, t.status, t.active_step, t.invoker_type, t.invoker_id, t.object, t.previous_object, t.tags, t.results, t.created_at, t.updated_at, t.api_id, t.extra) is distinct from (excluded.approval_flow_id, excluded.organization_id, excluded.workspace_id, excluded.status, excluded.active_step, excluded.invoker_type, excluded.invoker_id, excluded.object, excluded.previous_object, excluded.tags, excluded.results, excluded.created_at, excluded.updated_at, excluded.api_id, excluded.extra) or t.deleted_at is not null)
        and (coalesce(t.first_read_sent_at, '-infinity') <= @read_sent::timestamptz
          or (t.deleted_at is not null and t.approval_flow_id <> excluded.approval_flow_id))
      returning id, version, (xmax = 0) as inserted, status, active_step, changed_after, approval_flow_id, created_at
    ), stale as (
      -- 5. runs whose stored version this read may not replace: they differ, yet the upsert skipped them
      --    (the read was sent before the one that first showed the stored version, so it may show an
      --    older one; issue 22). Only runs the upsert did not write are looked up: none in a backfill
      select i.id from input i join bird.approval_runs t on t.id = i.id
      where i.id not in (select id from written) and ((t.approval_flow_id, t.organization_id, t.workspace_id, t.status, t.active_step, t.invoker_type, t.invoker_id, t.object, t.previous_object, t.tags, t.results, t.created_at, t.updated_at, t.api_id, t.extra) is distinct from (i.approval_flow_id, i.organization_id, i.workspace_id, i.status, i.active_step, i.invoker_type, i.invoker_id, i.object, i.previous_object, i.tags, i.results, i.created_at, i.updated_at, i.api_id, i.extra) or t.deleted_at is not null)
    ), replaced as (
      -- 6. the stored versions those writes replaced, as this statement's snapshot still shows them, each
      --    looked up by its key (OFFSET 0 keeps the lookup a lookup: flattened, the planner may scan every
      --    pending run per page when its statistics lag a backfill)
      select t.*, w.status as next_status, w.active_step as next_active_step, w.changed_after as next_changed_after
      from written w cross join lateral (
        select * from bird.approval_runs r where r.id = w.id and r.version = w.version - 1 offset 0) as t
      where not w.inserted
    ), superseded as (
      -- 7. each replaced version into the history
      insert into bird.approval_run_history (id, approval_flow_id, organization_id, workspace_id, status, active_step, invoker_type, invoker_id, object, previous_object, tags, results, created_at, updated_at, api_id, extra, deleted_at, version, changed_after, observed_at, superseded_at)
      select t.id, t.approval_flow_id, t.organization_id, t.workspace_id, t.status, t.active_step, t.invoker_type, t.invoker_id, t.object, t.previous_object, t.tags, t.results, t.created_at, t.updated_at, t.api_id, t.extra, t.deleted_at, t.version, t.changed_after, t.observed_at, @read_received::timestamptz
      from replaced t where @history::boolean
      on conflict (id, version) do nothing
    ), stretch as (
      -- 8. a pending run that left its step (for another or a decision): the stretch it spent there
      insert into bird.run_step_times (run_id, flow_id, step, run_created_at, entered_after, entered_before, left_after, left_before)
      select t.id, t.approval_flow_id, t.active_step, t.created_at,
        coalesce(t.step_entered_after, case when t.created_at <= t.observed_at then t.created_at end),
        coalesce(t.step_entered_before, t.observed_at), t.next_changed_after, @read_received::timestamptz
      from replaced t
      where t.status = 'pending' and t.deleted_at is null and t.active_step is not null
        and (t.next_status <> 'pending' or t.next_active_step is distinct from t.active_step)
        -- a run dated in the future has no lower bound to time its steps from: nothing is recorded
        and coalesce(t.step_entered_after, case when t.created_at <= t.observed_at then t.created_at end) is not null
        and t.next_changed_after is not null
      on conflict do nothing
    ), marked as (
      -- 9. the report segments (flow, UTC month) the new runs fall in, for the rollups to refresh; the
      --    triggers of migration 0012 mark what updates and deletions touch (see 0013 for why not inserts)
      insert into bird.report_segments_dirty (flow_id, month)
      select distinct approval_flow_id, bird.utc_month(created_at) from written where inserted
      on conflict (flow_id, month) do update set marked_at = now()
    ), seen as (
      -- 10. the pass's seen set (deletion candidates are what it misses); a run both streams of a
      --    two-ended pass listed is marked 'b', the proof that they met, which survives a restart
      insert into bird.sync_seen as s (flow_id, run_id, side)
      select @flow_id::uuid, id::uuid, @side::text from jsonb_array_elements_text(@listed_ids::jsonb) as l(id)
      where @track_seen and exists (select 1 from lease)
      on conflict (flow_id, run_id) do update set side = 'b' where s.side is distinct from excluded.side
    ), reads as (
      -- 11. when each pending run was last read (sent), for the age-based re-check and as the lower bound
      --    of its next version's window; decided runs need no entry. A stale read proves nothing new.
      insert into bird.run_reads as rr (run_id, last_read_at)
      select id, @read_sent::timestamptz from input where status = 'pending' and id not in (select id from stale)
      on conflict (run_id) do update set last_read_at = greatest(rr.last_read_at, excluded.last_read_at)
    ), settled as (
      delete from bird.run_reads where run_id in (select id from input where status <> 'pending' and id not in (select id from stale))
    ), token as (
      -- 12. the page's token with its createdAt range, to re-list just this stretch later
      insert into bird.page_tokens (flow_id, token, reverse, oldest_created_at, newest_created_at)
      select @flow_id::uuid, @page_token::text, @page_token_reverse, min(created_at), max(created_at)
      from input where @page_token::text is not null having count(*) > 0
      on conflict (flow_id, token) do update set oldest_created_at = excluded.oldest_created_at,
        newest_created_at = excluded.newest_created_at, recorded_at = now()
    ), released as (
      -- 13. runs valid again leave quarantine; the page's invalid records enter it (re-seen: updated in place)
      delete from bird.sync_rejects where flow_id = @flow_id::uuid and fingerprint in (select id::text from input)
    ), quarantined as (
      insert into bird.sync_rejects as q (flow_id, run_id, fingerprint, reason, payload)
      select @flow_id::uuid, run_id, fingerprint, reason, payload
      from jsonb_to_recordset(@rejects::jsonb) as r(run_id text, fingerprint text, reason text, payload text)
      where exists (select 1 from lease)
      on conflict (flow_id, fingerprint) do update
        set reason = excluded.reason, payload = excluded.payload, last_seen_at = now(), times_seen = q.times_seen + 1
    ), counts as (
      select count(*) filter (where inserted)::int as inserted, count(*) filter (where not inserted)::int as updated from written
    ), progress as (
      -- 14. the page's counts into its pass
      update bird.sync_passes set
        pages = pages + @pages, requests = requests + @requests, runs_seen = runs_seen + @seen,
        runs_inserted = runs_inserted + (select inserted from counts),
        runs_updated = runs_updated + (select updated from counts),
        runs_unchanged = runs_unchanged + (select count(*) from input) - (select inserted + updated from counts),
        runs_rejected = runs_rejected + @rejected
      where id = @pass_id and exists (select 1 from lease)
    )
    select exists (select 1 from lease) as leased, inserted, updated, (select count(*) from input)::int as valid from counts