// Seeded randomness for the fake API: the same seed always yields the same data (no Math.random).

/** Mixes numbers and strings into one 32-bit seed, so each flow/stream gets its own independent sequence. */
export function mixSeed(...parts: Array<number | string>): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    const text = typeof part === "number" ? `#${part}` : `"${part}`;
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    h ^= 0xff;
    h = Math.imul(h, 0x01000193);
  }
  // murmur3 finaliser: spreads nearby inputs (seed 1 vs 2) across the whole range
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** mulberry32: tiny, fast, good enough for test data; state is one 32-bit integer. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  uint32(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("pick from an empty list");
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** RFC 4122-shaped v4 uuid: lowercase 8-4-4-4-12 hex, version nibble 4, variant 8..b. */
  uuid(): string {
    const a = this.uint32();
    const b = this.uint32();
    const c = this.uint32();
    const d = this.uint32();
    return (
      hex32(a) +
      "-" +
      byteHex(b >>> 24) +
      byteHex(b >>> 16) +
      "-" +
      byteHex(0x40 | ((b >>> 8) & 0x0f)) +
      byteHex(b) +
      "-" +
      byteHex(0x80 | ((c >>> 24) & 0x3f)) +
      byteHex(c >>> 16) +
      "-" +
      byteHex(c >>> 8) +
      byteHex(c) +
      hex32(d)
    );
  }
}

// Table lookup: ids are made 100k at a time for the bench, and toString(16) + padStart dominated that.
const HEX_BYTES = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

function byteHex(value: number): string {
  return HEX_BYTES[value & 0xff] as string;
}

function hex32(value: number): string {
  return byteHex(value >>> 24) + byteHex(value >>> 16) + byteHex(value >>> 8) + byteHex(value);
}
