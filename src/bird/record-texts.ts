// The exact texts of a page's records. A list answer is kept whole, as the UTF-8 bytes it came in (never
// as one large string: a page's text would outlive young-generation collections while its page waits
// for its commit); its records are cut out of it only when something needs one alone (a reject's
// payload, a record that may hold an unstorable escape, a page PostgreSQL refuses). A page of ordinary
// runs is written from the answer's own bytes, which PostgreSQL parses once: cutting 100 records out of
// every page cost a fifth of the backfill's CPU.
import { arrayMemberTexts } from "./json-text.js";

// An escape that may decode to a NUL or a surrogate: only records whose text has one need the deep check.
const RISKY_ESCAPE = /\\u0000|\\u[dD][89a-fA-F]/;

export class RecordTexts {
  private cut: readonly string[] | undefined;
  /** Whether some record's text may hold an escape that jsonb cannot store. */
  readonly risky: boolean;

  private constructor(
    /** The whole list answer's UTF-8, when the records are its `key` array's elements. */
    readonly answer: Buffer | undefined,
    private readonly key: string,
    cut: readonly string[] | undefined,
    readonly count: number,
    risky: boolean,
  ) {
    this.cut = cut;
    this.risky = risky;
  }

  /**
   * The records of the answer's top-level `key` array (the last such key, as JSON.parse and jsonb read
   * it). `utf8`: the answer's bytes when they are exactly `text`'s UTF-8 (else `text` is encoded).
   */
  static ofAnswer(text: string, utf8: Uint8Array | undefined, key: string, count: number): RecordTexts {
    const bytes = utf8 ? Buffer.from(utf8.buffer, utf8.byteOffset, utf8.byteLength) : Buffer.from(text, "utf8");
    return new RecordTexts(bytes, key, undefined, count, RISKY_ESCAPE.test(text));
  }

  /** Records that each came as their own text (GET answers). */
  static of(texts: readonly string[]): RecordTexts {
    return new RecordTexts(
      undefined,
      "",
      texts,
      texts.length,
      texts.some((t) => RISKY_ESCAPE.test(t)),
    );
  }

  /** Record i's own text, exactly as sent. */
  at(i: number): string {
    this.cut ??= this.cutAnswer();
    const text = this.cut[i];
    if (text === undefined) throw new RangeError(`no record ${i} among ${this.count}`);
    return text;
  }

  /** Whether record i's text may hold an escape that jsonb cannot store. */
  riskyAt(i: number): boolean {
    return this.risky && RISKY_ESCAPE.test(this.at(i));
  }

  private cutAnswer(): readonly string[] {
    const texts = this.answer === undefined ? undefined : arrayMemberTexts(this.answer.toString("utf8"), this.key);
    // Cannot happen for text JSON.parse accepted; refuse rather than store anything not as sent.
    if (texts?.length !== this.count) throw new Error(`could not cut ${this.count} records out of the answer's text`);
    return texts;
  }
}
