// What every report shares: the filter arguments of the bird.*_for functions, the --org condition,
// and the flow columns.
import { type SQL, sql } from "drizzle-orm";
import type { ReportColumn, ReportFilters } from "./definition.js";

/** The function arguments shared by the filtered reports (NULL = no filter). */
export function filterArgs(f: ReportFilters): SQL {
  return sql`${f.flowId ?? null}::uuid, ${f.since ?? null}::timestamptz, ${f.until ?? null}::timestamptz`;
}

/** The row's flow is one of the organization's (no --org: every flow). */
export function ofOrganization(f: ReportFilters, column = "flow_id"): SQL {
  if (f.organizationId === undefined) return sql`true`;
  return sql`${sql.raw(column)} in (select s.flow_id from bird.sync_state s where s.organization_id = ${f.organizationId})`;
}

export const FLOW: readonly ReportColumn[] = [
  { key: "flow_id", label: "flow id", kind: "id" },
  { key: "flow_name", label: "flow", kind: "flow" },
];
