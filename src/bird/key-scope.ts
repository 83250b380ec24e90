// The keys of one redacted object (issue 25). Equal keys get equal placeholders (a duplicate stays a
// duplicate, as jsonb reads it), different keys different ones, so the object keeps every member it
// had: "kind" and "note" would both become "xxxx", so the second becomes "xxxb". Keys are told apart by
// 32-bit hashes first and by their bytes only when the hashes agree, without allocating: an object is
// redacted for every run of every page. The answer is redacted in place, so each key's original bytes
// are kept aside (in `originals`) to tell later keys apart. Sequences of keys already worked out come
// from a tree (key-sequences.ts); the keys they served are told apart only when a later key needs it.
import { KeyNode, KeySequences, hashOf, sameBytes } from "./key-sequences.js";
import { PLACEHOLDER_2, PLACEHOLDER_3, PLACEHOLDER_4, redactStringBytes } from "./placeholder.js";

// Up to this many keys, earlier keys are found by a scan; beyond, through a map (a scan would be quadratic).
const MANY_KEYS = 32;

// One tree per thread: what it holds depends only on the keys, never on which answer they came in.
const SEQUENCES = new KeySequences();

/** Each alphabet a placeholder character varies through, as UTF-8 sequences of its own length. */
function alphabet(width: number, first: number, size: number): Uint8Array[] {
  return Array.from({ length: size }, (_, k) =>
    width === 1 ? Uint8Array.of(first + k) : new Uint8Array(Buffer.from(String.fromCodePoint(first + k), "utf8")),
  );
}
const LOWER = alphabet(1, 0x61, 26);
const UPPER = alphabet(1, 0x41, 26);
const DIGITS = alphabet(1, 0x30, 10);
const WIDE_2 = alphabet(2, 0xe0, 32);
const WIDE_3 = alphabet(3, 0x4e00, 4096);
const WIDE_4 = alphabet(4, 0x1d400, 52);

function startsWith(buf: Buffer, k: number, bytes: readonly number[]): boolean {
  for (let i = 0; i < bytes.length; i++) if (buf[k + i] !== bytes[i]) return false;
  return true;
}

// The placeholder characters of the key being varied: offset and alphabet of each (reused: no allocation).
const slotAt: number[] = [];
const slotLetters: Uint8Array[][] = [];

/** Finds the placeholder characters of a redacted key (not inside escapes) into slotAt/slotLetters; their count. */
function variantSlots(buf: Buffer, start: number, end: number): number {
  let slots = 0;
  for (let k = start; k < end; ) {
    const c = buf[k] as number;
    if (c === 0x5c) k += buf[k + 1] === 0x75 ? 6 : 2;
    else if (c === 0x78 || c === 0x58 || c === 0x30) {
      slotAt[slots] = k++;
      slotLetters[slots++] = c === 0x78 ? LOWER : c === 0x58 ? UPPER : DIGITS;
    } else if (c >= 0xc0) {
      const n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
      if (startsWith(buf, k, n === 2 ? PLACEHOLDER_2 : n === 3 ? PLACEHOLDER_3 : PLACEHOLDER_4)) {
        slotAt[slots] = k;
        slotLetters[slots++] = n === 2 ? WIDE_2 : n === 3 ? WIDE_3 : WIDE_4;
      }
      k += n;
    } else k++;
  }
  return slots;
}

export class KeyScope {
  /** The original bytes of the keys, one after another (grown as needed, kept from object to object). */
  private originals = Buffer.allocUnsafe(1024);
  private originalsEnd = 0;
  /** Where each key's original bytes are in `originals`. */
  private readonly originalAt: number[] = [];
  private readonly starts: number[] = [];
  private readonly lengths: number[] = [];
  private readonly originalHashes: number[] = [];
  private readonly redactedHashes: number[] = [];
  /** How many keys the arrays above hold (they keep their room from one object to the next). */
  private count = 0;
  private maps: { original: Map<number, number[]>; redacted: Map<number, number[]> } | undefined;
  /** Where the object's keys so far lead in the tree; undefined once they leave it. */
  private node: KeyNode | undefined;
  /** The object's keys the tree served, and where they are: [count, served) are not in the arrays above yet. */
  private readonly servedNodes: KeyNode[] = [];
  private readonly servedStarts: number[] = [];
  private served = 0;

  /** Forgets every key: the scope serves the next object. */
  clear(): void {
    this.count = 0;
    this.originalsEnd = 0;
    this.maps = undefined;
    this.node = SEQUENCES.root;
    this.served = 0;
  }

  /** Redacts the key content [start, end) of `buf` in place; false when it is as it was (an id, a date-time). */
  redact(buf: Buffer, start: number, end: number): boolean {
    const n = end - start;
    const originalHash = hashOf(buf, start, end);
    const known = this.node?.next(buf, start, end, originalHash);
    if (known !== undefined) {
      const placeholder = known.placeholder;
      for (let k = 0; k < n; k++) buf[start + k] = placeholder[k] as number;
      this.node = known;
      this.servedNodes[this.served] = known;
      this.servedStarts[this.served++] = start;
      return known.changed;
    }
    this.catchUp();
    const changed = this.workOut(buf, start, end, originalHash);
    this.served = this.count;
    if (this.node !== undefined) {
      const at = this.originalAt[this.count - 1] as number;
      const placeholder = Uint8Array.from(buf.subarray(start, end));
      const next = new KeyNode(
        Uint8Array.from(this.originals.subarray(at, at + n)),
        originalHash,
        placeholder,
        this.redactedHashes[this.count - 1] as number,
        changed,
      );
      this.node = SEQUENCES.add(this.node, next) ? next : undefined;
    }
    return changed;
  }

  /** Adds the keys the tree served to the arrays: a key it does not know is told apart from them. */
  private catchUp(): void {
    for (let i = this.count; i < this.served; i++) {
      const node = this.servedNodes[i] as KeyNode;
      const at = this.keepOriginal(node.original, 0, node.original.length);
      this.add(this.servedStarts[i] as number, node.original.length, at, node.hash, node.placeholderHash);
    }
  }

  /** The key's placeholder worked out from the keys before it (in the arrays), written over it. */
  private workOut(buf: Buffer, start: number, end: number, originalHash: number): boolean {
    const n = end - start;
    const same = this.find("original", originalHash, buf, start, n);
    let redactedHash: number;
    let at: number;
    if (same >= 0) {
      buf.copy(buf, start, this.starts[same] as number, (this.starts[same] as number) + n);
      redactedHash = this.redactedHashes[same] as number;
      at = this.originalAt[same] as number;
    } else {
      at = this.keepOriginal(buf, start, end);
      redactStringBytes(buf, start, end);
      redactedHash = hashOf(buf, start, end);
      if (this.find("redacted", redactedHash, buf, start, n) >= 0) redactedHash = this.vary(buf, start, end, at);
    }
    this.add(start, n, at, originalHash, redactedHash);
    return redactedHash !== originalHash || !sameBytes(this.originals, at, buf, start, n);
  }

  /** Copies the key's original bytes aside; where they are. */
  private keepOriginal(buf: Uint8Array, start: number, end: number): number {
    const at = this.originalsEnd;
    if (at + (end - start) > this.originals.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.originals.length * 2, at + (end - start)));
      this.originals.copy(grown, 0, 0, at);
      this.originals = grown;
    }
    // A key is a few bytes: a loop costs less than a call into Buffer's copy.
    const originals = this.originals;
    for (let k = start; k < end; k++) originals[this.originalsEnd++] = buf[k] as number;
    return at;
  }

  private add(start: number, n: number, originalAt: number, originalHash: number, redactedHash: number): void {
    const i = this.count++;
    this.originalAt[i] = originalAt;
    this.starts[i] = start;
    this.lengths[i] = n;
    this.originalHashes[i] = originalHash;
    this.redactedHashes[i] = redactedHash;
    if (this.maps) {
      this.mapKey(i);
    } else if (i + 1 > MANY_KEYS) {
      this.maps = { original: new Map(), redacted: new Map() };
      for (let j = 0; j <= i; j++) this.mapKey(j);
    }
  }

  private mapKey(i: number): void {
    const put = (map: Map<number, number[]>, h: number) => {
      const list = map.get(h);
      if (list) list.push(i);
      else map.set(h, [i]);
    };
    put((this.maps as NonNullable<typeof this.maps>).original, this.originalHashes[i] as number);
    put((this.maps as NonNullable<typeof this.maps>).redacted, this.redactedHashes[i] as number);
  }

  /** An earlier key whose original (or redacted) bytes equal [start, start + n) of `buf`, or -1. */
  private find(which: "original" | "redacted", h: number, buf: Buffer, start: number, n: number): number {
    const original = which === "original";
    const b = original ? this.originals : buf;
    const offsets = original ? this.originalAt : this.starts;
    const hashes = original ? this.originalHashes : this.redactedHashes;
    const candidates = this.maps ? (this.maps[which].get(h) ?? []) : undefined;
    const count = candidates ? candidates.length : this.count;
    for (let c = 0; c < count; c++) {
      const i = candidates ? (candidates[c] as number) : c;
      if (hashes[i] === h && this.lengths[i] === n && sameBytes(b, offsets[i] as number, buf, start, n)) return i;
    }
    return -1;
  }

  /** Rewrites a placeholder that collides with an earlier key's into the first free variant; its hash. */
  private vary(buf: Buffer, start: number, end: number, originalAt: number): number {
    const n = end - start;
    const slots = variantSlots(buf, start, end);
    for (let v = 1; v < 1_000_000; v++) {
      let rest = v;
      for (let s = slots - 1; s >= 0 && rest > 0; s--) {
        const letters = slotLetters[s] as Uint8Array[];
        const letter = letters[rest % letters.length] as Uint8Array;
        const at = slotAt[s] as number;
        for (let b = 0; b < letter.length; b++) buf[at + b] = letter[b] as number;
        rest = Math.floor(rest / letters.length);
      }
      if (rest > 0) break;
      const h = hashOf(buf, start, end);
      if (this.find("redacted", h, buf, start, n) < 0) return h;
    }
    // More same-shaped keys than variants: the duplicate is the lesser evil.
    this.originals.copy(buf, start, originalAt, originalAt + n);
    redactStringBytes(buf, start, end);
    return hashOf(buf, start, end);
  }
}
