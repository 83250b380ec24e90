// Inline SVG charts (no script, no external assets): they scale with their container through the
// viewBox, carry a <title>/<desc> for screen readers, and a <title> per bar for the exact value.
import type { DailyVolumeRow, LatencyRow } from "../db/console.js";
import { type SafeHtml, html } from "./html.js";
import type { Cycle } from "./cycles.js";
import { formatDuration } from "../duration.js";

// Narrow enough that 11 px labels stay legible when a 390 px phone scales the chart down.
const W = 360;
const H = 200;
const PAD = { left: 48, right: 8, top: 12, bottom: 36 };
// The plot area inside the padding, shared by every chart.
const PLOT_W = W - PAD.left - PAD.right;
const PLOT_H = H - PAD.top - PAD.bottom;
const STATUS_COLORS: Record<string, string> = { approved: "#2e7d32", denied: "#c62828", pending: "#f9a825" };

/** 0, then round steps (1-2-5 × 10ⁿ) up to the first at or above `v`: at most 5 ticks. */
export function countTicks(v: number): number[] {
  const target = Math.max(v, 1) / 4;
  const mag = 10 ** Math.floor(Math.log10(target));
  const step = Math.max(1, ([1, 2, 5, 10].find((s) => s * mag >= target) ?? 10) * mag);
  return stepsUpTo(v, step);
}

// Round durations in seconds, so axes read "6h, 12h, 18h", never "1d 03h".
const DURATION_STEPS = [
  1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400, 172_800, 604_800, 1_209_600, 2_592_000,
];

/** 0, then round-duration steps up to the first at or above `seconds`: at most 5 ticks (more only beyond 4 months). */
export function durationTicks(seconds: number): number[] {
  const v = Math.max(seconds, 1);
  const step = DURATION_STEPS.find((s) => v / s <= 4) ?? 2_592_000 * Math.ceil(v / 2_592_000 / 4);
  return stepsUpTo(v, step);
}

function stepsUpTo(v: number, step: number): number[] {
  const n = Math.max(1, Math.ceil(v / step));
  return Array.from({ length: n + 1 }, (_, i) => i * step);
}

/** A tick in the largest unit that divides the axis step: 12h steps read 0, 12h, 24h, 36h. */
export function durationTickLabel(seconds: number, step: number): string {
  if (seconds === 0) return "0";
  for (const [unit, size] of [
    ["d", 86_400],
    ["h", 3600],
    ["m", 60],
  ] as const) {
    if (step % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

function frame(id: string, title: string, desc: string, body: SafeHtml, ticks: readonly number[], unit: (v: number) => string): SafeHtml {
  const max = ticks[ticks.length - 1] as number;
  const lines = ticks.map((t) => {
    const y = PAD.top + PLOT_H - (t / max) * PLOT_H;
    return html`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" class="grid"/><text x="${PAD.left - 4}" y="${(y + 4).toFixed(1)}" text-anchor="end">${unit(t)}</text>`;
  });
  return html`<svg viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${id}-t ${id}-d" class="chart" preserveAspectRatio="xMidYMid meet">
<title id="${id}-t">${title}</title><desc id="${id}-d">${desc}</desc>${lines}${body}</svg>`;
}

export function legend(items: Array<[string, string]>): SafeHtml {
  return html`<ul class="legend">${items.map(([label, color]) => html`<li><span class="swatch" style="background:${color}"></span>${label}</li>`)}</ul>`;
}

export const empty = (what: string) => html`<p class="muted">${what}</p>`;

/** The x axis's first and last label, or one centred label. */
function axisLabels([first, last]: [string] | [string, string]): SafeHtml {
  return last === undefined
    ? html`<text x="${PAD.left + PLOT_W / 2}" y="${H - 14}" text-anchor="middle">${first}</text>`
    : html`<text x="${PAD.left}" y="${H - 14}">${first}</text><text x="${W - PAD.right}" y="${H - 14}" text-anchor="end">${last}</text>`;
}

/** Stacked bars: runs created per UTC day, by status. */
export function dailyVolumeChart(rows: readonly DailyVolumeRow[]): SafeHtml {
  if (rows.length === 0) return empty("No runs stored yet.");
  const days = [...new Set(rows.map((r) => r.day))].sort();
  const byDay = new Map(days.map((d) => [d, new Map<string, number>()]));
  for (const r of rows) byDay.get(r.day)?.set(r.status, Number(r.runs));
  const totals = days.map((d) => [...(byDay.get(d)?.values() ?? [])].reduce((a, b) => a + b, 0));
  const ticks = countTicks(Math.max(...totals));
  const max = ticks[ticks.length - 1] as number;
  const slot = PLOT_W / days.length;
  const bw = Math.min(28, Math.max(1, slot * 0.8));
  const bars = days.map((d, i) => {
    let y = PAD.top + PLOT_H;
    const x = PAD.left + i * slot + (slot - bw) / 2;
    return ["approved", "denied", "pending"].map((status) => {
      const n = byDay.get(d)?.get(status) ?? 0;
      const h = (n / max) * PLOT_H;
      y -= h;
      return n > 0
        ? html`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${bw.toFixed(1)}" height="${h.toFixed(1)}" fill="${STATUS_COLORS[status]}"><title>${`${d}: ${n} ${status}`}</title></rect>`
        : null;
    });
  });
  const first = days[0] as string;
  const last = days[days.length - 1] as string;
  const desc = `${days.length} days from ${first} to ${last}; ${totals.reduce((a, b) => a + b, 0)} runs.`;
  const body = html`${bars}${axisLabels(first === last ? [first] : [first, last])}`;
  return html`${frame("chart-volume", "Runs per day by status", desc, body, ticks, (v) => v.toLocaleString("en-US"))}${legend(
    Object.entries(STATUS_COLORS),
  )}`;
}

/** Grouped horizontal-axis bars: p50 and p90 decision latency per flow. */
export function latencyChart(rows: readonly LatencyRow[]): SafeHtml {
  const decided = rows.filter((r) => r.p90Seconds !== null);
  if (decided.length === 0) return empty("No decided runs yet.");
  const ticks = durationTicks(Math.max(...decided.map((r) => Number(r.p90Seconds))));
  const max = ticks[ticks.length - 1] as number;
  const slot = PLOT_W / decided.length;
  const bw = Math.min(24, Math.max(1, (slot * 0.8) / 2));
  const bars = decided.map((r, i) => {
    const x0 = PAD.left + i * slot + (slot - 2 * bw) / 2;
    const bar = (v: number, dx: number, color: string, label: string) => {
      const h = (v / max) * PLOT_H;
      return html`<rect x="${(x0 + dx).toFixed(1)}" y="${(PAD.top + PLOT_H - h).toFixed(1)}" width="${bw.toFixed(1)}" height="${h.toFixed(1)}" fill="${color}"><title>${`${r.flowName}: ${label} ${formatDuration(v * 1000)}`}</title></rect>`;
    };
    // Names under the bars only where they fit (about 6 px per character); the desc and titles have them all.
    const fit = Math.floor(slot / 7.5);
    const name = r.flowName.length > fit ? `${r.flowName.slice(0, Math.max(0, fit - 1))}…` : r.flowName;
    const label = fit >= 4 ? html`<text x="${(x0 + bw).toFixed(1)}" y="${H - 20}" text-anchor="middle">${name}</text>` : null;
    return [bar(Number(r.p50Seconds), 0, "#1565c0", "p50"), bar(Number(r.p90Seconds), bw, "#90caf9", "p90"), label];
  });
  const desc = decided
    .map((r) => `${r.flowName}: p50 ${formatDuration(Number(r.p50Seconds) * 1000)}, p90 ${formatDuration(Number(r.p90Seconds) * 1000)}`)
    .join("; ");
  const chart = frame("chart-latency", "Decision latency per flow (p50 and p90)", desc, html`${bars}`, ticks, (v) =>
    durationTickLabel(v, ticks[1] as number),
  );
  return html`${chart}${legend([
    ["p50", "#1565c0"],
    ["p90", "#90caf9"],
  ])}`;
}

/** Bars: API requests of each recent cycle (passes grouped by start time). */
export function requestsChart(cycles: readonly Cycle[]): SafeHtml {
  if (cycles.length === 0) return empty("No passes recorded yet.");
  const ticks = countTicks(Math.max(...cycles.map((c) => c.requests)));
  const max = ticks[ticks.length - 1] as number;
  const slot = PLOT_W / cycles.length;
  const bw = Math.min(24, Math.max(1, slot * 0.7));
  const bars = cycles.map((c, i) => {
    const h = (c.requests / max) * PLOT_H;
    const x = PAD.left + i * slot + (slot - bw) / 2;
    return html`<rect x="${x.toFixed(1)}" y="${(PAD.top + PLOT_H - h).toFixed(1)}" width="${bw.toFixed(1)}" height="${h.toFixed(1)}" fill="#6a1b9a"><title>${`${c.startedAt}: ${c.requests} requests over ${c.passes} passes`}</title></rect>`;
  });
  const first = cycles[0] as Cycle;
  const last = cycles[cycles.length - 1] as Cycle;
  const [from, to] = distinctTimes(first.startedAt, last.startedAt);
  const desc = `${cycles.length} cycles; the last made ${last.requests} requests, the first ${first.requests}.`;
  const body = html`${bars}${axisLabels(to === undefined ? [from] : [from, to])}`;
  return frame("chart-requests", "API requests per cycle", desc, body, ticks, (v) => v.toLocaleString("en-US"));
}

/**
 * The first and last cycle's start as two different labels: to the minute, or to the second when
 * cycles run seconds apart (issue 24: one label shown twice); one label when they are the same instant.
 */
export function distinctTimes(first: string, last: string): [string, string | undefined] {
  for (const chars of [16, 19]) {
    const a = first.slice(0, chars).replace("T", " ");
    const b = last.slice(0, chars).replace("T", " ");
    // The date once: the second label drops it when both are on one day.
    if (a !== b) return [a, a.slice(0, 10) === b.slice(0, 10) ? b.slice(11) : b];
  }
  return [first.slice(0, 19).replace("T", " "), undefined];
}

/** One square per pass, oldest left: green completed, amber interrupted, red failed, grey running. */
export function passTimeline(
  passes: ReadonlyArray<{ startedAt: string; outcome: string | null; requests: number; kind: string }>,
): SafeHtml {
  const ordered = [...passes].reverse();
  const size = 14;
  const gap = 4;
  const w = Math.max(size, ordered.length * (size + gap));
  const color = (o: string | null) =>
    o === "completed" ? "#2e7d32" : o === "interrupted" ? "#f9a825" : o === "failed" ? "#c62828" : "#9e9e9e";
  const marks = ordered.map((p, i) => {
    const x = i * (size + gap);
    const mark = p.outcome === "failed" ? "×" : p.outcome === "interrupted" ? "!" : "";
    return html`<g><rect x="${x}" y="0" width="${size}" height="${size}" rx="2" fill="${color(p.outcome)}"/>${mark ? html`<text x="${x + size / 2}" y="${size - 3}" text-anchor="middle" class="mark">${mark}</text>` : null}<title>${`${p.startedAt} ${p.kind} ${p.outcome ?? "running"}, ${p.requests} requests`}</title></g>`;
  });
  return html`<svg class="timeline" viewBox="0 0 ${w} ${size}" width="${w}" height="${size}" role="img" aria-label="${ordered.length} passes, oldest first">${marks}</svg>`;
}
