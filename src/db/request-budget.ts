// bird.request_budget: the slot timeline every process syncing one organization through one API origin
// draws its requests from (src/bird/request-budget.ts explains the slots). One row per budget; a claim
// and a Retry-After are one statement each, atomic on that row, so two processes can never be handed
// the same stretch of time.
import { sql } from "drizzle-orm";
import type { Logger } from "pino";
import type { BudgetStore, SlotClaim } from "../bird/request-budget.js";
import type { SqlRunner } from "./database.js";

/** A process counts as drawing on the budget this long after its last claim (ms). */
const CLAIMANT_WINDOW_MS = 5000;
/** How long a clock-offset measurement is trusted before a slower round trip may replace it (ms). */
const OFFSET_TRUST_MS = 30_000;

export interface BudgetKey {
  organizationId: string;
  /** The API's origin (scheme, host, port): what counts arrivals. */
  apiOrigin: string;
  /** This process (lease owner id), as a claimant. */
  owner: string;
}

interface ClaimRow {
  nextMs: number;
  blockedMs: number | null;
  claimants: number;
  nowMs: number;
}

/**
 * Slots are instants on the database's clock, the one clock the fleet shares; each process converts
 * them to its own with the offset measured on its fastest recent claim (error: half that round trip).
 */
export class PgBudgetStore implements BudgetStore {
  private offset = { ms: 0, rttMs: Number.POSITIVE_INFINITY, at: 0 };

  constructor(
    private readonly db: SqlRunner,
    private readonly key: BudgetKey,
    private readonly logger: Logger,
  ) {}

  async claim(count: number, spacingMs: number): Promise<SlotClaim> {
    const { organizationId, apiOrigin, owner } = this.key;
    const span = count * spacingMs;
    const sent = Date.now();
    // statement_timestamp(): one instant for the whole statement, the one the slots are counted from.
    const [row] = await this.db.rows<ClaimRow>(
      sql`
      insert into bird.request_budget as b (organization_id, api_origin, next_slot_at, claimants)
      values (${organizationId}, ${apiOrigin}, statement_timestamp() + ${span}::float8 * interval '1 millisecond',
              jsonb_build_object(${owner}::text, extract(epoch from statement_timestamp()) * 1000))
      on conflict (organization_id, api_origin) do update set
        -- the stretch after every slot handed out, after any Retry-After, never in the past
        next_slot_at = greatest(b.next_slot_at, statement_timestamp(), coalesce(b.blocked_until, '-infinity'))
                       + ${span}::float8 * interval '1 millisecond',
        -- who claimed lately (owner -> ms), pruned here: the fleet's size without a table of its own
        claimants = (select coalesce(jsonb_object_agg(c.key, c.value), '{}'::jsonb)
                     from jsonb_each(b.claimants || excluded.claimants) as c
                     where c.value::float8 > extract(epoch from statement_timestamp()) * 1000 - ${CLAIMANT_WINDOW_MS}),
        updated_at = statement_timestamp()
      returning extract(epoch from next_slot_at)::float8 * 1000 as "nextMs",
        extract(epoch from blocked_until)::float8 * 1000 as "blockedMs",
        (select count(*)::int from jsonb_object_keys(claimants)) as claimants,
        extract(epoch from statement_timestamp())::float8 * 1000 as "nowMs"`,
      { prepare: "claim_budget" },
    );
    const received = Date.now();
    const r = row as ClaimRow;
    this.learnOffset(r.nowMs, sent, received);
    const toLocal = (dbMs: number) => dbMs - this.offset.ms;
    return {
      firstAt: toLocal(Number(r.nextMs) - span),
      count,
      spacingMs,
      blockedUntil: r.blockedMs === null ? 0 : toLocal(Number(r.blockedMs)),
      claimants: Number(r.claimants),
    };
  }

  async block(ms: number): Promise<void> {
    const { organizationId, apiOrigin } = this.key;
    try {
      await this.db.rows(sql`
        insert into bird.request_budget as b (organization_id, api_origin, next_slot_at, blocked_until)
        values (${organizationId}, ${apiOrigin}, statement_timestamp(), statement_timestamp() + ${ms}::float8 * interval '1 millisecond')
        on conflict (organization_id, api_origin) do update set
          blocked_until = greatest(coalesce(b.blocked_until, '-infinity'), excluded.blocked_until),
          updated_at = statement_timestamp()`);
    } catch (err) {
      // This process pauses anyway; the others learn of the limit from their own 429s.
      this.logger.warn({ err: (err as Error).message }, "could not share a Retry-After pause through bird.request_budget");
    }
  }

  private learnOffset(dbNowMs: number, sent: number, received: number): void {
    const rtt = received - sent;
    if (rtt <= this.offset.rttMs || received - this.offset.at > OFFSET_TRUST_MS) {
      this.offset = { ms: Number(dbNowMs) - (sent + received) / 2, rttMs: rtt, at: received };
    }
  }
}
