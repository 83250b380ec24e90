// The ids a listing has shown, kept small: a 32-bit FNV-1a fingerprint per id in an open-addressing
// table (4 bytes a slot, half full at most), so a listing of a million runs costs ~8 MB instead of the
// ~100 MB a Set of strings would. A collision can only make a new id look seen, which at worst lets a
// listing that repeats itself run one page longer; it never stores, skips or deletes anything.

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function fingerprint(id: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), FNV_PRIME);
  // 0 marks an empty slot.
  return h >>> 0 || 1;
}

export class IdSet {
  private slots = new Uint32Array(1024);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Adds the id; true when it was not there yet. */
  add(id: string): boolean {
    if ((this.count + 1) * 2 > this.slots.length) this.grow();
    const added = insert(this.slots, fingerprint(id));
    if (added) this.count++;
    return added;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Uint32Array(old.length * 2);
    for (const h of old) if (h !== 0) insert(this.slots, h);
  }
}

function insert(slots: Uint32Array, h: number): boolean {
  const mask = slots.length - 1;
  for (let i = h & mask; ; i = (i + 1) & mask) {
    if (slots[i] === h) return false;
    if (slots[i] === 0) {
      slots[i] = h;
      return true;
    }
  }
}
