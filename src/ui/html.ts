// The status page's one way to write HTML and SVG: the `html` tagged template. Every interpolated
// value is escaped (text, attribute values and SVG text alike) unless it is a fragment that `html`
// itself built, so a value from the API (run ids, reasons, payloads: anything) cannot become markup.
// Escaping is @remix-run/html-template's; this module adds only what the page needs on top (visible
// control characters, no booleans), and is the only one allowed to import it (biome.json).
import { type SafeHtml, html as escapingHtml, isSafeHtml } from "@remix-run/html-template";
import { formatDuration } from "../duration.js";

export type { SafeHtml };

/** What `html` takes: text and numbers (escaped), nothing (null, undefined), fragments, lists of these (joined). */
export type Html = SafeHtml | string | number | null | undefined | readonly Html[];
type Escapable = Parameters<typeof escapingHtml>[1];

// Control characters (other than tab, newline and carriage return) shown as visible \u escapes, and
// lone surrogates as U+FFFD: an error or payload may hold either, and neither belongs in a page.
function visible(value: Html): Escapable {
  if (typeof value === "string") {
    return value
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)
      .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
  }
  if (value === null || value === undefined || typeof value === "number" || isSafeHtml(value)) return value;
  return value.map(visible);
}

/** The escaping template tag: html`<td title="${text}">${text}</td>` escapes both; a nested html`…` stays markup. */
export function html(strings: TemplateStringsArray, ...values: Html[]): SafeHtml {
  return escapingHtml(strings, ...values.map(visible));
}

/** `items` with `separator` between them. */
export function joinHtml(items: readonly Html[], separator: SafeHtml): SafeHtml {
  return html`${items.map((item, i) => (i === 0 ? item : html`${separator}${item}`))}`;
}

/** A fragment-safe id for a flow's history anchor. */
export function historyId(flowId: string): string {
  return `history-${flowId.replace(/[^a-zA-Z0-9-]/g, "_")}`;
}

const dash = html`<span class="muted">-</span>`;

/** `<time>` with the exact instant in datetime and title, "4 m 10 s ago" as text. */
export function ago(iso: string | null | undefined, now: number): SafeHtml {
  if (!iso) return html`<span class="muted">never</span>`;
  return html`<time datetime="${iso}" title="${iso}">${formatDuration(now - Date.parse(iso))} ago</time>`;
}

export function num(n: number | null | undefined): SafeHtml {
  return n === null || n === undefined ? dash : html`${Number(n).toLocaleString("en-US")}`;
}

export function duration(ms: number | null | undefined): SafeHtml {
  return ms === null || ms === undefined ? dash : html`${formatDuration(ms)}`;
}

/** Long text (errors, reasons) cut for a cell, whole in the title. */
export function clipped(text: string | null | undefined, max = 120): SafeHtml {
  if (!text) return dash;
  const short = text.length > max ? `${text.slice(0, max - 1)}…` : text;
  // dir=auto: an error or reason quoting right-to-left Bird text keeps its own order (issue 24).
  return html`<span dir="auto" title="${text}">${short}</span>`;
}

export function stateClass(state: string): string {
  return `state state-${state.replace(/\s+/g, "-")}`;
}

export interface Column {
  label: string;
  /** Right-aligned numbers. */
  numeric?: boolean;
}

const numClass = (numeric: boolean | undefined) => (numeric ? html` class="num"` : null);

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
  rows: readonly (readonly Html[])[],
  empty: string,
  note?: Html,
  opts: { cards?: boolean } = {},
): SafeHtml {
  const head = columns.map((c) => html`<th scope="col"${numClass(c.numeric)}>${c.label}</th>`);
  const body =
    rows.length === 0
      ? html`<tr><td colspan="${columns.length}" class="muted">${empty}</td></tr>`
      : joinHtml(
          rows.map(([first, ...rest]) => {
            const tds = rest.map((c, i) => {
              const col = columns[i + 1];
              // In a card the label is the cell's first grid column, the value (one box) its second.
              const value = opts.cards ? html`<div class="v">${c}</div>` : c;
              return html`<td${numClass(col?.numeric)} data-label="${col?.label}">${value}</td>`;
            });
            return html`<tr><th scope="row">${first}</th>${tds}</tr>`;
          }),
          html`\n`,
        );
  // The caption scrolls with a wide table, so it stays short; the longer note sits above, unclipped.
  const described = note ? html` aria-describedby="${id}-note"` : null;
  return html`${note ? html`<p class="note" id="${id}-note">${note}</p>` : null}<div class="scroll" role="region" aria-labelledby="${id}-caption" tabindex="0">
<table id="${id}"${opts.cards ? html` class="cards"` : null}${described}><caption id="${id}-caption">${caption}</caption>
<thead><tr>${head}</tr></thead>
<tbody>
${body}
</tbody></table></div>`;
}
