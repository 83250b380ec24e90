// One flow inside the fake: its listing (valid runs + invalid records), deleted runs, and invalid-record bookkeeping.
import { type Entry, EntryList, makeEntry, recordOf } from "./entries.js";
import { buildRun, type OrgContext, RUNS_EPOCH_MS } from "./generate.js";
import { breakRun, invalidKindFor, invalidPosition } from "./invalid.js";
import { mixSeed, Rng } from "./random.js";
import type { ApprovalFlow, ApprovalRun } from "./types.js";

export function runEntry(run: ApprovalRun): Entry {
  return makeEntry(run, Date.parse(run.createdAt), run.id, true);
}

export function entryRun(entry: Entry): ApprovalRun {
  return recordOf<ApprovalRun>(entry);
}

export class FakeFlow {
  readonly list = new EntryList();
  readonly deleted = new Map<string, Entry>();
  /** Invalid records currently in the listing, oldest made first. */
  readonly invalid: Entry[] = [];
  removed = false;
  /** Latest updatedAt among the generated runs. */
  readonly maxUpdatedMs: number = 0;
  private readonly repairs = new Map<Entry, ApprovalRun>();
  private invalidMade = 0;

  constructor(
    readonly index: number,
    readonly flow: ApprovalFlow,
    runs: Iterable<ApprovalRun>,
  ) {
    // Consumed one at a time so a 100k-run flow never holds all run objects at once.
    for (const run of runs) {
      this.list.insert(runEntry(run));
      this.maxUpdatedMs = Math.max(this.maxUpdatedMs, Date.parse(run.updatedAt));
    }
  }

  validEntries(): Entry[] {
    return this.list.items.filter((e) => e.valid);
  }

  /** Newest creation time ever used in this flow (deleted runs included, so a restore never ties a new run). */
  maxCreatedMs(): number {
    let max = this.list.items[this.list.items.length - 1]?.ms ?? RUNS_EPOCH_MS;
    for (const entry of this.deleted.values()) max = Math.max(max, entry.ms);
    return max;
  }

  /** Adds or removes invalid records (newest made first) until there are `count`. */
  setInvalidCount(count: number, seed: number, ctx: OrgContext): void {
    while (this.invalid.length > count) {
      const entry = this.invalid.pop() as Entry;
      this.list.remove(entry);
      this.repairs.delete(entry);
    }
    while (this.invalid.length < count) this.addInvalid(seed, ctx);
  }

  /** Turns an invalid record back into the valid run it was made from (same id when it had a usable one). */
  fixInvalid(index: number, updatedAt: string): Entry {
    const entry = this.invalid[index];
    const base = entry && this.repairs.get(entry);
    if (!entry || !base) throw new RangeError(`no invalid record #${index} in flow ${this.flow.id}`);
    this.invalid.splice(index, 1);
    this.repairs.delete(entry);
    const fixed = runEntry({ ...base, updatedAt });
    this.list.replace(entry, fixed);
    return fixed;
  }

  private addInvalid(seed: number, ctx: OrgContext): void {
    const ordinal = this.invalidMade++;
    const rng = new Rng(mixSeed(seed, "invalid", this.index, ordinal));
    const items = this.list.items;
    // Sorts next to an existing item (same millisecond) so paging around it stays a plain keyset walk.
    const anchor = items[Math.floor(invalidPosition(ordinal) * items.length)];
    const ms = anchor?.ms ?? RUNS_EPOCH_MS;
    const base = buildRun(rng, this.flow, ctx, { ms, id: rng.uuid() }, rng.chance(0.75) ? "approved" : "denied");
    const record = breakRun(base, invalidKindFor(ordinal), `${this.index + 1}${String(ordinal + 1).padStart(2, "0")}`);
    const entry = makeEntry(record, ms, base.id, false);
    this.list.insert(entry);
    this.invalid.push(entry);
    this.repairs.set(entry, base);
  }
}
