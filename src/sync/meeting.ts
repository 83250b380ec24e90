// Where the two streams of a two-ended full pass meet. Bird's order is undocumented and its tokens are
// opaque, so the streams are taken to have covered the whole listing only on two proofs together:
//   1. id overlap: a page lists a run the other stream already listed (no assumption about sort keys);
//   2. strict crossing: both streams showed opposite createdAt orders, never contradicted, and each has
//      gone strictly past the other's last createdAt. Runs on one millisecond may come in any order on
//      either side, so touching is not enough: equal instants keep both streams listing.
// Anything less (a mixed order, the same order on both sides, no order shown yet) keeps paging: a stream
// that reaches its own end has listed everything by itself, so "when in doubt, list further" is exact.
import type { ListOrder } from "../model.js";
import { ListOrderTracker } from "./list-order.js";

/** 'f': the stream in the API's default order; 'r': the one listed with `reverse=true`. */
export type Side = "f" | "r";
export type SeenSide = Side | "b";

export const otherSide = (side: Side): Side => (side === "f" ? "r" : "f");

export class Meeting {
  private readonly seen = new Map<string, SeenSide>();
  private overlapped = false;
  private readonly orders = { f: new ListOrderTracker(), r: new ListOrderTracker() };

  /** `restored`: the pass's seen set as bird.sync_seen kept it across a restart (its sides). */
  constructor(restored: Iterable<readonly [string, SeenSide]> = []) {
    for (const [id, side] of restored) {
      this.seen.set(id, side);
      if (side === "b") this.overlapped = true;
    }
  }

  /** Records a page one stream listed; true when the two streams have provably listed everything between them. */
  add(side: Side, ids: readonly string[], records: readonly unknown[]): boolean {
    const other = otherSide(side);
    for (const id of ids) {
      const was = this.seen.get(id);
      if (was === other || was === "b") this.overlapped = true;
      this.seen.set(id, was === undefined || was === side ? side : "b");
    }
    this.orders[side].observe(records);
    return this.met;
  }

  /**
   * Whether this page would make the streams meet if it were added now, changing nothing: a page that
   * will end the pass need not have its next page fetched. (Pages added before it only make it likelier.)
   */
  wouldMeet(side: Side, ids: readonly string[], records: readonly unknown[]): boolean {
    const other = otherSide(side);
    const overlapped = this.overlapped || ids.some((id) => this.seen.get(id) === other || this.seen.get(id) === "b");
    const orders = { ...this.orders, [side]: this.orders[side].copy() };
    orders[side].observe(records);
    return overlapped && crossed(orders.f, orders.r);
  }

  /** How many of these runs neither stream has listed in this pass yet (a pass counts each run once). */
  countNew(ids: readonly string[]): number {
    return ids.filter((id) => !this.seen.has(id)).length;
  }

  /** Whether the stream on `side` has listed this run in this pass (restored sides included). */
  listed(side: Side, id: string): boolean {
    const was = this.seen.get(id);
    return was === side || was === "b";
  }

  get met(): boolean {
    return this.overlapped && crossed(this.orders.f, this.orders.r);
  }

  /**
   * The streams overlap but their orders cannot prove a meeting (one went both ways, or both list the
   * same way: `reverse` is not honoured). The reverse stream should stop; the default one lists on alone.
   * "same-order" tells the caller the API ignores `reverse` for this flow.
   */
  get untrusted(): "mixed" | "same-order" | undefined {
    if (!this.overlapped) return undefined;
    const f = this.orders.f;
    const r = this.orders.r;
    if (f.mixed || r.mixed) return "mixed";
    if (f.order !== undefined && f.order === r.order) return "same-order";
    return undefined;
  }

  /** The default stream's order as shown so far. */
  get forwardOrder(): ListOrder | undefined {
    return this.orders.f.order;
  }
}

/** Opposite orders, never contradicted, and each stream strictly past the other's last createdAt. */
function crossed(f: ListOrderTracker, r: ListOrderTracker): boolean {
  if (f.mixed || r.mixed || f.order === undefined || r.order === undefined || f.order === r.order) return false;
  const fl = f.lastInstant;
  const rl = r.lastInstant;
  if (fl === undefined || rl === undefined) return false;
  return f.order === "desc" ? fl < rl : fl > rl;
}

/**
 * Whether the reverse stream's first page shows `reverse` honoured: its first run is not one the default
 * stream already listed (an ignored flag starts again at the default stream's first page), and the two
 * pages do not show the same createdAt order. undefined: an empty page tells nothing.
 */
export function reverseHonoured(meeting: Meeting, ids: readonly string[], order: ListOrder | undefined): boolean | undefined {
  const first = ids[0];
  if (first === undefined) return undefined;
  if (meeting.listed("f", first)) return false;
  return order === undefined || meeting.forwardOrder === undefined || order !== meeting.forwardOrder;
}
