// The status page: one self-contained HTML document (inline CSS, inline SVG, one small inline script
// allowed by its hash in the Content-Security-Policy), readable on a 390 px phone.
import { createHash } from "node:crypto";
import { type SafeHtml, html, joinHtml, stateClass } from "./html.js";
import type { StatusModel } from "./model.js";
import { chartsSection, flowsSection, historySection, quarantineSection } from "./sections.js";
import { FLOW_HEALTHS } from "../health.js";
import { formatDuration } from "../duration.js";

export const REFRESH_SECONDS = 30;

// Reloads every REFRESH_SECONDS unless the reader is busy (a history or payload is open, or focus is
// inside the page), so a refresh never closes what they opened or moves keyboard focus; opens the
// <details> a #history-… link points at.
const SCRIPT = html`(function(){
function openTarget(){var id=decodeURIComponent(location.hash.slice(1));var el=id&&document.getElementById(id);if(el&&el.tagName==="DETAILS"){el.open=true;}}
window.addEventListener("hashchange",openTarget);openTarget();
setInterval(function(){
if(document.visibilityState!=="visible")return;
if(document.querySelector("details[open]"))return;
var a=document.activeElement;if(a&&a!==document.body)return;
location.reload();},${REFRESH_SECONDS * 1000});
})();`;

const SCRIPT_HASH = `sha256-${createHash("sha256").update(String(SCRIPT)).digest("base64")}`;

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "style-src 'unsafe-inline'",
  `script-src '${SCRIPT_HASH}'`,
  "img-src data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const CSS = html`
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1b1b;background:#f6f7f9}
header,main{max-width:1400px;margin:0 auto;padding:12px 16px}
header{border-bottom:1px solid #d7dbe0;background:#fff;max-width:none}
header .inner{max-width:1400px;margin:0 auto}
h1{font-size:1.3rem;margin:0 0 4px}
h2{font-size:1.1rem;margin:24px 0 8px}
.muted{color:#5f6368}
code{font:12px/1.3 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}
code.id{color:#5f6368}
.totals{display:flex;flex-wrap:wrap;gap:6px 12px;margin:6px 0 0;padding:0;list-style:none}
.scroll{overflow-x:auto;max-width:100%;background:#fff;border:1px solid #d7dbe0;border-radius:6px}
.scroll:focus-visible,a:focus-visible,summary:focus-visible{outline:3px solid #1565c0;outline-offset:2px}
table{border-collapse:collapse;width:100%;font-size:14px}
caption{text-align:left;padding:8px 10px;color:#3c4043;caption-side:top}
th,td{padding:6px 7px;border-top:1px solid #eceef1;text-align:left;vertical-align:top}
thead th{background:#f1f3f5;font-weight:600;border-top:0;vertical-align:bottom}
tbody th{font-weight:500;min-width:8rem}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.num{white-space:nowrap}
td time{white-space:nowrap}
td:last-child{min-width:9rem;overflow-wrap:anywhere}
.state{display:inline-block;padding:1px 8px;border-radius:10px;font-size:13px;font-weight:600;white-space:nowrap}
.state-on-time{background:#e6f4ea;color:#1e6b34}
.state-delayed{background:#fff4d6;color:#7a5200}
.state-failing{background:#fde7e9;color:#a50e0e}
.state-missing{background:#eceff1;color:#37474f}
.outcome-failed{color:#a50e0e;font-weight:600}
.outcome-interrupted{color:#7a5200;font-weight:600}
details.history{background:#fff;border:1px solid #d7dbe0;border-radius:6px;margin:8px 0;padding:0 10px}
details.history>summary{cursor:pointer;padding:8px 0;display:list-item}
details.history[open]>summary{border-bottom:1px solid #eceef1;margin-bottom:8px}
details.history .scroll{margin-bottom:10px}
.summary-name{font-weight:600}
.timeline-wrap{overflow-x:auto;padding:4px 0 8px}
.timeline .mark{font:bold 11px sans-serif;fill:#fff}
pre{white-space:pre-wrap;overflow-wrap:anywhere;max-width:60ch;max-height:20rem;overflow:auto;font-size:12px;background:#f6f7f9;padding:6px}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,420px),1fr));gap:12px}
figure{margin:0;background:#fff;border:1px solid #d7dbe0;border-radius:6px;padding:8px;min-width:0}
figcaption{font-size:14px;color:#3c4043;margin-bottom:4px}
svg.chart{width:100%;height:auto;display:block;font:11px system-ui,sans-serif;fill:#3c4043}
svg.chart .grid{stroke:#e0e3e7;stroke-width:1}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;list-style:none;margin:4px 0 0;padding:0;font-size:13px}
.swatch{display:inline-block;width:10px;height:10px;margin-right:5px;border-radius:2px;vertical-align:baseline}
.why{display:inline-block;font-size:12px;line-height:1.3;color:#5f6368;max-width:9rem;margin-top:2px}
.note{margin:0 0 8px;color:#3c4043;font-size:14px}
.banner{background:#fff4d6;border:1px solid #e0c36c;padding:8px 12px;border-radius:6px}
.nw,time,.state{white-space:nowrap}
code.lease{overflow-wrap:break-word}
svg.chart text{unicode-bidi:plaintext}
.progress{margin-top:4px;font-size:13px;color:#3c4043}
.progress progress{width:7rem;height:.8rem;vertical-align:middle}
@media (max-width:600px){header,main{padding:10px}th,td{padding:5px 8px}tbody th{min-width:9rem}
table.cards,table.cards tbody,table.cards tr,table.cards th,table.cards td{display:block}
table.cards caption{display:block}
table.cards thead{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
table.cards tr{border-top:3px solid #d7dbe0}
table.cards tr:first-child{border-top:0}
table.cards tbody th{min-width:0;border-top:0;padding:8px 10px 4px}
table.cards td{display:grid;grid-template-columns:7.5rem minmax(0,1fr);gap:10px;padding:4px 10px;border-top:1px solid #f1f3f5;text-align:left;min-width:0}
table.cards td::before{content:attr(data-label);color:#5f6368;font-weight:600;font-size:13px}
table.cards td.num{text-align:left}
table.cards td[colspan]{display:block}
table.cards td[colspan]::before{content:none}
table.cards .why{max-width:none}
table.cards pre{max-width:100%}}
`;

function totals(m: StatusModel): SafeHtml {
  const items = FLOW_HEALTHS.map((s) => html`<li><span class="${stateClass(s)}">${m.totals[s]} ${s}</span></li>`);
  return html`<ul class="totals" aria-label="Flows by state">${items}</ul>`;
}

/** A schema behind this version: what to run, and whether what follows could be read at all. */
function behindBanner(m: StatusModel): SafeHtml | null {
  if (!m.migrationsBehind) return null;
  const { applied, known } = m.migrationsBehind;
  const readable = m.unreadable
    ? html` This version cannot read it (${m.unreadable}), so no flows are shown.`
    : " What this version can read of it is shown below.";
  return html`<p class="banner" role="status">This database's schema is behind this version (${applied} of ${known} migrations applied): run <code>approvals-sync migrate</code> (or start <code>sync</code>/<code>daemon</code>, which migrate first); the status page never migrates.${readable}</p>\n`;
}

/** With several organizations in the database: links to each one's flows (`?org=ID`) and to all. */
function organizationsNav(m: StatusModel): SafeHtml | null {
  if (m.organizations.length < 2 && m.organization === null) return null;
  const link = (href: string, text: string, current: boolean) =>
    current ? html`<strong aria-current="page">${text}</strong>` : html`<a href="${href}">${text}</a>`;
  const items = [
    link("./", "all organizations", m.organization === null),
    ...m.organizations
      .filter((o) => o.organizationId !== null)
      .map((o) =>
        link(
          `?org=${encodeURIComponent(o.organizationId as string)}`,
          `${o.organizationId} (${o.flows} flows)`,
          o.organizationId === m.organization,
        ),
      ),
  ];
  return html`<p class="muted">Organizations: ${joinHtml(items, html` · `)}</p>`;
}

const utc = (iso: string) => html`<time datetime="${iso}">${iso.replace("T", " ").slice(0, 19)} UTC</time>`;

/** The page while the database cannot be read (503): what /readyz says, and that it reloads. */
export function renderUnavailablePage(reason: string, generatedAt: string): string {
  return htmlDocument(
    html`<h1>approvals-sync status</h1>
<p class="muted">generated ${utc(generatedAt)} · refreshes every ${REFRESH_SECONDS} s</p>`,
    html`<p class="banner" role="alert"><strong>The database is unreachable</strong>: <span dir="auto">${reason}</span>. The flows show again once the database answers (the daemon's /readyz reports the same).</p>`,
  );
}

function htmlDocument(header: SafeHtml, main: SafeHtml): string {
  return String(html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>approvals-sync status</title>
<noscript><meta http-equiv="refresh" content="${REFRESH_SECONDS}"></noscript>
<style>${CSS}</style>
</head>
<body>
<header><div class="inner">
${header}
</div></header>
<main>
${main}
</main>
<script>${SCRIPT}</script>
</body>
</html>
`);
}

/** "3 flows of organization X", or why there are none. */
function flowCount(m: StatusModel): SafeHtml | string {
  if (!m.migrated) return m.migrationsBehind ? "flows not readable" : "no flows yet";
  return html`${m.flows.length} flows${m.organization === null ? null : html` of organization <code>${m.organization}</code>`}`;
}

export function renderStatusPage(m: StatusModel): string {
  const now = Date.parse(m.generatedAt);
  const sections = m.migrated
    ? joinHtml([flowsSection(m, now), historySection(m, now), quarantineSection(m), chartsSection(m)], html`\n`)
    : m.migrationsBehind
      ? null
      : html`<p class="banner" role="status">This database has no <code>bird</code> schema yet. Run <code>approvals-sync migrate</code> (or start <code>sync</code>/<code>daemon</code>, which migrate first).</p>`;
  const json = m.organization === null ? "api/status" : `api/status?org=${encodeURIComponent(m.organization)}`;
  return htmlDocument(
    html`<h1>approvals-sync status</h1>
<p class="muted">${flowCount(m)} · schedule <code>${m.schedule}</code> (every ${formatDuration(m.intervalSeconds * 1000)}) · generated ${utc(m.generatedAt)} · refreshes every ${REFRESH_SECONDS} s · <a href="${json}">JSON</a></p>
${organizationsNav(m)}
${m.migrated ? totals(m) : null}`,
    html`${behindBanner(m)}${sections}`,
  );
}
