// A running full pass (a backfill or a reconcile) on the page: runs and pages so far from its open
// bird.sync_passes row, and, when a total can be known, a percentage and an ETA from the rate so far
// (issue 24; the CLI's progress bar does the same for a reconcile).
import type { OpenFullPass } from "../db/console.js";
import { formatDuration } from "../duration.js";
import { type SafeHtml, html, joinHtml, num } from "./html.js";

export interface PassProgress {
  startedAt: string;
  pages: number;
  runsSeen: number;
  /** Runs per second in the open segment; null when it has just begun. */
  runsPerSecond: number | null;
  /** How many runs the pass should see: the stored runs of a flow already backfilled, else the last completed full pass's count. */
  expectedRuns: number | null;
  /** 0..99 while the pass runs (it ends at 100 by completing, not by this estimate). */
  percent: number | null;
  etaSeconds: number | null;
  /** False when no process holds the flow's lease: the pass waits to be resumed, no ETA. */
  moving: boolean;
}

export function passProgress(open: OpenFullPass, flow: { runs: number; backfilled: boolean }, now: number): PassProgress {
  const runsSeen = Number(open.runsSeen);
  const elapsed = (now - Date.parse(open.segmentStartedAt)) / 1000;
  const segmentRuns = Number(open.segmentRunsSeen);
  // Rounded as shown, and the ETA derived from the rate shown, so the page and /api/status agree with themselves.
  const rate = elapsed >= 1 && segmentRuns > 0 ? Math.round((segmentRuns / elapsed) * 10) / 10 : 0;
  const runsPerSecond = rate > 0 ? rate : null;
  const previous = open.previousRunsSeen === null ? null : Number(open.previousRunsSeen);
  const expected = flow.backfilled && flow.runs > 0 ? flow.runs : previous !== null && previous > 0 ? previous : null;
  const percent = expected === null ? null : Math.min(99, Math.floor((runsSeen / expected) * 100));
  const eta = expected !== null && runsPerSecond !== null && open.leased ? Math.max(0, (expected - runsSeen) / runsPerSecond) : null;
  return {
    startedAt: open.passStartedAt,
    pages: Number(open.pages),
    runsSeen,
    runsPerSecond,
    expectedRuns: expected,
    percent,
    etaSeconds: eta === null ? null : Math.round(eta),
    moving: open.leased,
  };
}

/** The flows table's view of it: a <progress> bar when a total is known, then the counts. */
export function progressCell(p: PassProgress): SafeHtml {
  const bar =
    p.percent === null
      ? null
      : html`<progress max="100" value="${p.percent}" aria-label="full pass ${p.percent}% done">${p.percent}%</progress> <span class="nw">${p.percent}%</span><br>`;
  const parts = [
    html`${num(p.runsSeen)}${p.expectedRuns === null ? null : html` of ~${num(p.expectedRuns)}`} runs`,
    html`${num(p.pages)} pages`,
    p.runsPerSecond === null ? null : html`${p.runsPerSecond} runs/s`,
    !p.moving ? "paused, resumes next cycle" : p.etaSeconds === null ? null : html`ETA ${formatDuration(p.etaSeconds * 1000)}`,
  ].filter((t) => t !== null);
  return html`<div class="progress" data-progress>${bar}${joinHtml(
    parts.map((t) => html`<span class="nw">${t}</span>`),
    html` · `,
  )}</div>`;
}
