// One pass's writer: every page of the pass goes through it, one atomic statement each (DESIGN §5):
// valid runs upserted, invalid ones quarantined, the cursor advanced and the lease renewed, all or
// nothing, so a crash at any instant loses and duplicates nothing. What is the same for every page
// (flow, owner, lease TTL, pass) is given once; a page brings only what changes.
import { rejectOf } from "../bird/schema.js";
import { dbClock } from "../db/clock.js";
import { type Database, type SqlRunner, inSavepoint } from "../db/database.js";
import { dbErrorMessage, isRecordDataError } from "../db/pg-errors.js";
import {
  type PageCursor,
  type PassTarget,
  type RunSource,
  type RunsPageWritten,
  probeRunText,
  writeRunsPage,
} from "../db/sql/write-runs-page.js";
import { LeaseLostError } from "../errors.js";
import { type PageProgress, type PassKind, type ReadWindow, emptyProgress } from "../model.js";
import type { SyncContext } from "./context.js";
import type { CheckedPage, CheckedRun } from "./page-check.js";

/** What changes from page to page besides its records. */
export interface PageMeta {
  /** HTTP attempts the page took. */
  requests: number;
  /** 1 for a listed page, 0 for runs read by id. */
  pages: number;
  /** The token this page was fetched with, for re-listing a stretch later (full passes). */
  pageToken?: { token: string; reverse: boolean } | undefined;
  /** Where the next page starts; undefined leaves the stored cursor alone. */
  cursor?: PageCursor | undefined;
  /** When its records were read: the window of every version they show (issue 22). */
  read: ReadWindow;
}

export class PassWriter {
  private readonly db: Database;
  private readonly target: PassTarget;

  /** `trackSeen`: the pass remembers what it saw (deletion candidates); a two-ended pass turns it on later. */
  constructor(
    private readonly ctx: SyncContext,
    flowId: string,
    passId: number,
    private readonly kind: PassKind,
    public trackSeen: boolean,
  ) {
    this.db = ctx.db;
    this.target = { flowId, owner: ctx.owner, leaseTtlMs: ctx.settings.leaseTtlMs, passId };
  }

  get passId(): number {
    return this.target.passId;
  }

  get flowId(): string {
    return this.target.flowId;
  }

  /**
   * Writes a page atomically and reports it to the observer. When PostgreSQL refuses a value the page
   * is written again without the runs it refuses, each found by probing its own text and quarantined
   * with PostgreSQL's reason: no record can fail a page. `andThen` runs in the same transaction (the
   * last page of a full pass completes it there).
   */
  async write(page: CheckedPage, meta: PageMeta, andThen?: (tx: SqlRunner, progress: PageProgress) => Promise<void>) {
    const progress = andThen ? await this.writeWith(page, meta, andThen) : await this.writeAlone(page, meta);
    this.ctx.observer.pageCommitted?.(this.target.flowId, this.kind, progress);
    return progress;
  }

  /**
   * `read` on the database's clock (measured once per process and database; the first page pays one
   * round trip) on the runner at hand: inside a transaction, the embedded database has no other
   * connection to ask.
   */
  async onDbClock(db: SqlRunner, read: ReadWindow) {
    return (await dbClock(this.db.location, db)).toDb(read);
  }

  private async writeOne(db: SqlRunner, page: CheckedPage, meta: PageMeta, wholeAnswer = true) {
    const read = await this.onDbClock(db, meta.read);
    const history = this.ctx.settings.runHistory;
    return writeRunsPage(db, this.target, { ...this.rowsOf(page, meta, wholeAnswer), read, history });
  }

  private async writeAlone(page: CheckedPage, meta: PageMeta): Promise<PageProgress> {
    try {
      return this.progressOf(page, meta, await this.writeOne(this.db, page, meta));
    } catch (err) {
      if (!isRecordDataError(err)) throw err;
      return this.db.transaction(async (tx) => {
        const storable = await this.withoutUnstorable(tx, page);
        return this.progressOf(storable, meta, await this.writeOne(tx, storable, meta, false));
      });
    }
  }

  private writeWith(page: CheckedPage, meta: PageMeta, andThen: (tx: SqlRunner, p: PageProgress) => Promise<void>) {
    return this.db.transaction(async (tx) => {
      let written: RunsPageWritten;
      let storable = page;
      try {
        written = await inSavepoint(tx, "page_write", () => this.writeOne(tx, page, meta));
      } catch (err) {
        if (!isRecordDataError(err)) throw err;
        storable = await this.withoutUnstorable(tx, page);
        written = await this.writeOne(tx, storable, meta, false);
      }
      const progress = this.progressOf(storable, meta, written);
      await andThen(tx, progress);
      return progress;
    });
  }

  /** The page without the runs PostgreSQL refuses (each probed alone), those quarantined with its reason. */
  private async withoutUnstorable(tx: SqlRunner, page: CheckedPage): Promise<CheckedPage> {
    const runs: CheckedRun[] = [];
    const rejects = [...page.rejects];
    for (const run of page.runs) {
      const text = page.texts.at(run.at);
      try {
        await inSavepoint(tx, "probe", () => probeRunText(tx, text));
        runs.push(run);
      } catch (err) {
        if (!isRecordDataError(err)) throw err;
        rejects.push(rejectOf(undefined, text, `PostgreSQL cannot store this run: ${dbErrorMessage(err)}`, run.apiId));
      }
    }
    return { ...page, runs, rejects };
  }

  /**
   * The page as the statement reads it: its runs picked out of the whole answer (one text, parsed once)
   * unless that answer may hold what jsonb refuses, or already has; else the runs' own texts.
   */
  private rowsOf(page: CheckedPage, meta: PageMeta, wholeAnswer = true) {
    const { texts } = page;
    const runs: RunSource =
      wholeAnswer && texts.answer !== undefined && !texts.risky
        ? { answer: texts.answer, positions: page.runs.map((r) => r.at) }
        : { texts: page.runs.map((r) => texts.at(r.at)) };
    const { listedIds, hasExtra, rejects, seen } = page;
    const { requests, pages, pageToken, cursor } = meta;
    return { runs, listedIds, hasExtra, rejects, seen, trackSeen: this.trackSeen, requests, pages, pageToken, cursor };
  }

  private progressOf(page: CheckedPage, meta: PageMeta, written: RunsPageWritten): PageProgress {
    if (!written.leased) throw new LeaseLostError(`lost the lease on flow ${this.target.flowId} to another process`);
    return {
      ...emptyProgress(),
      pages: meta.pages,
      requests: meta.requests,
      seen: page.seen,
      inserted: written.inserted,
      updated: written.updated,
      unchanged: written.valid - written.inserted - written.updated,
      rejected: page.rejects.length,
    };
  }
}
