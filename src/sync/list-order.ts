import type { ListOrder } from "./outcome.js";

/**
 * The order a page lists runs in, from createdAt of its records (Bird does not document it).
 * undefined when the page cannot tell (fewer than two distinct timestamps).
 */
export function detectListOrder(records: readonly unknown[]): ListOrder | undefined {
  let prev: number | undefined;
  for (const r of records) {
    const at = Date.parse((r as { createdAt?: unknown })?.createdAt as string);
    if (Number.isNaN(at)) continue;
    if (prev !== undefined && at !== prev) return at > prev ? "asc" : "desc";
    prev = at;
  }
  return undefined;
}
