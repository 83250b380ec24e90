// Running `report` in process as the CLI does, and reading what it printed: CSV records, table cells and bars.
import { Writable } from "node:stream";
import { expect } from "vitest";
import { failureLine } from "../../src/commands/common.js";
import type { Database } from "../../src/db/database.js";
import { type ReportArgs, runReportCommand } from "../../src/commands/report.js";
import { exitCodeOf } from "../../src/sync/outcome.js";
import { displayWidth } from "../../src/text-table.js";
import { NAMES } from "./report-fixture.js";

export function normalize(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v])));
}

export function capture(): { out: Writable; text: () => string } {
  let buf = "";
  const out = new Writable({ write: (chunk, _enc, done) => ((buf += chunk.toString()), done()) });
  return { out, text: () => buf };
}

/** Runs the report as the CLI does: a thrown error prints its one line on stderr and maps to its exit code. */
export async function report(db: Database, args: Partial<ReportArgs> & { name?: string }) {
  const { out, text } = capture();
  const code = await runReportCommand(db, { format: "table", ...args }, out).then(
    () => exitCodeOf(undefined),
    (error: unknown) => (process.stderr.write(failureLine(error, [])), exitCodeOf({ error })),
  );
  return { code, text: text() };
}

/** RFC 4180 reader, enough for the tests: quoted fields, doubled quotes, CRLF records. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = "";
  let record: string[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '"') {
      for (i++; i < text.length; i++) {
        if (text[i] === '"' && text[i + 1] === '"') (field += '"'), i++;
        else if (text[i] === '"') break;
        else field += text[i];
      }
    } else if (ch === ",") record.push(field), (field = "");
    else if (ch === "\r" && text[i + 1] === "\n") record.push(field), records.push(record), (record = []), (field = ""), i++;
    else field += ch;
  }
  expect(field + record.join("")).toBe(""); // every record ended with CRLF
  return records;
}

/** Cells of an aligned table, cut by the rule line under its header in terminal columns; the legend after a blank line is left out. */
function tableCells(table: string): string[][] {
  const lines = table.split("\n\n")[0]!.trimEnd().split("\n");
  const spans = [...lines[1]!.matchAll(/─+/g)].map((m) => [m.index, m.index + m[0].length] as const);
  const slice = (line: string, from: number, to: number) => {
    let col = 0;
    let out = "";
    for (const ch of line) {
      if (col >= from && col < to) out += ch;
      col += displayWidth(ch);
    }
    return out;
  };
  return [lines[0]!, ...lines.slice(2)].map((l) => spans.map(([a, b]) => slice(l, a, b)));
}

export const flowLabel = (id: string) => (NAMES[id] ? `${NAMES[id]} (${id.slice(0, 8)})` : id);
export const pct = (x: number | null) => (x === null ? "-" : `${(x * 100).toFixed(1)}%`);
export const minute = (t: string | null) => (t === null ? "-" : `${t.slice(0, 10)} ${t.slice(11, 16)}`);
const eighths = (bar: string) => [...bar.trim()].reduce((n, ch) => n + "▏▎▍▌▋▊▉█".indexOf(ch) + 1, 0);

/** The table's rows equal `expected` (cells as shown) and its bar column is scaled to the largest volume. */
export function expectTable(text: string, headers: string[], expected: unknown[][], volumes?: number[]) {
  const cells = tableCells(text);
  const withBar = volumes !== undefined;
  expect(cells[0]!.map((c) => c.trim())).toEqual(withBar ? [...headers, ""] : headers);
  const body = cells.slice(1);
  expect(body.map((r) => r.slice(0, headers.length).map((c) => c.trim()))).toEqual(expected);
  if (volumes) {
    const max = Math.max(...volumes);
    for (const [i, r] of body.entries())
      expect(eighths(r[headers.length]!)).toBe(volumes[i]! === 0 ? 0 : Math.max(1, Math.round((volumes[i]! / max) * 160)));
    expect(body.some((r) => r[headers.length]!.trim() === "█".repeat(20))).toBe(true);
  }
  return body;
}
