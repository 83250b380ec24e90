// Aligned plain-text tables for terminals (status, reports). Width is terminal columns: wide CJK and
// emoji take two, combining marks none (flow names are user text in any script).
import stringWidth from "string-width";

export interface TableOptions {
  /** Column indexes to right-align (numbers). */
  rightAlign?: readonly number[];
}

/** Terminal columns the text takes (string-width: East Asian Width, emoji sequences, zero-width marks). */
export function displayWidth(text: string): number {
  return stringWidth(text);
}

const width = displayWidth;

export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[], opts: TableOptions = {}): string {
  const right = new Set(opts.rightAlign ?? []);
  const widths = headers.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ""))));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => {
        const pad = " ".repeat(widths[i]! - width(c));
        return right.has(i) ? pad + c : c + pad;
      })
      .join("  ")
      .trimEnd();
  const rule = widths.map((w) => "─".repeat(w)).join("  ");
  return `${[line(headers), rule, ...rows.map(line)].join("\n")}\n`;
}
