// A secret (the access key) looked for in the bytes a recording keeps as they are (issue 25): wherever
// it is, it becomes asterisks of its length. Kept texts are short (ids, date-times) and many, so the
// search is Horspool's, in a loop: most windows are passed over on their last byte alone, where a call
// into Buffer's indexOf would cost more than the text is long.
export class SecretBytes {
  /** How far the window moves when its last byte is b. */
  private readonly shift = new Int32Array(256);

  constructor(readonly bytes: Uint8Array) {
    const n = bytes.length;
    this.shift.fill(n);
    for (let k = 0; k < n - 1; k++) this.shift[bytes[k] as number] = n - 1 - k;
  }

  /** Overwrites every occurrence within [start, end) of `buf` with asterisks. */
  scrub(buf: Uint8Array, start: number, end: number): void {
    const { bytes, shift } = this;
    const n = bytes.length;
    for (let at = start; at + n <= end; ) {
      let k = n - 1;
      while (k >= 0 && buf[at + k] === bytes[k]) k--;
      if (k < 0) {
        buf.fill(0x2a, at, at + n);
        at += n;
      } else at += shift[buf[at + n - 1] as number] as number;
    }
  }
}
