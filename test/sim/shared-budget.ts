// Issue 23 in the simulation: the "pair" sync's two workers draw their requests from one request budget
// in the database, as two processes of a fleet do, so the exactness checks also run with the budget's
// claims, shared slots and slots lost in the way.
import pino from "pino";
import type { CallContext, Upstream } from "../../src/bird/client.js";
import { RequestGate } from "../../src/bird/request-gate.js";
import type { SqlRunner } from "../../src/db/database.js";
import { PgBudgetStore } from "../../src/db/request-budget.js";

const silent = pino({ level: "silent" });

/** `upstream` behind a gate of its own that shares the budget of organization "sim" with every other. */
export function budgetedUpstream(upstream: Upstream, db: SqlRunner, owner: string, maxRps: number): Upstream {
  const store = new PgBudgetStore(db, { organizationId: "sim", apiOrigin: "http://model.invalid", owner }, silent);
  const gate = new RequestGate(maxRps, Number.POSITIVE_INFINITY, store);
  const through = async <T>(ctx: CallContext | undefined, call: () => Promise<T>): Promise<T> => {
    await gate.acquire(ctx?.signal);
    try {
      const answer = await call();
      gate.onAnswered(200);
      return answer;
    } catch (err) {
      gate.onUnanswered();
      throw err;
    } finally {
      gate.release();
    }
  };
  return {
    listRuns: (flowId, page, ctx) => through(ctx, () => upstream.listRuns(flowId, page, ctx)),
    getRun: (flowId, runId, ctx) => through(ctx, () => upstream.getRun(flowId, runId, ctx)),
    listFlows: (ctx, limit, status) => through(ctx, () => upstream.listFlows(ctx, limit, status)),
  };
}
