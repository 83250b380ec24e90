import { earliestSentMs, instantMs } from "../bird/date-time.js";
import type { ListOrder } from "../model.js";

/**
 * The order a listing returns runs in, from the createdAt of its records across pages (Bird does not
 * document it). Only an order the listing has shown, and never contradicted, counts: a first page of
 * equal timestamps, or an API that ignores `reverse`, leaves it undecided or mixed, never guessed.
 */
export class ListOrderTracker {
  private last: number | undefined;
  private sawAsc = false;
  private sawDesc = false;

  observe(records: readonly unknown[]): void {
    for (const r of records) {
      const at = instantMs((r as { createdAt?: unknown } | null)?.createdAt);
      if (Number.isNaN(at)) continue;
      if (this.last !== undefined && at !== this.last) {
        if (at > this.last) this.sawAsc = true;
        else this.sawDesc = true;
      }
      this.last = at;
    }
  }

  /** The order shown so far; undefined while undecided or when the listing went both ways. */
  get order(): ListOrder | undefined {
    if (this.sawAsc === this.sawDesc) return undefined;
    return this.sawAsc ? "asc" : "desc";
  }

  copy(): ListOrderTracker {
    const t = new ListOrderTracker();
    t.last = this.last;
    t.sawAsc = this.sawAsc;
    t.sawDesc = this.sawDesc;
    return t;
  }

  /** The createdAt of the last record whose createdAt parses, in ms. */
  get lastInstant(): number | undefined {
    return this.last;
  }

  /** The listing went both ways: no order can be trusted for stopping early. */
  get mixed(): boolean {
    return this.sawAsc && this.sawDesc;
  }
}

/** The order of one page on its own (undefined when it cannot tell). */
export function detectListOrder(records: readonly unknown[]): ListOrder | undefined {
  const t = new ListOrderTracker();
  t.observe(records);
  return t.order;
}

/** The oldest createdAt on a page, in ms (undefined when none parses). */
export function oldestInstant(records: readonly unknown[]): number | undefined {
  let oldest: number | undefined;
  for (const r of records) {
    const at = instantMs((r as { createdAt?: unknown } | null)?.createdAt);
    if (!Number.isNaN(at) && (oldest === undefined || at < oldest)) oldest = at;
  }
  return oldest;
}

/**
 * Whether a page lists a run created before `storedUs`, a created_at as PostgreSQL holds it (µs), in
 * the listing's order: only when its oldest run's millisecond is below every millisecond the stored
 * run can have been sent in. Runs within one millisecond may come in any order (Bird's keyset is
 * millisecond-and-id), and PostgreSQL may have rounded the stored value up into the next millisecond
 * (`.1239996` is stored `.124000`): neither may end a listing above a run Bird lists as newer (issue 20).
 */
export function listsOlderThan(records: readonly unknown[], storedUs: number): boolean {
  return (oldestInstant(records) ?? Number.POSITIVE_INFINITY) < earliestSentMs(storedUs);
}
