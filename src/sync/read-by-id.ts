// Runs read one by one with GET-by-id, spelled as Bird sent them: the re-check of pending runs, and the
// second proof a deletion needs (exactness rule 5). Each answer is checked against its request (the id
// and flow asked for); a 404 proves the run gone and is marked in the transaction of its batch.
import pLimit from "p-limit";
import { AbortedError } from "../errors.js";
import { RecordTexts } from "../bird/record-texts.js";
import { recordUuid } from "../bird/schema.js";
import { type OpenRun, deletionCandidates, markRunDeleted } from "../db/runs.js";
import { addPassProgress, passStartedAt } from "../db/state.js";
import type { SyncContext } from "./context.js";
import { type PageProgress, addProgress, emptyProgress, timedRead } from "../model.js";
import { checkPage } from "./page-check.js";
import type { PassWriter } from "./pass-writer.js";

const GET_BATCH = 100;

export interface ReadByIdOptions {
  flowId: string;
  /** The pass's writer (a full pass adds what it read to its seen set, like a listed page). */
  writer: PassWriter;
  signal: AbortSignal;
}

export interface ReadByIdResult {
  totals: PageProgress;
  /** Runs Bird answered with themselves (200, the run asked for): they are live. */
  live: number;
}

/** GETs the runs in batches, one transaction per batch: answers written, 404s marked deleted. */
export async function readRunsById(ctx: SyncContext, runs: readonly OpenRun[], o: ReadByIdOptions): Promise<ReadByIdResult> {
  const { settings, client } = ctx;
  const { flowId, writer, signal } = o;
  const totals = emptyProgress();
  let live = 0;
  const limit = pLimit(Math.max(1, Math.min(8, settings.concurrency)));
  for (let i = 0; i < runs.length; i += GET_BATCH) {
    const batch = runs.slice(i, i + GET_BATCH);
    const meter = { requests: 0 };
    const { value: fetched, read } = await timedRead(() =>
      Promise.all(batch.map((run) => limit(async () => ({ run, answer: await client.getRun(flowId, run.apiId, { signal, meter }) })))),
    );
    if (signal.aborted) throw new AbortedError("stopped before writing fetched runs");
    const found = fetched.flatMap((f) => (f.answer === null ? [] : [{ asked: f.run.apiId, ...f.answer }]));
    live += found.filter((f) => recordUuid(f.record) === f.asked.toLowerCase()).length;
    const gone = fetched.filter((f) => f.answer === null).map((f) => f.run.id);
    const page = checkPage(
      found.map((a) => a.record),
      RecordTexts.of(found.map((a) => a.text)),
      { flowId, runIds: found.map((a) => a.asked) },
    );
    const progress = await writer.write(page, { requests: meter.requests, pages: 0, read }, async (tx, p) => {
      const proof = { read: await writer.onDbClock(tx, read), history: ctx.settings.runHistory };
      for (const id of gone) p.deleted += await markRunDeleted(tx, flowId, id, proof);
      if (p.deleted > 0) await addPassProgress(tx, writer.passId, { ...emptyProgress(), deleted: p.deleted });
    });
    addProgress(totals, progress);
  }
  return { totals, live };
}

/**
 * Exactness rule 5, once a full listing from page one is complete: a stored run it did not show is only
 * a candidate; a GET of it answering 404 deletes it, one answering with the run keeps it live and counts
 * a listing that skipped a live run (Bird's paging is unstable). One GET per candidate; deletions are
 * rare. `listedNow`: the ids of the last page, not yet in the seen set.
 */
export async function proveDeletions(ctx: SyncContext, o: ReadByIdOptions, listedNow: readonly string[]): Promise<PageProgress> {
  const { db } = ctx;
  const started = await passStartedAt(db, o.flowId);
  const candidates = started === null ? [] : await deletionCandidates(db, o.flowId, started, listedNow);
  if (candidates.length === 0) return emptyProgress();
  const read = await readRunsById(ctx, candidates, o);
  if (read.live > 0) {
    const skipped = { ...emptyProgress(), skippedLive: read.live };
    await addPassProgress(db, o.writer.passId, skipped);
    ctx.observer.pageCommitted?.(o.flowId, "full", skipped);
    ctx.logger.warn(
      { flowId: o.flowId, passId: o.writer.passId, skippedLive: read.live, candidates: candidates.length },
      "the completed listing skipped runs that Bird still has (unstable paging); they were read by id and stay live",
    );
  }
  return { ...read.totals, skippedLive: read.live };
}
