// Hot statements are kept whole as SQL text (src/db/sql/*.ts) with named parameters `@name`; this
// turns one into a Drizzle `sql` value, every parameter sent as a bind parameter, never spliced in.
import { type SQL, sql } from "drizzle-orm";

const PARAM = /@([a-z_]+)/g;

/** `text` with each `@name` bound to `values[name]`; a name without a value is a programming error. */
export function bindNamed(text: string, values: Readonly<Record<string, unknown>>): SQL {
  const chunks: SQL[] = [];
  let at = 0;
  for (const m of text.matchAll(PARAM)) {
    const name = m[1]!;
    if (!(name in values)) throw new Error(`statement parameter @${name} has no value`);
    chunks.push(sql.raw(text.slice(at, m.index)), sql`${values[name]}`);
    at = m.index + m[0].length;
  }
  chunks.push(sql.raw(text.slice(at)));
  return sql.join(chunks);
}
