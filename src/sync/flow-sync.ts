// Works one flow: takes its lease, picks the pass (resume, full or incremental), runs it, and turns
// what went wrong into the flow's outcome. One flow's failure never stops the others; a rejected key does.
import {
  FlowNotFoundError,
  LeaseLostError,
  PageTokenRejectedError,
  RateLimitedError,
  errorMessage,
  isAbortError,
  stopsEveryFlow,
} from "../errors.js";
import { clearFlowMissing } from "../db/flows.js";
import {
  claimFlowLease,
  finishPass,
  markFlowMissing,
  readLeaseOwner,
  readOpenPassId,
  releaseFlowLease,
  renewFlowLease,
} from "../db/state.js";
import type { SyncContext } from "./context.js";
import { acquireFlowLease } from "./lease.js";
import { type PassResult, beginFullPass, runFullPass } from "./full-pass.js";
import type { FlowOutcome, FlowResult } from "./outcome.js";
import { type FlowState, type PassKind, emptyProgress } from "../model.js";
import { NewestFirstUnavailable, runIncrementalPass } from "./incremental-pass.js";

export interface FlowSyncOptions {
  /** Force a full reconcile (`--full`, `backfill`). */
  full: boolean;
  /** Daemon: skip flows whose backoff after failures has not run out. */
  respectBackoff: boolean;
  signal: AbortSignal;
}

// A stored token Bird rejects restarts the pass; tokens that keep expiring get a few more tries.
const MAX_TOKEN_RESTARTS = 3;

function wantsFullPass(state: FlowState, opts: FlowSyncOptions, fullEveryMs: number): boolean {
  if (opts.full || state.passKind === "full" || state.lastFullPassAt === null) return true;
  return Date.now() - Date.parse(state.lastFullPassAt) >= fullEveryMs;
}

export async function syncFlow(ctx: SyncContext, flowId: string, opts: FlowSyncOptions): Promise<FlowResult> {
  const started = Date.now();
  const result = (outcome: FlowOutcome, extra: Partial<FlowResult> = {}): FlowResult => ({
    flowId,
    outcome,
    totals: emptyProgress(),
    durationMs: Date.now() - started,
    ...extra,
  });
  const leased = await acquireFlowLease(ctx.db, flowId, ctx.owner, ctx.settings.leaseTtlMs);
  // The database keys flows by uuid; requests use the id as Bird (or the operator) spelled it.
  const state = leased && { ...leased, flowId };
  if (!state) {
    const holder = (await readLeaseOwner(ctx.db, flowId)) ?? "another process";
    const error = `flow ${flowId} is being synced by ${holder}; not synced by this run`;
    const warned = ctx.heldFlowsWarned?.has(flowId) === true;
    ctx.heldFlowsWarned?.add(flowId);
    ctx.logger[warned ? "debug" : "warn"]({ flowId, holder }, "flow is being synced by another process; skipped");
    return result("skipped-leased", { error });
  }
  try {
    if (opts.respectBackoff && state.nextAttemptAt && Date.parse(state.nextAttemptAt) > Date.now()) {
      return result("skipped-backoff", { error: `backing off after ${state.consecutiveFailures} failures until ${state.nextAttemptAt}` });
    }
    return await withLeaseHeartbeat(ctx, flowId, opts.signal, (signal) => runPasses(ctx, state, { ...opts, signal }, started));
  } finally {
    await releaseFlowLease(ctx.db, flowId, ctx.owner).catch((err) =>
      ctx.logger.warn({ flowId, err: errorMessage(err) }, "could not release the flow lease; it expires by itself"),
    );
  }
}

async function runPasses(ctx: SyncContext, state: FlowState, opts: FlowSyncOptions, started: number): Promise<FlowResult> {
  const { logger } = ctx;
  const flowId = state.flowId;
  let kind: PassKind = wantsFullPass(state, opts, ctx.settings.fullEveryMs) ? "full" : "incremental";
  let restarts = 0;
  let passId: number | undefined;
  // What this run wrote, across restarts, reported even when it ends interrupted or failed.
  const totals = emptyProgress();
  for (;;) {
    try {
      let res: PassResult;
      if (kind === "incremental") {
        res = await runIncrementalPass(ctx, state, opts.signal, totals);
      } else {
        const begun = await beginFullPass(ctx, state, restarts > 0);
        passId = begun.passId;
        res = await runFullPass(ctx, state, begun, opts.signal, totals);
        if (begun.resumed) {
          // A resumed pass never saw what was created at the top of the list since it began: an
          // incremental pass right after it brings those in (and re-reads what is still pending).
          logger.info({ flowId, passId: res.passId }, "resumed full pass completed; listing what was created since it began");
          const fresh = await claimFlowLease(ctx.db, flowId, ctx.owner, ctx.settings.leaseTtlMs);
          if (!fresh) throw new LeaseLostError(`lost the lease on flow ${flowId} to another process`);
          res = { ...(await runIncrementalPass(ctx, { ...fresh, flowId }, opts.signal, totals)), totals };
        }
      }
      await clearFlowMissing(ctx.db, flowId);
      const durationMs = Date.now() - started;
      ctx.observer.passFinished?.(flowId, kind, "completed", durationMs);
      logger.info({ flowId, kind, passId: res.passId, ...res.totals, durationMs }, `${kind} pass completed`);
      return { flowId, outcome: "completed", kind, totals: res.totals, durationMs };
    } catch (err) {
      if (err instanceof LeaseLostError || opts.signal.reason instanceof LeaseLostError) {
        // Another process holds the flow now and owns its pass history: touch nothing.
        logger.warn({ flowId, kind }, "lost the flow's lease to another process; leaving the flow to it");
        return { flowId, outcome: "skipped-leased", kind, totals, durationMs: Date.now() - started };
      }
      const currentPass = await currentPassId(ctx, flowId, passId);
      if (err instanceof NewestFirstUnavailable && kind === "incremental") {
        await closePass(ctx, flowId, currentPass, kind, "interrupted", err.message);
        logger.info({ flowId, reason: err.message }, "running a full pass instead of an incremental one");
        kind = "full";
        continue;
      }
      if (err instanceof PageTokenRejectedError && restarts < MAX_TOKEN_RESTARTS) {
        restarts++;
        await closePass(ctx, flowId, currentPass, kind, "interrupted", `${err.message}; restarting the pass from the first page`);
        logger.warn({ flowId, restarts }, "stored page token rejected; restarting the pass from the first page");
        continue;
      }
      return endPassOnError(ctx, err, { flowId, kind, passId: currentPass, totals, durationMs: Date.now() - started, signal: opts.signal });
    }
  }
}

interface FailedPass {
  flowId: string;
  kind: PassKind;
  passId: number | undefined;
  totals: FlowResult["totals"];
  durationMs: number;
  signal: AbortSignal;
}

/** An error no restart answers: the flow's outcome (interrupted, missing, failed), or a rethrow that stops every flow. */
async function endPassOnError(ctx: SyncContext, err: unknown, p: FailedPass): Promise<FlowResult> {
  const { flowId, kind, totals, durationMs } = p;
  if (stopsEveryFlow(err)) {
    // The cycle writes the message to last_error of every flow it stopped, this one included.
    await closePass(ctx, flowId, p.passId, kind, "interrupted", err.message);
    throw err;
  }
  if (isAbortError(err) || p.signal.aborted) {
    // Another flow's rejected key aborts this one: its pass history says so, not "stopped by signal".
    const why = stopsEveryFlow(p.signal.reason)
      ? p.signal.reason.message
      : "stopped by signal; the next run resumes from the committed cursor";
    await closePass(ctx, flowId, p.passId, kind, "interrupted", why);
    ctx.observer.passFinished?.(flowId, kind, "interrupted", durationMs);
    return { flowId, outcome: "interrupted", kind, totals, durationMs };
  }
  const message = errorMessage(err);
  // Rate limited past SYNC_MAX_RETRY_AFTER: the daemon leaves the flow alone until Bird's pause is over.
  await closePass(ctx, flowId, p.passId, kind, "failed", message, err instanceof RateLimitedError ? err.until : undefined);
  ctx.observer.passFinished?.(flowId, kind, "failed", durationMs);
  if (err instanceof FlowNotFoundError) {
    // The flow's outcome is "missing" either way; a failed write only hides it from `status`, so say so.
    await markFlowMissing(ctx.db, flowId, message).catch((markErr) =>
      ctx.logger.warn({ flowId, err: errorMessage(markErr) }, "could not record the flow as missing"),
    );
    ctx.logger.error(
      { flowId, err: message },
      `flow not found; marked missing (if it is gone for good, \`approvals-sync forget --flow ${flowId}\` removes it)`,
    );
    return { flowId, outcome: "missing", kind, totals, durationMs, error: message };
  }
  ctx.logger.error({ flowId, kind, err: message }, `${kind} pass failed; the cursor is kept and the next run resumes`);
  return { flowId, outcome: "failed", kind, totals, durationMs, error: message };
}

async function currentPassId(ctx: SyncContext, flowId: string, known: number | undefined): Promise<number | undefined> {
  const open = await readOpenPassId(ctx.db, flowId, ctx.owner).catch((err) => {
    // Falling back to the pass this run began is safe; the log says why the newer one was not read.
    ctx.logger.warn({ flowId, err: errorMessage(err) }, "could not read the flow's open pass");
    return undefined;
  });
  return open ?? known;
}

async function closePass(
  ctx: SyncContext,
  flowId: string,
  passId: number | undefined,
  kind: PassKind,
  outcome: "interrupted" | "failed",
  error: string,
  notBefore?: number,
): Promise<void> {
  if (passId === undefined) return;
  try {
    await ctx.db.transaction((tx) => finishPass(tx, { flowId, passId, owner: ctx.owner, kind, outcome, error, notBefore }));
  } catch (err) {
    ctx.logger.warn({ flowId, err: errorMessage(err) }, "could not record the pass outcome");
  }
}

/** Keeps the lease alive while a page waits on slow retries; losing it aborts this flow only. */
async function withLeaseHeartbeat<T>(
  ctx: SyncContext,
  flowId: string,
  parent: AbortSignal,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const onParentAbort = () => controller.abort(parent.reason);
  parent.addEventListener("abort", onParentAbort, { once: true });
  const timer = setInterval(
    () => {
      renewFlowLease(ctx.db, flowId, ctx.owner, ctx.settings.leaseTtlMs).then(
        (held) => {
          if (held) return;
          ctx.logger.warn({ flowId }, "lost the lease to another process; stopping this flow");
          controller.abort(new LeaseLostError(`lost the lease on flow ${flowId} to another process`));
        },
        (err) => ctx.logger.warn({ flowId, err: errorMessage(err) }, "lease renewal failed; retrying at the next renewal"),
      );
    },
    Math.max(1000, ctx.settings.leaseTtlMs / 3),
  );
  timer.unref();
  try {
    return await fn(controller.signal);
  } finally {
    clearInterval(timer);
    parent.removeEventListener("abort", onParentAbort);
  }
}
