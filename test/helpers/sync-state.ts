// How far the sync got, read from its own tables.
import { query } from "./db.js";

/** Pages committed by every pass so far. */
export async function committedPages(url: string): Promise<number> {
  const [row] = await query<{ n: number }>(url, "select coalesce(sum(pages), 0)::int as n from bird.sync_passes");
  return row!.n;
}

/** Whether at least `n` flows have completed a full pass. */
export async function flowsCompleted(url: string, n: number): Promise<boolean> {
  const [row] = await query<{ done: number }>(url, "select count(*)::int as done from bird.sync_state where last_full_pass_at is not null");
  return row!.done >= n;
}
