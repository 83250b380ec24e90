// Keyset paging over a sorted listing, including the paging faults (duplicate across pages, one empty page).
import { type Keyed, lowerBound, upperBound } from "./entries.js";
import type { TokenPayload } from "./tokens.js";

export interface PageRequest {
  desc: boolean;
  cursor: TokenPayload | undefined;
  limit: number;
  /** Repeat the previous page's last item first (when it still exists and limit allows progress). */
  duplicate: boolean;
  /** Cut a page boundary at the middle of the listing and serve one empty page there. */
  emptyPage: boolean;
}

export interface PagePlan<T> {
  items: T[];
  hasMore: boolean;
  /** This is the injected empty page: the next token keeps the cursor's key. */
  injectedEmpty: boolean;
}

/** Items strictly after the cursor in the requested direction, so inserts/deletes between pages skip nothing. */
export function planPage<T extends Keyed>(all: readonly T[], req: PageRequest): PagePlan<T> {
  const len = all.length;
  const { cursor, desc } = req;
  // Position (in listing direction) of the first item after the cursor.
  const p = !cursor ? 0 : desc ? len - lowerBound(all, cursor.ms, cursor.key) : upperBound(all, cursor.ms, cursor.key);
  const at = (q: number): T => (desc ? all[len - 1 - q] : all[q]) as T;
  const mid = len >> 1;
  const emptyPending = req.emptyPage && !cursor?.emptyDone && len >= 2;
  if (emptyPending && cursor && p === mid) return { items: [], hasMore: true, injectedEmpty: true };

  const items: T[] = [];
  if (req.duplicate && cursor && req.limit > 1 && p > 0) {
    const previous = at(p - 1);
    if (previous.ms === cursor.ms && previous.key === cursor.key) items.push(previous);
  }
  let count = Math.min(req.limit - items.length, len - p);
  if (emptyPending && p < mid && p + count > mid) count = mid - p;
  for (let q = p; q < p + count; q++) items.push(at(q));
  return { items, hasMore: p + count < len, injectedEmpty: false };
}

export interface ListQuery {
  limit: number;
  reverse: boolean;
  pageToken: string | undefined;
}

/** Parses limit/reverse/pageToken; a string result is the 400 message. */
export function parseListQuery(params: URLSearchParams, maxLimit: number): ListQuery | string {
  const rawLimit = params.get("limit");
  let limit = 10;
  if (rawLimit !== null) {
    if (!/^\d+$/.test(rawLimit)) return `limit must be an integer between 1 and ${maxLimit}`;
    limit = Number(rawLimit);
    if (limit < 1 || limit > maxLimit) return `limit must be an integer between 1 and ${maxLimit}`;
  }
  const rawReverse = params.get("reverse");
  let reverse = false;
  if (rawReverse !== null) {
    const lowered = rawReverse.toLowerCase();
    if (lowered !== "true" && lowered !== "false") return "reverse must be true or false";
    reverse = lowered === "true";
  }
  const token = params.get("pageToken");
  return { limit, reverse, pageToken: token === null || token === "" ? undefined : token };
}
