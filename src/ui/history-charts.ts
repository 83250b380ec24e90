// The status page's decision-history charts (issue 22), inline SVG like charts.ts: runs decided per
// day by outcome, and a per-flow step timeline (p50 time on each step, laid end to end).
import type { DecisionDayRow, StepTimeRow } from "../db/console-history.js";
import { empty, legend } from "./charts.js";
import { type SafeHtml, html } from "./html.js";
import { formatDuration } from "../duration.js";

const W = 360;
const PAD = { left: 96, right: 8, top: 8, bottom: 24 };
const STATUS_COLORS: Record<string, string> = { approved: "#2e7d32", denied: "#c62828" };
const STEP_COLORS = ["#1565c0", "#6a1b9a", "#00838f", "#ef6c00", "#558b2f", "#ad1457"];
const FLOWS_SHOWN = 12;

function svg(id: string, h: number, title: string, desc: string, body: SafeHtml): SafeHtml {
  return html`<svg viewBox="0 0 ${W} ${h}" role="img" aria-labelledby="${id}-t ${id}-d" class="chart" preserveAspectRatio="xMidYMid meet">
<title id="${id}-t">${title}</title><desc id="${id}-d">${desc}</desc>${body}</svg>`;
}

/** Stacked bars: runs decided per UTC day, by outcome. */
export function decisionsChart(rows: readonly DecisionDayRow[]): SafeHtml {
  if (rows.length === 0) return empty("No decisions yet.");
  const days = [...new Set(rows.map((r) => r.day))].sort();
  const totals = days.map((d) => rows.filter((r) => r.day === d).reduce((n, r) => n + Number(r.runs), 0));
  const max = Math.max(...totals, 1);
  const h = 200;
  const plotW = W - 48 - PAD.right;
  const plotH = h - PAD.top - 36;
  const slot = plotW / days.length;
  const bw = Math.min(28, Math.max(1, slot * 0.8));
  const bars = days.map((d, i) => {
    let y = PAD.top + plotH;
    const x = 48 + i * slot + (slot - bw) / 2;
    return rows
      .filter((r) => r.day === d)
      .map((r) => {
        const bh = (Number(r.runs) / max) * plotH;
        y -= bh;
        const color = STATUS_COLORS[r.status] ?? "#9e9e9e";
        return html`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${bw.toFixed(1)}" height="${bh.toFixed(1)}" fill="${color}"><title>${`${d}: ${r.runs} ${r.status}`}</title></rect>`;
      });
  });
  const axis = html`<text x="44" y="${PAD.top + 10}" text-anchor="end">${max}</text><text x="44" y="${PAD.top + plotH}" text-anchor="end">0</text>`;
  const labels = html`<text x="48" y="${h - 14}">${days[0]}</text><text x="${W - PAD.right}" y="${h - 14}" text-anchor="end">${days.at(-1)}</text>`;
  const desc = `${days.length} days from ${days[0]} to ${days.at(-1)}; ${totals.reduce((a, b) => a + b, 0)} runs decided.`;
  const chart = svg("chart-decisions", h, "Runs decided per day by outcome", desc, html`${axis}${bars}${labels}`);
  return html`${chart}${legend(Object.entries(STATUS_COLORS))}`;
}

/** One bar per flow: the p50 time on each step (the middle of its bounds), steps in order end to end. */
export function stepTimelineChart(rows: readonly StepTimeRow[]): SafeHtml {
  if (rows.length === 0) return empty("No run has left a step yet.");
  const flows = [...new Set(rows.map((r) => r.flowId))].slice(0, FLOWS_SHOWN);
  const mid = (r: StepTimeRow) => (Number(r.p50Low) + Number(r.p50High)) / 2;
  const perFlow = flows.map((f) => rows.filter((r) => r.flowId === f));
  const max = Math.max(...perFlow.map((steps) => steps.reduce((n, r) => n + mid(r), 0)), 1);
  const rowH = 20;
  const h = PAD.top + flows.length * rowH + PAD.bottom;
  const plotW = W - PAD.left - PAD.right;
  const bars = perFlow.map((steps, i) => {
    const y = PAD.top + i * rowH;
    let x = PAD.left;
    const name = steps[0]!.flowName.length > 14 ? `${steps[0]!.flowName.slice(0, 13)}…` : steps[0]!.flowName;
    const segments = steps.map((r, j) => {
      const w = (mid(r) / max) * plotW;
      const seg = html`<rect x="${x.toFixed(1)}" y="${y}" width="${Math.max(w, 1).toFixed(1)}" height="${rowH - 6}" fill="${STEP_COLORS[j % STEP_COLORS.length]}"><title>${`${r.flowName}, step ${r.step}: p50 between ${formatDuration(Number(r.p50Low) * 1000)} and ${formatDuration(Number(r.p50High) * 1000)} (${r.runs} ${Number(r.runs) === 1 ? "run" : "runs"})`}</title></rect>`;
      x += w;
      return seg;
    });
    return html`<text x="${PAD.left - 4}" y="${y + rowH - 9}" text-anchor="end">${name}</text>${segments}`;
  });
  const axis = html`<text x="${PAD.left}" y="${h - 8}">0</text><text x="${W - PAD.right}" y="${h - 8}" text-anchor="end">${formatDuration(max * 1000)}</text>`;
  const desc = perFlow
    .map((steps) => `${steps[0]!.flowName}: ${steps.map((r) => `step ${r.step} ${formatDuration(mid(r) * 1000)}`).join(", ")}`)
    .join("; ");
  return svg("chart-steps", h, "Time on each step per flow (p50)", desc, html`${bars}${axis}`);
}
