// Issue 6: the report renderers — aligned tables with bars, RFC 4180 csv, json arrays.
import { describe, expect, it } from "vitest";
import type { ReportColumn } from "../src/report/catalog.js";
import { displayWidth } from "../src/text-table.js";
import { renderBar, renderCsv, renderReport, renderReportTable } from "../src/report/format.js";

const layout: { columns: ReportColumn[]; bar: string } = {
  columns: [
    { key: "flow_id", label: "flow id", kind: "id" },
    { key: "flow_name", label: "flow", kind: "flow" },
    { key: "runs", label: "runs", kind: "int" },
    { key: "rate", label: "rate", kind: "rate" },
    { key: "p50", label: "p50", kind: "seconds" },
    { key: "at", label: "at (UTC)", kind: "timestamp" },
  ],
  bar: "runs",
};
const ID_A = "0b6c12ab-0000-4000-8000-000000000001";
const ID_B = "0b6c12ab-0000-4000-8000-000000000002";
const rows = [
  { flow_id: ID_A, flow_name: "Invoices", runs: 1600, rate: 0.75, p50: 4500, at: "2025-03-03T09:00:00.000Z" },
  { flow_id: ID_B, flow_name: ID_B, runs: 10, rate: null, p50: null, at: null },
  { flow_id: ID_A, flow_name: 'Vendors, "EU" 供应商\nline two', runs: 0, rate: 1 / 3, p50: 59.6, at: "2025-03-04T23:59:59.999Z" },
];

/** Splits a rendered table into cells by the rule line under its header (terminal columns, not UTF-16 units). */
function tableCells(table: string): string[][] {
  const lines = table.trimEnd().split("\n");
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
  return lines.map((l) => spans.map(([a, b]) => slice(l, a, b)));
}

describe("renderBar", () => {
  it("scales to the maximum in eighths of a cell", () => {
    expect(renderBar(160, 160)).toBe("█".repeat(20));
    expect(renderBar(80, 160)).toBe("█".repeat(10));
    expect(renderBar(3, 160)).toBe("▍"); // 3/160 of 20 cells = 3 eighths
    expect(renderBar(12, 160)).toBe("█▌"); // 12 eighths: one cell and a half
    expect(renderBar(13, 160)).toBe("█▋");
    expect(renderBar(7, 8, 1)).toBe("▉");
  });
  it("shows any non-zero value, and nothing for zero or an empty scale", () => {
    expect(renderBar(1, 1_000_000)).toBe("▏");
    expect(renderBar(0, 10)).toBe("");
    expect(renderBar(0, 0)).toBe("");
  });
});

describe("renderCsv", () => {
  it("quotes commas, quotes and line breaks (RFC 4180) and ends every record with CRLF", () => {
    const out = renderCsv(
      ["a", "b", "c", "d"],
      [
        ["x, y", 'say "hi"', "one\ntwo", null],
        [1.5, 0, "", "plain"],
      ],
    );
    expect(out).toBe('a,b,c,d\r\n"x, y","say ""hi""","one\ntwo",\r\n1.5,0,,plain\r\n');
  });
});

describe("renderCsv's formula guard (OWASP CSV injection)", () => {
  it("prefixes ' and quotes cells that start with = + - @, tab or CR; numbers and other text stay as they are", () => {
    const out = renderCsv(
      ["v"],
      [
        ['=HYPERLINK("http://x","y")'],
        ["+1 555 0100"],
        ["-2+3"],
        ["@SUM(A1)"],
        ["\t=1"],
        ["\r=1"],
        ["-3"],
        [-3],
        ["+1.5e3"],
        ["a=b"],
        ["plain"],
      ],
    );
    expect(out.split("\r\n").slice(1, -1)).toEqual([
      `"'=HYPERLINK(""http://x"",""y"")"`,
      `"'+1 555 0100"`,
      `"'-2+3"`,
      `"'@SUM(A1)"`,
      `"'\t=1"`,
      `"'\r=1"`,
      "-3",
      "-3",
      "+1.5e3",
      "a=b",
      "plain",
    ]);
  });

  it("--csv-raw writes the cells as stored (still RFC 4180 quoted)", () => {
    expect(renderCsv(["v"], [['=HYPERLINK("x")'], ["@a"]], { raw: true })).toBe('v\r\n"=HYPERLINK(""x"")"\r\n@a\r\n');
  });
});

describe("renderReport", () => {
  it("table: a legend under it, after a blank line, says what the bar measures and what a full bar is", () => {
    const text = renderReport(layout, rows, "table");
    const [table, legend] = text.split("\n\n");
    expect(table).toBe(renderReportTable(layout, rows).trimEnd());
    expect(legend).toBe(`bar: runs, to scale (${"█".repeat(20)} = 1,600)\n`);
    expect(renderReport({ ...layout, legend: ["a note"] }, rows, "table")).toMatch(/= 1,600\)\na note\n$/);
    // No bar and no notes: no legend.
    expect(renderReport({ columns: layout.columns }, rows, "table")).toBe(renderReportTable({ columns: layout.columns }, rows));
  });

  it("table: numbers right-aligned, rates and durations in words, flows named with a short id, a bar column", () => {
    const table = renderReportTable(layout, rows);
    const cells = tableCells(table);
    expect(cells).toHaveLength(5);
    // Headers: the flow id column is folded into the flow column; the bar column has no title.
    expect(cells[0]!.map((c) => c.trim())).toEqual(["flow", "runs", "rate", "p50", "at (UTC)", ""]);
    expect(cells.slice(2).map((r) => r.map((c) => c.trim()))).toEqual([
      ["Invoices (0b6c12ab)", "1,600", "75.0%", "1h 15m", "2025-03-03 09:00", "█".repeat(20)],
      [ID_B, "10", "-", "-", "-", "▏"],
      ['Vendors, "EU" 供应商 line two (0b6c12ab)', "0", "33.3%", "1m 00s", "2025-03-04 23:59", ""],
    ]);
    // Right-aligned: every numeric cell ends at its column's right edge.
    for (const row of cells.slice(2)) for (const i of [1, 2, 3]) expect(row[i]!.endsWith(" ")).toBe(false);
    // Left-aligned text: the flow cell starts at the column's left edge.
    for (const row of cells.slice(2)) expect(row[0]!.startsWith(" ")).toBe(false);
  });

  it("csv: raw values under the view's column names, nulls empty", () => {
    expect(renderReport(layout, rows, "csv")).toBe(
      "flow_id,flow_name,runs,rate,p50,at\r\n" +
        `${ID_A},Invoices,1600,0.75,4500,2025-03-03T09:00:00.000Z\r\n` +
        `${ID_B},${ID_B},10,,,\r\n` +
        `${ID_A},"Vendors, ""EU"" 供应商\nline two",0,${1 / 3},59.6,2025-03-04T23:59:59.999Z\r\n`,
    );
    expect(renderReport(layout, [], "csv")).toBe("flow_id,flow_name,runs,rate,p50,at\r\n");
  });

  it("json: an array of objects in column order, nulls kept", () => {
    const parsed = JSON.parse(renderReport(layout, rows, "json")) as Record<string, unknown>[];
    expect(parsed).toEqual(rows);
    expect(Object.keys(parsed[0]!)).toEqual(["flow_id", "flow_name", "runs", "rate", "p50", "at"]);
    expect(renderReport(layout, [], "json")).toBe("[]\n");
  });
});
