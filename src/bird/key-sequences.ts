// The placeholders of an object's keys, remembered by the keys before them (issue 25). A key's
// placeholder depends only on the keys before it in its object (key-scope.ts), and objects of one kind
// repeat the same keys in the same order, run after run: so each sequence of keys worked out once is
// kept in a tree, and an object whose keys follow a known path gets each placeholder by one lookup
// instead of being redacted and told apart from the keys before it (that cost 30% of the redaction).
// The tree is bounded: past its size, objects are worked out key by key as if it were not there.

const MAX_NODES = 16_384;
const MAX_CHILDREN = 64;

export function hashOf(b: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5 ^ (end - start);
  for (let k = start; k < end; k++) h = Math.imul(h ^ (b[k] as number), 0x01000193);
  return h >>> 0;
}

export function sameBytes(a: Uint8Array, x: number, b: Uint8Array, y: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[x + i] !== b[y + i]) return false;
  return true;
}

/** A key after the keys on the path to it: as sent, and its placeholder there. */
export class KeyNode {
  private readonly children: KeyNode[] = [];

  constructor(
    readonly original: Uint8Array,
    readonly hash: number,
    readonly placeholder: Uint8Array,
    readonly placeholderHash: number,
    /** Whether the placeholder differs from the key (an id or a date-time stays as it is). */
    readonly changed: boolean,
  ) {}

  /** The node of the key [start, end) of `buf` (its hash given) after this one, if it is known. */
  next(buf: Uint8Array, start: number, end: number, hash: number): KeyNode | undefined {
    const n = end - start;
    for (const child of this.children) {
      if (child.hash === hash && child.original.length === n && sameBytes(child.original, 0, buf, start, n)) return child;
    }
    return undefined;
  }

  /** Remembers `child` after this key, unless this key has as many as it may; whether it did. */
  adopt(child: KeyNode): boolean {
    if (this.children.length >= MAX_CHILDREN) return false;
    this.children.push(child);
    return true;
  }
}

export class KeySequences {
  private nodes = 0;
  /** Where every object starts: before its first key. */
  readonly root = new KeyNode(new Uint8Array(0), 0, new Uint8Array(0), 0, false);

  /** Remembers `child` after `parent`; false when the tree is full (it is then not remembered). */
  add(parent: KeyNode, child: KeyNode): boolean {
    if (this.nodes >= MAX_NODES || !parent.adopt(child)) return false;
    this.nodes++;
    return true;
  }
}
