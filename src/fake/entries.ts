// A flow's listing: records sorted by (createdAtMillis, key) so a page start is a binary search away.
import { compareKeys } from "./generate.js";

export interface Keyed {
  ms: number;
  /** The tie-breaker after ms: the run id, or a synthetic uuid for an invalid record without one. */
  key: string;
}

/**
 * One listed item, kept only as the UTF-8 JSON the API serves: serialized once when made, copied into pages
 * as bytes, and about half the memory of the object (100k runs ~ 110 MB). Entries are replaced, never mutated.
 */
export interface Entry extends Keyed {
  body: Buffer;
  /** The record's `id` when it is a string (GET by id finds it), else undefined. */
  id: string | undefined;
  valid: boolean;
  pending: boolean;
}

const SLAB_BYTES = 1 << 20;
/**
 * Bodies are packed into 1 MiB slabs: Buffer.from(string) reserves 4 bytes per character from its 8 KiB pool
 * and would leave ~2x the body size per entry. Shared by every server in the process; a replaced body's bytes
 * stay in their slab until the slab's other bodies are gone, which is fine for a test fixture.
 */
let slab = Buffer.allocUnsafe(SLAB_BYTES);
let slabUsed = 0;

function storeJson(json: string): Buffer {
  const size = Buffer.byteLength(json);
  if (size > SLAB_BYTES / 8) return Buffer.from(json);
  if (slabUsed + size > SLAB_BYTES) {
    slab = Buffer.allocUnsafe(SLAB_BYTES);
    slabUsed = 0;
  }
  slab.write(json, slabUsed);
  const body = slab.subarray(slabUsed, slabUsed + size);
  slabUsed += size;
  return body;
}

export function makeEntry(record: Record<string, unknown>, ms: number, key: string, valid: boolean): Entry {
  const id = typeof record.id === "string" ? record.id : undefined;
  return { ms, key, id, valid, pending: record.status === "pending", body: storeJson(JSON.stringify(record)) };
}

/** A fresh parsed copy of what the API serves for this entry. */
export function recordOf<T>(entry: Entry): T {
  return JSON.parse(entry.body.toString("utf8")) as T;
}

/** First index whose key is >= (ms, key). */
export function lowerBound(items: readonly Keyed[], ms: number, key: string): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const item = items[mid] as Keyed;
    if (compareKeys(item.ms, item.key, ms, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose key is > (ms, key). */
export function upperBound(items: readonly Keyed[], ms: number, key: string): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const item = items[mid] as Keyed;
    if (compareKeys(item.ms, item.key, ms, key) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class EntryList {
  readonly items: Entry[] = [];
  private readonly byId = new Map<string, Entry>();

  get(id: string): Entry | undefined {
    return this.byId.get(id);
  }

  insert(entry: Entry): void {
    const last = this.items[this.items.length - 1];
    // New runs are the newest: appending is the common case and keeps addRuns O(1).
    if (!last || compareKeys(last.ms, last.key, entry.ms, entry.key) < 0) this.items.push(entry);
    else this.items.splice(upperBound(this.items, entry.ms, entry.key), 0, entry);
    if (entry.id !== undefined) this.byId.set(entry.id, entry);
  }

  remove(entry: Entry): void {
    let i = lowerBound(this.items, entry.ms, entry.key);
    while (i < this.items.length && this.items[i] !== entry) {
      const item = this.items[i] as Entry;
      if (item.ms !== entry.ms || item.key !== entry.key) return;
      i++;
    }
    if (i >= this.items.length) return;
    this.items.splice(i, 1);
    if (entry.id !== undefined && this.byId.get(entry.id) === entry) this.byId.delete(entry.id);
  }

  /** Swaps an entry for its new version; repositions it if the key moved. */
  replace(old: Entry, next: Entry): void {
    this.remove(old);
    this.insert(next);
  }
}
