// `approvals-sync report [NAME] [--format table|csv|json] [--csv-raw] [--flow ID] [--org ID] [--since DATE] [--until DATE] [--run ID]`:
// its flags (registerReport) and its body; the reports themselves are src/report/catalog.ts.
// Data goes to `out` (stdout) only, so it can be piped; messages go to stderr. A usage error (unknown
// NAME, a bad flag value) throws a CommandError (exit 2).
import { type Command, Option } from "commander";
import { sql } from "drizzle-orm";
import type { Database } from "../db/database.js";
import { resolveFlowRefs } from "../db/flow-refs.js";
import { CommandError } from "../errors.js";
import { REPORTS, REPORT_NAMES, type ReportDefinition, type ReportFilters, findReport } from "../report/catalog.js";
import { closestName } from "../unknown-variables.js";
import type { Run } from "./common.js";
import { startRuntime, withReadOnlyDatabase } from "./runtime.js";
import { MIN_ID_PREFIX, isUuid, isUuidPrefix, organizationKey } from "../uuid.js";
import { REPORT_FORMATS, type ReportFormat, type ReportRow, renderCsv, renderReport } from "../report/format.js";

export interface ReportArgs {
  name?: string;
  format: ReportFormat;
  /** --csv-raw: csv cells exactly as stored, without the formula guard. */
  csvRaw?: boolean;
  flowId?: string;
  /** --org: one organization's flows. */
  organizationId?: string;
  since?: string;
  until?: string;
  runId?: string;
}

type ReportRequest =
  | { kind: "list"; format: ReportFormat }
  | { kind: "report"; def: ReportDefinition; format: ReportFormat; filters: ReportFilters; described: string[] };

class ReportUsageError extends CommandError {
  constructor(message: string) {
    super("report", message);
  }
}

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?$/i;
const DATE_FORM = "a date YYYY-MM-DD (UTC) or an ISO date-time such as 2025-03-01T09:30:00Z";

/** Date.parse accepts 2025-02-30 (as March 2): check the fields survive a round trip. */
function isCalendarDate(y: number, m: number, d: number): boolean {
  const t = new Date(Date.UTC(y, m - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
}

/**
 * A --since/--until value as an ISO instant. A bare date is a UTC day: --since starts at its
 * midnight, --until includes the whole day (the bound is the next midnight, exclusive).
 */
export function parseDateFlag(flag: "--since" | "--until", value: string): string {
  const bad = () => new ReportUsageError(`${flag} must be ${DATE_FORM} (got ${JSON.stringify(value)})`);
  const day = DATE_ONLY.exec(value);
  if (day) {
    const [y, m, d] = day.slice(1, 4).map(Number) as [number, number, number];
    if (!isCalendarDate(y, m, d)) throw bad();
    return new Date(Date.UTC(y, m - 1, flag === "--until" ? d + 1 : d)).toISOString();
  }
  const dt = DATE_TIME.exec(value);
  if (!dt) throw bad();
  const [y, m, d, h, mi] = dt.slice(1, 6).map(Number) as [number, number, number, number, number];
  const [sec = "00", frac = "", zone = "Z"] = [dt[6], dt[7], dt[8]];
  if (!isCalendarDate(y, m, d) || h > 23 || mi > 59 || Number(sec) > 59) throw bad();
  const offset = zone.toUpperCase() === "Z" ? "Z" : `${zone.slice(0, 3)}:${zone.slice(-2)}`;
  const ms = Date.parse(`${dt[1]}-${dt[2]}-${dt[3]}T${dt[4]}:${dt[5]}:${sec}${frac}${offset}`);
  if (Number.isNaN(ms)) throw bad();
  return new Date(ms).toISOString();
}

function parseReportArgs(args: ReportArgs): ReportRequest {
  const format = args.format as string;
  if (!(REPORT_FORMATS as readonly string[]).includes(format)) {
    throw new ReportUsageError(`--format must be one of ${REPORT_FORMATS.join(", ")} (got ${JSON.stringify(format)})`);
  }
  if (args.csvRaw && format !== "csv") throw new ReportUsageError(`--csv-raw applies to --format csv only (got --format ${format})`);
  if (args.name === undefined || args.name === "") return { kind: "list", format: args.format };
  const def = findReport(args.name);
  if (!def) {
    const near = closestName(args.name, REPORT_NAMES);
    const hint = near ? `did you mean ${near}? ` : "";
    throw new ReportUsageError(`unknown report ${JSON.stringify(args.name)}; ${hint}valid names: ${REPORT_NAMES.join(", ")}`);
  }
  const filters: ReportFilters = {};
  const described: string[] = [];
  if (args.flowId !== undefined) {
    if (!isUuidPrefix(args.flowId)) {
      throw new ReportUsageError(
        `--flow must be a flow id (a uuid), or its start as \`status\` shows it (${MIN_ID_PREFIX}+ characters) (got ${JSON.stringify(args.flowId)})`,
      );
    }
    filters.flowId = args.flowId.toLowerCase();
    described.push(`--flow ${filters.flowId}`);
  }
  if (args.organizationId !== undefined) {
    if (args.organizationId.trim() === "") throw new ReportUsageError("--org must be an organization id (BIRD_ORGANIZATION_ID)");
    filters.organizationId = organizationKey(args.organizationId);
    described.push(`--org ${filters.organizationId}`);
  }
  if (args.since !== undefined) {
    filters.since = parseDateFlag("--since", args.since);
    described.push(`--since ${args.since}`);
  }
  if (args.until !== undefined) {
    filters.until = parseDateFlag("--until", args.until);
    described.push(`--until ${args.until}`);
  }
  if (args.runId !== undefined) {
    if (!isUuid(args.runId)) throw new ReportUsageError(`--run must be a run id (a uuid) (got ${JSON.stringify(args.runId)})`);
    filters.runId = args.runId.toLowerCase();
    described.push(`--run ${filters.runId}`);
  }
  if (def.needsRun && filters.runId === undefined) {
    throw new ReportUsageError(`report ${def.name} shows one run: give its id with --run ID`);
  }
  Object.assign(filters, withDefaultRange(def, filters));
  if (filters.since && filters.until && filters.since >= filters.until) {
    throw new ReportUsageError(`--since ${args.since} is not before --until ${args.until}: the range holds no time`);
  }
  return { kind: "report", def, format: args.format, filters, described };
}

/** The filters a report runs with: a report with a default range gets it when no date is given. */
export function withDefaultRange(def: ReportDefinition, filters: ReportFilters): ReportFilters {
  if (filters.since !== undefined || filters.until !== undefined || def.defaultSinceDays === undefined) return filters;
  return { ...filters, since: new Date(Date.now() - def.defaultSinceDays * 86_400_000).toISOString() };
}

function listReports(format: ReportFormat): string {
  if (format === "json") {
    return `${JSON.stringify(
      REPORTS.map((r) => ({ name: r.name, description: r.description, view: r.view })),
      null,
      2,
    )}\n`;
  }
  if (format === "csv") {
    return renderCsv(
      ["name", "description", "view"],
      REPORTS.map((r) => [r.name, r.description, r.view]),
    );
  }
  const width = Math.max(...REPORT_NAMES.map((n) => n.length));
  return REPORTS.map((r) => `${r.name.padEnd(width)}  ${r.description}\n`).join("");
}

/**
 * Answers what needs no database: the list of reports (true), or a usage error (throws). False when
 * the report has to run: the CLI calls this before opening (and perhaps creating) the database.
 */
export function answerReportWithoutDatabase(args: ReportArgs, out: NodeJS.WritableStream): boolean {
  const request = parseReportArgs(args);
  if (request.kind === "report") return false;
  out.write(listReports(request.format));
  return true;
}

async function emptyLine(db: Pick<Database, "rows">, def: ReportDefinition, described: readonly string[]): Promise<string> {
  const [state] = await db.rows<{ synced: boolean }>(sql`
    select exists (select 1 from bird.approval_runs) or exists (select 1 from bird.sync_state)
      or exists (select 1 from bird.approval_flows) as synced`);
  if (!state?.synced) {
    return `Nothing synced yet: run \`approvals-sync sync\` (or \`approvals-sync demo\` to try it), then \`approvals-sync report ${def.name}\` again.\n`;
  }
  return described.length ? `${def.empty} for ${described.join(" ")}.\n` : `${def.empty}.\n`;
}

/** undefined_function / undefined_table: SYNC_AUTO_MIGRATE=false on a database older than the views. */
function isMissingReportingObject(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === "42883" || code === "42P01";
}

/** Runs `report`; a usage error or a database without the views throws a CommandError. */
export async function runReportCommand(db: Pick<Database, "rows">, args: ReportArgs, out: NodeJS.WritableStream): Promise<void> {
  if (answerReportWithoutDatabase(args, out)) return;
  const request = parseReportArgs(args) as Extract<ReportRequest, { kind: "report" }>;
  const { def, format, filters, described } = request;
  if (filters.flowId !== undefined && !isUuid(filters.flowId)) {
    [filters.flowId] = await resolveFlowRefs(db, "report", [filters.flowId], { mustExist: false });
  }
  if (!def.dateFiltered && (filters.since || filters.until)) {
    process.stderr.write(`approvals-sync report: --since/--until do not apply to ${def.name}; showing every flow's current state\n`);
  }
  let rows: ReportRow[];
  try {
    rows = await db.rows<ReportRow>(def.query(filters));
  } catch (err) {
    if (!isMissingReportingObject(err)) throw err;
    throw new ReportUsageError(`${def.view} does not exist in this database yet: run \`approvals-sync migrate\` first`);
  }
  if (rows.length === 0 && format === "table") {
    out.write(await emptyLine(db, def, described));
  } else {
    out.write(renderReport(def, rows, format, { raw: args.csvRaw === true }));
  }
}

interface ReportFlags {
  format: "table" | "csv" | "json";
  csvRaw?: boolean;
  flow?: string;
  org?: string;
  since?: string;
  until?: string;
  run?: string;
}

export function registerReport(program: Command, run: Run): void {
  program
    .command("report")
    .description("named reporting queries over the bird.* views (no NAME: list them)")
    .argument(
      "[name]",
      "summary, daily, latency, backlog, reviewers, tags, health, rejects, decisions, history or steps (omit to list them)",
    )
    .addOption(new Option("--format <format>", "output format").choices(["table", "csv", "json"]).default("table"))
    .option("--csv-raw", "csv cells exactly as stored: no ' before cells starting with = + - @ (spreadsheet formulas)")
    .option("--flow <id>", "only this flow: its id, or the start of it as status shows it")
    .option("--org <id>", "only the flows of this organization (a database may hold several)")
    .option("--since <date>", "runs created on or after DATE (YYYY-MM-DD in UTC, or an ISO date-time)")
    .option("--until <date>", "runs created up to DATE (a YYYY-MM-DD includes that whole day)")
    .option("--run <id>", "the run whose versions `report history` shows")
    .addHelpText(
      "after",
      '\nData only on stdout (csv: RFC 4180, cells starting with = + - @ prefixed with \' so spreadsheets do not run them, unless --csv-raw; json: an array of objects); the views are in README "Reporting".\n\nExample:\n  approvals-sync report daily --since 2025-03-01 --format csv > daily.csv',
    )
    .action(
      run(async (name: string | undefined, opts: ReportFlags) => {
        const args = {
          name,
          format: opts.format,
          csvRaw: opts.csvRaw === true,
          flowId: opts.flow,
          organizationId: opts.org,
          since: opts.since,
          until: opts.until,
          runId: opts.run,
        };
        // Listings and usage errors need no database: do not open (and perhaps create) one for them.
        if (answerReportWithoutDatabase(args, process.stdout)) return;
        const rt = startRuntime({}, false);
        await withReadOnlyDatabase(rt, "report", (db) => runReportCommand(db, args, process.stdout));
      }),
    );
}
