// bird.page_tokens: where a full listing's pages began, so a stretch dense with due re-checks can be
// re-listed from its token (issue 13), and what Bird did with such reuses (the cost model's evidence).
import { sql } from "drizzle-orm";
import type { SqlRunner } from "./database.js";

export interface StoredPage {
  token: string;
  reverse: boolean;
  /** The page's createdAt range in µs since the epoch, as stored (exact: numeric arithmetic). */
  oldestUs: number;
  newestUs: number;
}

/** A listing from page one replaces what the last one stored. */
export async function forgetPageTokens(tx: SqlRunner, flowId: string): Promise<void> {
  await tx.rows(sql`delete from bird.page_tokens where flow_id = ${flowId}::uuid`);
}

export async function storedPages(db: SqlRunner, flowId: string): Promise<StoredPage[]> {
  return db.rows<StoredPage>(sql`
    select token, reverse, (extract(epoch from oldest_created_at) * 1000000)::float8 as "oldestUs",
      (extract(epoch from newest_created_at) * 1000000)::float8 as "newestUs"
    from bird.page_tokens where flow_id = ${flowId}::uuid order by oldest_created_at`);
}

export interface TokenRecord {
  reuses: number;
  refusals: number;
}

/** Adds a pass's reuse outcomes (a refused token is dropped) and returns the flow's totals. */
export async function recordTokenReuse(db: SqlRunner, flowId: string, reused: number, refused: readonly string[]): Promise<TokenRecord> {
  if (refused.length > 0) {
    await db.rows(sql`
      delete from bird.page_tokens
      where flow_id = ${flowId}::uuid and token in (select jsonb_array_elements_text(${JSON.stringify(refused)}::jsonb))`);
  }
  const [row] = await db.rows<TokenRecord>(sql`
    update bird.sync_state set token_reuses = token_reuses + ${reused}, token_refusals = token_refusals + ${refused.length}
    where flow_id = ${flowId}::uuid returning token_reuses as reuses, token_refusals as refusals`);
  return row ?? { reuses: 0, refusals: 0 };
}

export async function tokenRecord(db: SqlRunner, flowId: string): Promise<TokenRecord> {
  const [row] = await db.rows<TokenRecord>(sql`
    select token_reuses as reuses, token_refusals as refusals from bird.sync_state where flow_id = ${flowId}::uuid`);
  return row ?? { reuses: 0, refusals: 0 };
}
