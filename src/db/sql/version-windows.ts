// What the page statement (write-runs-page.ts) keeps on a run's row besides its values (issues 22, 26):
// the window of the version it writes, and the windows reports read without walking the history: one
// per element of `results` (when each decision was made), one for leaving `pending`, one for entering
// the current stretch on `active_step`. On an update `t` is the stored row and `excluded` the new one;
// a window carries over while what it dates is unchanged, else it is the new version's. A run written
// for the first time keeps every window NULL, which means "after created_at, by observed_at" (what a
// first read proves; the views and decision_instant() read NULL that way, and it costs a backfill no
// bytes); the first update spells such windows out as it carries them over. A lower bound is
// created_at only when that is before the read: a run dated in the future says nothing about when it
// changed (NULL: unknown).

/**
 * The new version's lower bound: the last read that showed the stored version (the read that first
 * showed it, or a later one of a pending run); a run back from another flow changed after the last
 * read that showed it live (a 404 under one flow proves nothing about another). created_at when no
 * read is known (rows stored before the history).
 */
export const CHANGED_AFTER = `coalesce(case when t.deleted_at is not null and t.approval_flow_id <> excluded.approval_flow_id
          then t.changed_after
          else greatest(t.first_read_sent_at, (select rr.last_read_at from bird.run_reads rr where rr.run_id = t.id)) end,
        (case when t.created_at <= @read_sent::timestamptz then t.created_at end))`;

const RECEIVED = "@read_received::timestamptz";
const ELEMENTS = (r: string) =>
  `generate_series(1, case when jsonb_typeof(${r}results) = 'array' then jsonb_array_length(${r}results) else 0 end) as g(i)`;
const SAME_ELEMENT = "t.results -> (i - 1) = excluded.results -> (i - 1)";
const SAME_STRETCH = "t.status = 'pending' and t.deleted_at is null and t.active_step is not distinct from excluded.active_step";
const STORED_FROM = "(case when t.created_at <= t.observed_at then t.created_at end)";
const STORED_PIN = `case when t.updated_at between ${STORED_FROM} and t.observed_at then t.updated_at end`;
const PIN = `case when excluded.updated_at between ${CHANGED_AFTER} and ${RECEIVED} then excluded.updated_at end`;

/** Each window as the stored row `t` holds it, spelled out: NULL there means after created_at, by observed_at. */
const CARRIED = {
  decisionAfter: `coalesce(t.decision_after[i], ${STORED_FROM})`,
  decisionBefore: "coalesce(t.decision_before[i], t.observed_at)",
  decisionAt: `case when t.decision_after is null then ${STORED_PIN} else t.decision_at[i] end`,
  decidedAfter: `coalesce(t.decided_after, ${STORED_FROM})`,
  decidedBefore: "coalesce(t.decided_before, t.observed_at)",
  decidedAt: `case when t.decided_before is null then ${STORED_PIN} else t.decided_at end`,
  stepAfter: `coalesce(t.step_entered_after, ${STORED_FROM})`,
  stepBefore: "coalesce(t.step_entered_before, t.observed_at)",
};

/**
 * The SET list of a version that keeps the run's values, a deletion (db/runs.ts markRunDeleted): every
 * window carried over, spelled out. A deletion moves observed_at to its 404, so a NULL window ("by
 * observed_at") left as it is would end at the 404 instead of at the read that first showed the run,
 * and the version after it (the run back, or the deletion withdrawn) would carry that on.
 */
export const WINDOWS_CARRIED = `decision_after = array(select ${CARRIED.decisionAfter} from ${ELEMENTS("t.")} order by i),
        decision_before = array(select ${CARRIED.decisionBefore} from ${ELEMENTS("t.")} order by i),
        decision_at = array(select ${CARRIED.decisionAt} from ${ELEMENTS("t.")} order by i),
        decided_after = case when t.status <> 'pending' then ${CARRIED.decidedAfter} end,
        decided_before = case when t.status <> 'pending' then ${CARRIED.decidedBefore} end,
        decided_at = case when t.status <> 'pending' then ${CARRIED.decidedAt} end,
        step_entered_after = case when t.status = 'pending' then ${CARRIED.stepAfter} end,
        step_entered_before = case when t.status = 'pending' then ${CARRIED.stepBefore} end`;

/** The SET list of a new version of a stored run: its window, and the windows it carries over. */
export const WINDOWS_ON_UPDATE = `changed_after = ${CHANGED_AFTER},
        decision_after = array(select case when ${SAME_ELEMENT} then ${CARRIED.decisionAfter}
          else ${CHANGED_AFTER} end from ${ELEMENTS("excluded.")} order by i),
        decision_before = array(select case when ${SAME_ELEMENT} then ${CARRIED.decisionBefore}
          else ${RECEIVED} end from ${ELEMENTS("excluded.")} order by i),
        decision_at = array(select case when ${SAME_ELEMENT} then ${CARRIED.decisionAt}
          else ${PIN} end from ${ELEMENTS("excluded.")} order by i),
        decided_after = case when excluded.status = 'pending' then null
          when t.status <> 'pending' then ${CARRIED.decidedAfter} else ${CHANGED_AFTER} end,
        decided_before = case when excluded.status = 'pending' then null
          when t.status <> 'pending' then ${CARRIED.decidedBefore} else ${RECEIVED} end,
        decided_at = case when excluded.status = 'pending' then null
          when t.status <> 'pending' then ${CARRIED.decidedAt} else ${PIN} end,
        step_entered_after = case when excluded.status <> 'pending' then null
          when ${SAME_STRETCH} then ${CARRIED.stepAfter} else ${CHANGED_AFTER} end,
        step_entered_before = case when excluded.status <> 'pending' then null
          when ${SAME_STRETCH} then ${CARRIED.stepBefore} else ${RECEIVED} end`;
