// Report output: an aligned table for terminals, RFC 4180 csv and a json array for pipes.
// csv and json carry the raw values (rates 0..1, durations in seconds, ISO timestamps); only the
// table turns them into words and bars.
import { formatDuration } from "../duration.js";
import { renderTable } from "../text-table.js";
import type { ColumnKind, ReportColumn } from "./catalog.js";

export type ReportFormat = "table" | "csv" | "json";
export const REPORT_FORMATS: readonly ReportFormat[] = ["table", "csv", "json"];

export type ReportRow = Record<string, unknown>;

export interface ReportLayout {
  columns: readonly ReportColumn[];
  /** Key of the volume column drawn as a bar in tables. */
  bar?: string;
  /** Lines under a table that explain what its cells cannot say themselves. */
  legend?: readonly string[];
}

const BAR_WIDTH = 20;
// Eighths of a cell, from one to eight.
const BLOCKS = ["▏", "▎", "▍", "▌", "▋", "▊", "▉", "█"] as const;
const TEXT_CELL_MAX = 60;
const RIGHT_ALIGNED: ReadonlySet<ColumnKind> = new Set(["int", "rate", "seconds"]);

/** A horizontal bar of value/max, `width` cells at full scale; any non-zero value shows at least ▏. */
export function renderBar(value: number, max: number, width = BAR_WIDTH): string {
  if (!(value > 0) || !(max > 0)) return "";
  const eighths = Math.max(1, Math.round((Math.min(value, max) / max) * width * 8));
  const rest = eighths % 8;
  return "█".repeat(Math.floor(eighths / 8)) + (rest ? BLOCKS[rest - 1] : "");
}

/** One line, no control characters, at most `max` columns: flow names and errors are user text. */
function oneLine(text: string, max = TEXT_CELL_MAX): string {
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function tableCell(col: ReportColumn, row: ReportRow): string {
  const v = row[col.key];
  if (v === null || v === undefined) return "-";
  switch (col.kind) {
    case "int":
      return Number(v).toLocaleString("en-US");
    case "rate":
      return `${(Number(v) * 100).toFixed(1)}%`;
    case "seconds":
      return formatDuration(Number(v) * 1000);
    case "timestamp":
      // 2025-03-01T10:00:00.000Z -> 2025-03-01 10:00 (headers say UTC)
      return String(v).slice(0, 16).replace("T", " ");
    case "flow": {
      const id = typeof row.flow_id === "string" ? row.flow_id : "";
      const name = oneLine(String(v));
      return id && name !== id ? `${name} (${id.slice(0, 8)})` : name;
    }
    default:
      return oneLine(String(v));
  }
}

export function renderReportTable(layout: ReportLayout, rows: readonly ReportRow[]): string {
  const shown = layout.columns.filter((c) => c.kind !== "id");
  const headers = shown.map((c) => c.label);
  const cells = rows.map((r) => shown.map((c) => tableCell(c, r)));
  const rightAlign = shown.flatMap((c, i) => (RIGHT_ALIGNED.has(c.kind) ? [i] : []));
  if (layout.bar) {
    const volumes = rows.map((r) => Number(r[layout.bar!] ?? 0));
    const max = Math.max(0, ...volumes);
    headers.push("");
    for (const [i, line] of cells.entries()) line.push(renderBar(volumes[i]!, max));
  }
  return renderTable(headers, cells, { rightAlign });
}

export interface CsvOptions {
  /** Cells exactly as stored, without the formula guard (`report --csv-raw`). */
  raw?: boolean;
}

// OWASP "CSV Injection": a spreadsheet runs a cell that starts with = + - @ (or tab/CR, which some
// strip first) as a formula. Bird values (tag values, names, comments) are user text: such a cell gets
// a leading ' and quotes, which spreadsheets show as text. Plain numbers (-3, +1.5e3) are left alone.
const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** RFC 4180: fields with a comma, quote, CR or LF are quoted, quotes doubled; CRLF after every record. */
export function renderCsv(headers: readonly string[], rows: readonly (readonly unknown[])[], opts: CsvOptions = {}): string {
  const field = (v: unknown): string => {
    if (v === null || v === undefined) return "";
    const text = typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : JSON.stringify(v);
    if (!opts.raw && FORMULA_START.test(text) && !PLAIN_NUMBER.test(text)) return `"'${text.replace(/"/g, '""')}"`;
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return [headers, ...rows].map((r) => `${r.map(field).join(",")}\r\n`).join("");
}

export function renderReportCsv(layout: ReportLayout, rows: readonly ReportRow[], opts: CsvOptions = {}): string {
  return renderCsv(
    layout.columns.map((c) => c.key),
    rows.map((r) => layout.columns.map((c) => r[c.key])),
    opts,
  );
}

/** A json array of objects keyed by the view's column names, in column order. */
export function renderReportJson(layout: ReportLayout, rows: readonly ReportRow[]): string {
  const objects = rows.map((r) => Object.fromEntries(layout.columns.map((c) => [c.key, r[c.key] ?? null])));
  return `${JSON.stringify(objects, null, 2)}\n`;
}

/**
 * The legend under a table, after a blank line (issue 24: the bar column had no title and no key):
 * what the bar measures and what a full bar is worth, and the report's own notes.
 */
export function renderTableLegend(layout: ReportLayout, rows: readonly ReportRow[]): string {
  const lines: string[] = [];
  const barColumn = layout.columns.find((c) => c.key === layout.bar);
  if (barColumn && rows.length > 0) {
    const max = Math.max(0, ...rows.map((r) => Number(r[barColumn.key] ?? 0)));
    lines.push(`bar: ${barColumn.label}, to scale (${renderBar(max, max) || "empty"} = ${max.toLocaleString("en-US")})`);
  }
  lines.push(...(layout.legend ?? []));
  return lines.length > 0 ? `\n${lines.join("\n")}\n` : "";
}

export function renderReport(layout: ReportLayout, rows: readonly ReportRow[], format: ReportFormat, opts: CsvOptions = {}): string {
  if (format === "csv") return renderReportCsv(layout, rows, opts);
  if (format === "json") return renderReportJson(layout, rows);
  return renderReportTable(layout, rows) + renderTableLegend(layout, rows);
}
