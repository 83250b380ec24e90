// The one list of bird.approval_runs columns an ApprovalRun feeds, derived from the Drizzle table in
// schema.ts (issue 16): the page write, the bench's COPY ceiling and the tests' oracle read it, so a
// new top-level field Bird ships is one column in schema.ts plus `npm run db:generate`.
import { getTableColumns } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import { approvalRuns } from "./schema.js";

export type RunSqlType = "uuid" | "text" | "numeric" | "float8" | "jsonb" | "timestamptz";

export interface RunColumn {
  /** The Drizzle property, e.g. `approvalFlowId`. */
  key: string;
  /** The SQL column, e.g. `approval_flow_id`. */
  column: string;
  /** Where the value is in an ApprovalRun's JSON, e.g. `["invoker", "id"]`. */
  path: readonly string[];
  /** What the JSON value is cast to (a JSON null, or an absent field, is SQL NULL). */
  sqlType: RunSqlType;
  notNull: boolean;
}

/**
 * Columns the sync fills itself rather than from one field of the run: left out of RUN_COLUMNS.
 * (`api_id` is the id as Bird spelled it when that differs from id::text; `extra`, the unknown fields.)
 */
const NOT_FROM_THE_RUN = new Set([
  "apiId",
  "extra",
  "firstSyncedAt",
  "lastSyncedAt",
  "deletedAt",
  // The version and the windows the sync keeps (issues 22, 26).
  "version",
  "changedAfter",
  "observedAt",
  "firstReadSentAt",
  "decisionAfter",
  "decisionBefore",
  "decisionAt",
  "decidedAfter",
  "decidedBefore",
  "decidedAt",
  "stepEnteredAfter",
  "stepEnteredBefore",
  "decisionSeconds",
]);

/** Columns whose field is nested in the run; any other column's field is its Drizzle key. */
const NESTED: Readonly<Record<string, readonly string[]>> = {
  invokerType: ["invoker", "type"],
  invokerId: ["invoker", "id"],
};

const SQL_TYPES: Readonly<Record<string, RunSqlType>> = {
  uuid: "uuid",
  text: "text",
  numeric: "numeric",
  "double precision": "float8",
  jsonb: "jsonb",
  "timestamp with time zone": "timestamptz",
};

function runColumn([key, col]: [string, PgColumn]): RunColumn {
  const sqlType = SQL_TYPES[col.getSQLType()];
  // A column type the run-to-SQL mapping does not know must fail the build's tests, not write garbage.
  if (!sqlType) throw new Error(`bird.approval_runs.${col.name}: no JSON mapping for SQL type ${col.getSQLType()}`);
  return { key, column: col.name, path: NESTED[key] ?? [key], sqlType, notNull: col.notNull };
}

/** The columns an ApprovalRun feeds, in table order (`id` first). */
export const RUN_COLUMNS: readonly RunColumn[] = (Object.entries(getTableColumns(approvalRuns)) as Array<[string, PgColumn]>)
  .filter(([key]) => !NOT_FROM_THE_RUN.has(key))
  .map(runColumn);

/** Top-level ApprovalRun fields that have a column; any other field of a run goes to `extra`. */
export const RUN_JSON_FIELDS: readonly string[] = [...new Set(RUN_COLUMNS.map((c) => c.path[0]!))];

/**
 * The SQL expression that reads one column from a run held as jsonb in `element` (e.g. `e`). JSON
 * null is SQL NULL for every type (jsonb included), like an omitted field. Timestamps go through
 * bird.rfc3339 (migration 0003): RFC 3339 offsets reach ±23:59, PostgreSQL's input stops at ±15:59.
 */
export function runColumnFromJson(c: RunColumn, element: string): string {
  const parents = c.path
    .slice(0, -1)
    .map((p) => `->'${p}'`)
    .join("");
  const leaf = c.path.at(-1)!;
  if (c.sqlType === "jsonb") return `nullif(${element}${parents}->'${leaf}', 'null'::jsonb)`;
  if (c.sqlType === "timestamptz") return `bird.rfc3339(${element}${parents}->>'${leaf}')`;
  return `(${element}${parents}->>'${leaf}')::${c.sqlType}`;
}

/** A run's value for one column, read from the parsed JSON (undefined when absent). */
export function runValue(run: Readonly<Record<string, unknown>>, c: RunColumn): unknown {
  let v: unknown = run;
  for (const p of c.path) v = v === null || v === undefined ? undefined : (v as Record<string, unknown>)[p];
  return v;
}
