// `approvals-sync status [--json] [--org ID]`: its flags, its body, and the table it prints (also for `demo`).
import type { Command } from "commander";
import { startRuntime, withReadOnlyDatabase } from "./runtime.js";
import { readFlowStatuses } from "../db/status.js";
import { organizationKey } from "../uuid.js";
import type { Run } from "./common.js";
import { DELETED_IN_BIRD } from "../db/flows.js";
import { formatDuration } from "../duration.js";
import type { FlowStatus } from "../db/status.js";
import { renderTable } from "../text-table.js";

export function registerStatus(program: Command, run: Run): void {
  program
    .command("status")
    .description("per flow: mode, last pass, rows, cursor, list order and reverse support, lease, last error, lag")
    .option("--json", "print JSON (data only on stdout)")
    .option("--org <id>", "only the flows of this organization (a database may hold several)")
    .addHelpText("after", "\nExample:\n  approvals-sync status --json | jq '.[] | {flowId, lagSeconds}'")
    .action(
      run(async (opts: { json?: boolean; org?: string }) => {
        const rt = startRuntime({}, false);
        const organization = opts.org === undefined ? undefined : organizationKey(opts.org);
        const flows = await withReadOnlyDatabase(rt, "status", (db) => readFlowStatuses(db, organization));
        process.stdout.write(opts.json ? `${JSON.stringify(flows, null, 2)}\n` : formatStatusTable(flows));
      }),
    );
}

function ago(iso: string | null, now = Date.now()): string {
  return iso ? `${formatDuration(Math.max(0, now - Date.parse(iso)))} ago` : "never";
}

/** Time since the flow's last successful pass (what the lag alert watches); `status --help` promises it. */
function lag(seconds: number | null): string {
  return seconds === null ? "never synced" : formatDuration(Math.max(0, seconds) * 1000);
}

/** The list order detected and whether `reverse` works: "desc, reverse ok", "asc, reverse ignored", "?". */
function listing(f: FlowStatus): string {
  const reverse = f.reverseWorks === null ? "" : f.reverseWorks ? ", reverse ok" : ", reverse ignored";
  return `${f.listOrder ?? "?"}${reverse}`;
}

export function formatStatusTable(flows: readonly FlowStatus[]): string {
  if (flows.length === 0) return "No flows synced yet. Run `approvals-sync sync` first.\n";
  // Several organizations in one database: say whose each flow is (`status --org ID` shows one).
  const byOrganization = new Set(flows.map((f) => f.organizationId)).size > 1;
  // The table, then a legend after a blank line.
  const rows = flows.map((f) => {
    const p = f.lastPass;
    const unstable = p && p.skippedLive > 0 ? ` (listing skipped ${p.skippedLive} live)` : "";
    const last = p ? `${p.kind} ${p.outcome ?? "running"} ${ago(p.finishedAt ?? p.startedAt)}${unstable}` : "none";
    const problem = !f.missingSince
      ? (f.lastError ?? "")
      : f.lastError === DELETED_IN_BIRD
        ? `deleted in Bird, missing since ${f.missingSince}`
        : `missing since ${f.missingSince}`;
    return [
      ...(byOrganization ? [f.organizationId ?? "unknown"] : []),
      f.name ? `${f.name} (${f.flowId.slice(0, 8)})` : f.flowId,
      f.mode,
      String(f.runs),
      String(f.pending),
      last,
      p ? `${p.pages}/${p.requests}` : "-",
      p ? String(p.rechecked) : "-",
      String(f.recheckDebt),
      listing(f),
      f.cursorHeld ? "yes" : "no",
      f.leaseOwner ?? "-",
      lag(f.lagSeconds),
      String(f.rejects),
      problem.length > 60 ? `${problem.slice(0, 57)}...` : problem,
    ];
  });
  const shift = byOrganization ? 1 : 0;
  return (
    renderTable(
      [
        ...(byOrganization ? ["organization"] : []),
        "flow",
        "mode",
        "runs",
        "pending",
        "last pass",
        "pages/reqs",
        "rechecked",
        "debt",
        "order",
        "cursor",
        "lease",
        "lag",
        "rejects",
        "last error",
      ],
      rows,
      { rightAlign: [2, 3, 6, 7, 12].map((i) => i + shift) },
    ) + STATUS_LEGEND
  );
}

/** Issue 24: the columns whose meaning their title cannot carry, explained under the table. */
const STATUS_LEGEND = `
pages/reqs  pages committed / requests made by the last pass
rechecked   stored pending runs the last pass re-read to see whether they were decided (SYNC_RECHECK_FACTOR)
debt        re-reads that were due but postponed by SYNC_MAX_REQUESTS_PER_HOUR; later passes catch up
order       the flow's list order (asc/desc) and whether Bird honours reverse=true
cursor      yes: a pass is under way or will resume from its stored page token; no: the next sync starts afresh
lease       the process syncing the flow right now
lag         time since the flow's last successful pass
`;
