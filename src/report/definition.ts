// What a named report is (src/report/catalog.ts lists them): its columns, filters and query.
import type { SQL } from "drizzle-orm";

/** How a column is shown: numbers right-aligned in tables, raw in csv/json. */
export type ColumnKind =
  | "text"
  | "id" // hidden in tables (the flow column there shows name and short id)
  | "flow" // flow_name; in tables "name (short id)"
  | "int"
  | "rate" // 0..1; a percentage in tables
  | "seconds" // a duration; humanized in tables
  | "timestamp" // ISO 8601 UTC string
  | "date"; // YYYY-MM-DD (UTC day)

export interface ReportColumn {
  /** The csv header and json key: the view's column name. */
  key: string;
  /** The table header. */
  label: string;
  kind: ColumnKind;
}

export interface ReportFilters {
  flowId?: string;
  /** Only this organization's flows (sync_state.organization_id; lower case when a uuid). */
  organizationId?: string;
  /** ISO instant, inclusive. */
  since?: string;
  /** ISO instant, exclusive. */
  until?: string;
  /** One run (`report history --run ID`). */
  runId?: string;
}

export interface ReportDefinition {
  name: string;
  /** One line, shown by `report` without a NAME. */
  description: string;
  /** The bird.* view it reads, for the reader who wants the SQL. */
  view: string;
  columns: readonly ReportColumn[];
  /** The volume column drawn as a bar in tables. */
  bar?: string;
  /** Lines under the table (format.ts adds the bar's own). */
  legend?: readonly string[];
  /** False when --since/--until mean nothing for it (sync health is not about runs' dates). */
  dateFiltered: boolean;
  /** Without --since, only the last this many days (a report, not a dump of every row). */
  defaultSinceDays?: number;
  /** It shows one run: `--run ID` is required. */
  needsRun?: boolean;
  /** What an empty result says, e.g. "No pending runs". */
  empty: string;
  query(filters: ReportFilters): SQL;
}
