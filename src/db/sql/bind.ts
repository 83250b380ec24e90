// Hot statements are kept whole as SQL text (src/db/sql/*.ts) with named parameters `@name`, every
// parameter sent as a bind parameter, never spliced in: `bindNamed` turns one into a Drizzle `sql`
// value; `bindStatement` numbers the names once per text ($1 for every `@a`, ...) and only picks the
// values per call, for the statement run once per page (Drizzle's assembly cost 0.4 ms a page).
import { type SQL, sql } from "drizzle-orm";
import type { BoundStatement } from "../database.js";

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

interface Numbered {
  text: string;
  names: readonly string[];
}

const numbered = new Map<string, Numbered>();

function numberOnce(template: string): Numbered {
  let n = numbered.get(template);
  if (n === undefined) {
    const names: string[] = [];
    const text = template.replace(PARAM, (_, name: string) => {
      const at = names.indexOf(name);
      return `$${at >= 0 ? at + 1 : names.push(name)}`;
    });
    n = { text, names };
    numbered.set(template, n);
  }
  return n;
}

/** `template` with `$k` for its k-th distinct `@name`, and the values in that order. */
export function bindStatement(template: string, values: Readonly<Record<string, unknown>>): BoundStatement {
  const { text, names } = numberOnce(template);
  const params = names.map((name) => {
    if (!(name in values)) throw new Error(`statement parameter @${name} has no value`);
    return values[name];
  });
  return { template, text, params };
}
