// One BIRD_MAX_RPS for every process that syncs an organization through one API origin (issue 23,
// DESIGN §5 rule 10). The fleet shares a timeline of request slots, one every `spacing` ms: a process
// claims a few consecutive slots at a time (src/db/request-budget.ts: one atomic statement moves the
// shared "next free slot" past them) and sends each request inside its slot. No two slots of the
// fleet are closer than `spacing`, so no second of the API's arrivals holds more than the cap — as
// long as each request reaches the API within a small margin of its slot: a slot that went by
// unused is dropped, never spent late (see SLOT_LATE_MS).
//
// A Retry-After any process sees is written next to the timeline (blocked_until): nobody's next
// claim starts before it, and every process pauses when its next claim reads it.

/** Slots one claim handed out, in this process's clock (ms since the epoch). */
export interface SlotClaim {
  /** The first slot; the others follow every `spacingMs`. */
  firstAt: number;
  count: number;
  spacingMs: number;
  /** No request before this instant: a Retry-After some process saw (0 = none). */
  blockedUntil: number;
  /** Processes that claimed from this budget in the last few seconds, this one included. */
  claimants: number;
}

/** Where the slot timeline lives: PostgreSQL for the fleet (db/request-budget.ts), memory for one process. */
export interface BudgetStore {
  claim(count: number, spacingMs: number): Promise<SlotClaim>;
  /** Shares a Retry-After: no process of the fleet is handed a slot within the next `ms`. */
  block(ms: number): Promise<void>;
}

/** The timeline of one process alone (tests, and a gate built without a database). */
export class LocalBudgetStore implements BudgetStore {
  private nextAt = 0;
  private blocked = 0;

  async claim(count: number, spacingMs: number): Promise<SlotClaim> {
    const firstAt = Math.max(this.nextAt, Date.now(), this.blocked);
    this.nextAt = firstAt + count * spacingMs;
    return { firstAt, count, spacingMs, blockedUntil: this.blocked, claimants: 1 };
  }

  async block(ms: number): Promise<void> {
    this.blocked = Math.max(this.blocked, Date.now() + ms);
  }
}

// How much later than its slot a request may still go (ms). The cap holds while lateness, the ms a
// slot is rounded up by and the spread of the time from here to the API's counter together stay
// under the gap the spacing leaves (WINDOW_MARGIN_MS in request-gate.ts): 5 + 1 + 44 = 50.
export const SLOT_LATE_MS = 5;

/** How many slots a claim asks for: `want` (the requests this process has going), within [min, max]. */
export interface ClaimSize {
  min: number;
  max: number;
  want: number;
}

/**
 * The slots this process holds. Requests take them in order; when none is left, one claim serves the
 * requests the process has going — each will want a slot again once answered — so a busy process
 * costs the database a statement per round of its flows' requests, and an idle one none. A process
 * with one flow claims few, so the slots it cannot use do not cost the others theirs.
 */
export class RequestSlots {
  private held: number[] = [];
  private claiming: Promise<void> | undefined;
  private waiting = 0;
  private liveClaimants = 1;

  constructor(
    private readonly store: BudgetStore,
    /** A claim read a Retry-After of the fleet that is not over yet. */
    private readonly onBlocked: (until: number) => void,
  ) {}

  /** Processes drawing on the budget lately (1 until the first claim says otherwise). */
  get claimants(): number {
    return this.liveClaimants;
  }

  /** The next slot held that has not gone by; claims when none is. */
  async next(spacingMs: number, size: ClaimSize): Promise<number> {
    this.waiting++;
    try {
      for (;;) {
        const stale = Date.now() - SLOT_LATE_MS;
        while (this.held.length > 0 && (this.held[0] as number) < stale) this.held.shift();
        const slot = this.held.shift();
        if (slot !== undefined) return slot;
        this.claiming ??= this.claimMore(spacingMs, size).finally(() => {
          this.claiming = undefined;
        });
        await this.claiming;
      }
    } finally {
      this.waiting--;
    }
  }

  private async claimMore(spacingMs: number, size: ClaimSize): Promise<void> {
    const count = Math.max(size.min, Math.min(size.max, Math.max(size.want, this.waiting)));
    const c = await this.store.claim(count, spacingMs);
    this.liveClaimants = Math.max(1, c.claimants);
    if (c.blockedUntil > Date.now()) this.onBlocked(c.blockedUntil);
    // Whole milliseconds (timers have no finer grain), rounded up: never before the slot.
    for (let i = 0; i < c.count; i++) this.held.push(Math.ceil(c.firstAt + i * c.spacingMs));
  }
}
