// Aligned plain-text tables for terminals (status, reports). Width is terminal columns: wide CJK and
// emoji take two, combining marks none (flow names are user text in any script).

export interface TableOptions {
  /** Column indexes to right-align (numbers). */
  rightAlign?: readonly number[];
}

const WIDE =
  /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{1f300}-\u{1faff}\u{20000}-\u{3fffd}]/u;
// biome-ignore lint/suspicious/noMisleadingCharacterClass: a class of lone combining marks is the point (they take no column).
const ZERO = /[\u0300-\u036f\u200b-\u200f\ufe00-\ufe0f]/u;

export function displayWidth(text: string): number {
  let w = 0;
  for (const ch of text) w += ZERO.test(ch) ? 0 : WIDE.test(ch) ? 2 : 1;
  return w;
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
