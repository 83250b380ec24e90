// The page's sections: flows, per-flow pass history, quarantine, charts. Each returns a fragment of
// html.ts's escaping template, so every value from the database is escaped where it is interpolated.
import type { PassRow, RejectRow } from "../db/console.js";
import { dailyVolumeChart, latencyChart, passTimeline, requestsChart } from "./charts.js";
import { decisionsChart, stepTimelineChart } from "./history-charts.js";
import { type SafeHtml, ago, clipped, duration, historyId, html, joinHtml, num, stateClass, table } from "./html.js";
import { type FlowRow, REJECTS_SHOWN, type StatusModel } from "./model.js";
import { FAILING_AFTER_FAILURES } from "../health.js";
import { formatDuration } from "../duration.js";
import { progressCell } from "./pass-progress.js";

// <bdi>: a right-to-left flow name must not reorder the text around it.
const flowLabel = (f: { name: string | null; flowId: string }) => html`<bdi>${f.name ?? f.flowId}</bdi>`;

// Issue 24: "host:pid:tag" breaks after a colon (or a hostname's hyphen), never inside a word:
// code.lease wraps with overflow-wrap:break-word, which keeps a whole word's width as the column's minimum.
const leaseHolder = (owner: string) => html`<code class="lease" title="${owner}">${joinHtml(owner.split(/(?<=:)/), html`<wbr>`)}</code>`;

const muted = (text: string) => html`<span class="muted">${text}</span>`;

export function flowsSection(m: StatusModel, now: number): SafeHtml {
  // All organizations of a database that holds several: say whose each flow is.
  const byOrganization = m.organization === null && m.organizations.length > 1;
  const columns = [
    { label: "Flow" },
    ...(byOrganization ? [{ label: "Organization" }] : []),
    { label: "State" },
    { label: "Last pass" },
    { label: "When" },
    { label: "Duration", numeric: true },
    { label: "Requests", numeric: true },
    { label: "Rows", numeric: true },
    { label: "Pending", numeric: true },
    { label: "Quarantined", numeric: true },
    { label: "Recheck debt", numeric: true },
    { label: "Lag", numeric: true },
    { label: "Lease holder" },
    { label: "Last error" },
  ];
  const rows = m.flows.map((f) => {
    const p = f.lastPass;
    return [
      html`<a href="#${historyId(f.flowId)}" data-flow-id="${f.flowId}">${flowLabel(f)}</a><br><code class="id" title="${f.flowId}">${f.flowId.slice(0, 8)}…</code>`,
      ...(byOrganization ? [f.organizationId ? html`<code><bdi>${f.organizationId}</bdi></code>` : muted("not known")] : []),
      html`<span class="${stateClass(f.state)}" data-state="${f.state}">${f.state}</span><br><span class="why">${f.stateWhy}</span>`,
      html`${p ? html`${p.kind} · <span class="outcome-${p.outcome ?? "running"}">${p.outcome ?? "running"}</span>` : muted("none")}${
        f.progress ? progressCell(f.progress) : null
      }`,
      p ? ago(p.finishedAt ?? p.startedAt, now) : muted("-"),
      duration(p?.durationMs),
      num(p?.requests),
      num(f.runs),
      num(f.pending),
      num(f.quarantined),
      num(f.recheckDebt),
      f.lagSeconds === null ? muted("-") : formatDuration(f.lagSeconds * 1000),
      f.leaseHolder ? leaseHolder(f.leaseHolder) : muted("free"),
      clipped(f.lastError),
    ];
  });
  const note = html`State is judged against SYNC_SCHEDULE <code>${m.schedule}</code> (one interval = ${formatDuration(m.intervalSeconds * 1000)}): delayed after one interval, failing after two or after ${FAILING_AFTER_FAILURES} failed passes in a row.`;
  return html`<section aria-labelledby="flows-h"><h2 id="flows-h">Flows</h2>
${table("flows", "One row per flow", columns, rows, "No flows synced yet. Run approvals-sync sync or daemon.", note, { cards: true })}</section>`;
}

function historyTable(f: FlowRow, passes: readonly PassRow[], now: number): SafeHtml {
  const columns = [
    { label: "Started" },
    { label: "Kind" },
    { label: "Outcome" },
    { label: "Duration", numeric: true },
    { label: "Pages", numeric: true },
    { label: "Requests", numeric: true },
    { label: "Seen", numeric: true },
    { label: "Inserted", numeric: true },
    { label: "Updated", numeric: true },
    { label: "Unchanged", numeric: true },
    { label: "Rejected", numeric: true },
    { label: "Deleted", numeric: true },
    { label: "Skipped live", numeric: true },
    { label: "Error" },
  ];
  const rows = passes.map((p) => {
    const outcome = p.outcome ?? "running";
    const flagged = outcome === "failed" || outcome === "interrupted";
    return [
      ago(p.startedAt, now),
      html`${p.kind}${p.fromFirstPage ? null : html` <span class="muted">(resumed)</span>`}`,
      html`<span class="outcome-${outcome}">${flagged ? "⚠ " : null}${outcome}</span>`,
      duration(p.finishedAt ? Date.parse(p.finishedAt) - Date.parse(p.startedAt) : null),
      num(p.pages),
      num(p.requests),
      num(p.runsSeen),
      num(p.inserted),
      num(p.updated),
      num(p.unchanged),
      num(p.rejected),
      num(p.deleted),
      num(p.skippedLive),
      clipped(p.error),
    ];
  });
  const id = `${historyId(f.flowId)}-table`;
  return table(id, `Last ${passes.length} passes, newest first`, columns, rows, "No passes recorded.");
}

export function historySection(m: StatusModel, now: number): SafeHtml {
  const items = joinHtml(
    m.flows.map((f) => {
      const failed = f.history.filter((p) => p.outcome === "failed").length;
      const interrupted = f.history.filter((p) => p.outcome === "interrupted").length;
      const marks = [failed ? `${failed} failed` : "", interrupted ? `${interrupted} interrupted` : ""].filter(Boolean).join(", ");
      return html`<details id="${historyId(f.flowId)}" class="history">
<summary><span class="summary-name">${flowLabel(f)}</span> <span class="${stateClass(f.state)}">${f.state}</span> <span class="muted">${f.history.length} passes${marks ? ` · ${marks}` : null}</span></summary>
<div class="timeline-wrap">${passTimeline(f.history)}</div>
${historyTable(f, f.history, now)}
</details>`;
    }),
    html`\n`,
  );
  return html`<section aria-labelledby="history-h"><h2 id="history-h">Pass history</h2>
<p class="muted">Open a flow to see its last passes. Squares, oldest first: green completed, amber ! interrupted, red × failed, grey running.</p>
${m.flows.length > 0 ? items : html`<p class="muted">No flows yet.</p>`}</section>`;
}

const seenAt = (iso: string) => html`<time datetime="${iso}">${iso.replace("T", " ").slice(0, 19)}</time>`;

function payloadCell(r: RejectRow): SafeHtml | null {
  if (r.payload === undefined) return null;
  const shown = r.payload.length > 20_000 ? `${r.payload.slice(0, 20_000)}…` : r.payload;
  return html`<details><summary>payload (${r.payload.length} chars)</summary><pre>${shown}</pre></details>`;
}

export function quarantineSection(m: StatusModel): SafeHtml {
  const names = new Map(m.flows.map((f) => [f.flowId, f.name ?? f.flowId]));
  const columns = [
    { label: "Run id" },
    { label: "Flow" },
    { label: "Reason" },
    { label: "First seen" },
    { label: "Last seen" },
    { label: "Times seen", numeric: true },
    ...(m.payloadsShown ? [{ label: "Raw payload" }] : []),
  ];
  const rows = m.rejects.map((r) => [
    r.runId ? html`<code><bdi>${r.runId}</bdi></code>` : muted("(no id)"),
    html`<bdi>${names.get(r.flowId) ?? r.flowId}</bdi>`,
    clipped(r.reason, 200),
    seenAt(r.firstSeenAt),
    seenAt(r.lastSeenAt),
    num(r.timesSeen),
    ...(m.payloadsShown ? [payloadCell(r)] : []),
  ]);
  const note = `Records that failed validation (bird.sync_rejects), most recently seen first${m.rejects.length >= REJECTS_SHOWN ? ` (the latest ${REJECTS_SHOWN})` : ""}.${m.payloadsShown ? "" : " Raw payloads are shown only when STATUS_AUTH is set."}`;
  return html`<section aria-labelledby="quarantine-h"><h2 id="quarantine-h">Quarantine</h2>
${table("quarantine", `Quarantined records: ${m.rejects.length}`, columns, rows, "Nothing quarantined.", note, { cards: true })}</section>`;
}

export function chartsSection(m: StatusModel): SafeHtml {
  return html`<section aria-labelledby="charts-h"><h2 id="charts-h">Charts</h2><div class="charts">
<figure><figcaption>Runs per day by status (30 days up to the newest run; bird.daily_volume)</figcaption>${dailyVolumeChart(m.charts.dailyVolume)}</figure>
<figure><figcaption>Decision latency, p50 and p90 (bird.decision_latency)</figcaption>${latencyChart(m.charts.latency)}</figure>
<figure><figcaption>Runs decided per day by outcome, at the time the decision windows give (30 days up to the newest; bird.run_decided)</figcaption>${decisionsChart(m.charts.decisions)}</figure>
<figure><figcaption>Time on each step per flow, p50 (bird.step_times)</figcaption>${stepTimelineChart(m.charts.steps)}</figure>
<figure><figcaption>API requests per cycle (last ${m.charts.cycles.length} cycle${m.charts.cycles.length === 1 ? "" : "s"}, from bird.sync_passes)</figcaption>${requestsChart(m.charts.cycles)}</figure>
</div></section>`;
}
