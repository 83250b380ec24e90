// Issue 15 (8): the README's tables are what operators build on — metric names and labels, and the
// columns of the `daily` report — so they are checked against the code, not trusted to stay in step.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SyncMetrics } from "../src/daemon/metrics.js";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");

/** Rows of the markdown table whose header starts with `first`. */
function tableRows(first: string): string[][] {
  const lines = readme.split("\n");
  const start = lines.findIndex((l) => l.startsWith(`| ${first} |`));
  expect(start, `README table "${first}"`).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith("|")) break;
    rows.push(
      line
        .split("|")
        .slice(1, -1)
        .map((c) => c.trim()),
    );
  }
  return rows;
}

const ticked = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);

describe("README", () => {
  it("lists every approvals_sync_ metric with exactly its labels", () => {
    const documented = new Map<string, string[]>();
    for (const [names, labels] of tableRows("metric")) for (const n of ticked(names!)) documented.set(n, ticked(labels!).sort());
    const actual = new Map<string, string[]>();
    for (const m of new SyncMetrics().registry.getMetricsAsArray()) {
      if (!m.name.startsWith("approvals_sync_")) continue;
      actual.set(m.name, [...((m as unknown as { labelNames?: string[] }).labelNames ?? [])].sort());
    }
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(actual));
  });

  it("is explicit that the performance figures were measured without the request cap", () => {
    expect(readme).toMatch(/measured with `BIRD_MAX_RPS=0`/);
  });
});

describe("README's report table", () => {
  it("lists each report's csv/json columns as the report prints them", async () => {
    const { REPORTS } = await import("../src/report/catalog.js");
    const documented = Object.fromEntries(tableRows("NAME").map((r) => [ticked(r[0]!)[0], ticked(r[3] ?? "")]));
    expect(documented).toEqual(Object.fromEntries(REPORTS.map((r) => [r.name, r.columns.map((c) => c.key)])));
  });
});

describe("README's samples", () => {
  it("count the migrations this build ships (check's `N of N applied`, and every `of N migrations` / `N migrations)`)", async () => {
    const { shippedMigrations } = await import("../src/db/schema-version.js");
    const shipped = shippedMigrations();
    const applied = [...readme.matchAll(/migrations current \((\d+) of (\d+) applied\)/g)];
    expect(applied.length).toBeGreaterThan(0);
    for (const m of applied) expect([Number(m[1]), Number(m[2])]).toEqual([shipped.length, shipped.length]);
    for (const m of readme.matchAll(/of (\d+)\s+migrations is pending \((\w+)\)/g)) {
      expect(Number(m[1])).toBe(shipped.length);
      expect(m[2]).toBe(shipped[shipped.length - 1]!.tag);
    }
    for (const m of readme.matchAll(/SYNC_AUTO_MIGRATE=true, (\d+) migrations\)/g)) expect(Number(m[1])).toBe(shipped.length);
  });

  it("show every flag of every command in the Commands table", async () => {
    const { buildProgram } = await import("../src/cli/program.js");
    // First cells of the Commands table; `\|` inside a cell is not a column break.
    const rows = readme
      .split("\n")
      .filter((l) => l.startsWith("| `approvals-sync "))
      .map((l) => l.split(/(?<!\\)\|/)[1]!.trim());
    for (const cmd of buildProgram(() => async () => undefined).commands) {
      const row = rows.find((r) => r.startsWith(`\`approvals-sync ${cmd.name()} `) || r === `\`approvals-sync ${cmd.name()}\``);
      expect(row, `README Commands row for ${cmd.name()}`).toBeDefined();
      for (const opt of cmd.options) {
        if (opt.long === "--help") continue;
        expect(row, `${cmd.name()} ${opt.long}`).toContain(opt.long);
      }
    }
  });
});
