// Small, safe HTML building blocks: every value goes through esc() (the page shows run ids, reasons
// and payloads that came from the API and may hold anything).
import { formatDuration } from "../duration.js";

/** Escapes text for element content and quoted attributes; control characters become visible escapes. */
export function esc(value: unknown): string {
  const s = value === null || value === undefined ? "" : String(value);
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;")
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
}

/** A fragment-safe id for a flow's history anchor. */
export function historyId(flowId: string): string {
  return `history-${flowId.replace(/[^a-zA-Z0-9-]/g, "_")}`;
}

/** `<time>` with the exact instant in datetime and title, "4 m 10 s ago" as text. */
export function ago(iso: string | null | undefined, now: number): string {
  if (!iso) return `<span class="muted">never</span>`;
  return `<time datetime="${esc(iso)}" title="${esc(iso)}">${esc(formatDuration(now - Date.parse(iso)))} ago</time>`;
}

export function num(n: number | null | undefined): string {
  return n === null || n === undefined ? `<span class="muted">-</span>` : esc(Number(n).toLocaleString("en-US"));
}

export function duration(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? `<span class="muted">-</span>` : esc(formatDuration(ms));
}

/** Long text (errors, reasons) cut for a cell, whole in the title. */
export function clipped(text: string | null | undefined, max = 120): string {
  if (!text) return `<span class="muted">-</span>`;
  const short = text.length > max ? `${text.slice(0, max - 1)}…` : text;
  // dir=auto: an error or reason quoting right-to-left Bird text keeps its own order (issue 24).
  return `<span dir="auto" title="${esc(text)}">${esc(short)}</span>`;
}

export function stateClass(state: string): string {
  return `state state-${state.replace(/\s+/g, "-")}`;
}

export interface Column {
  label: string;
  /** Right-aligned numbers. */
  numeric?: boolean;
}

/**
 * A table in a horizontally scrolling, focusable region: wide tables scroll inside it instead of
 * widening the page on a phone. The first cell of each row is its row header. `cards`: on a narrow
 * screen each row becomes a card of labelled fields (data-label, render.ts's CSS), so every field of
 * a row is on screen without sideways scrolling (issue 24).
 */
export function table(
  id: string,
  caption: string,
  columns: readonly Column[],
  rows: readonly string[][],
  empty: string,
  note?: string,
  opts: { cards?: boolean } = {},
): string {
  const head = columns.map((c) => `<th scope="col"${c.numeric ? ' class="num"' : ""}>${esc(c.label)}</th>`).join("");
  const body =
    rows.length === 0
      ? `<tr><td colspan="${columns.length}" class="muted">${esc(empty)}</td></tr>`
      : rows
          .map((cells) => {
            const [first, ...rest] = cells;
            const tds = rest
              .map((c, i) => {
                const col = columns[i + 1];
                // In a card the label is the cell's first grid column, the value (one box) its second.
                const value = opts.cards ? `<div class="v">${c}</div>` : c;
                return `<td${col?.numeric ? ' class="num"' : ""} data-label="${esc(col?.label)}">${value}</td>`;
              })
              .join("");
            return `<tr><th scope="row">${first ?? ""}</th>${tds}</tr>`;
          })
          .join("\n");
  // The caption scrolls with a wide table, so it stays short; the longer note sits above, unclipped.
  const described = note ? ` aria-describedby="${id}-note"` : "";
  return `${note ? `<p class="note" id="${id}-note">${note}</p>` : ""}<div class="scroll" role="region" aria-labelledby="${id}-caption" tabindex="0">
<table id="${id}"${opts.cards ? ' class="cards"' : ""}${described}><caption id="${id}-caption">${caption}</caption>
<thead><tr>${head}</tr></thead>
<tbody>
${body}
</tbody></table></div>`;
}
