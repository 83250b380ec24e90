// Issue 15 (4): every `sync` ends with one line a person can read: what was synced, and — by flow —
// which records were quarantined and which flows were skipped or failed, so nothing passes in silence.
import { formatDuration } from "../duration.js";
import type { CycleResult, FlowOutcome, FlowResult } from "./outcome.js";

const MAX_NAMED = 3;

const SKIP_REASON: Partial<Record<FlowOutcome, string>> = {
  "skipped-leased": "being synced by another process",
  "skipped-backoff": "backing off after failures",
  interrupted: "interrupted; resumes next run",
};

function named(flows: readonly FlowResult[], what: (f: FlowResult) => string): string {
  const shown = flows.slice(0, MAX_NAMED).map((f) => `${f.flowId} (${what(f)})`);
  const more = flows.length - shown.length;
  return shown.join(", ") + (more > 0 ? ` and ${more} more` : "");
}

function firstLine(text: string | undefined): string {
  const line = (text ?? "").split("\n")[0] ?? "";
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}

export function syncSummaryLine(result: CycleResult): string {
  const flows = result.flows;
  const synced = flows.filter((f) => f.outcome === "completed");
  const sum = (k: keyof FlowResult["totals"]) => flows.reduce((n, f) => n + f.totals[k], 0);
  const parts = [
    `sync finished: ${synced.length} of ${flows.length} flows synced, ${sum("seen")} runs seen (${sum("inserted")} new, ${sum("updated")} changed, ${sum("deleted")} marked deleted), ${sum("requests")} requests in ${formatDuration(result.durationMs)}`,
  ];
  const quarantined = flows.filter((f) => f.totals.rejected > 0);
  if (quarantined.length > 0) {
    parts.push(
      `quarantined: ${sum("rejected")} invalid records in bird.sync_rejects, from ${named(quarantined, (f) => `${f.totals.rejected}`)} (approvals-sync report rejects)`,
    );
  }
  const unstable = flows.filter((f) => f.totals.skippedLive > 0);
  if (unstable.length > 0) {
    parts.push(
      `unstable paging: ${sum("skippedLive")} live runs the listing skipped were read by id, from ${named(unstable, (f) => `${f.totals.skippedLive}`)}`,
    );
  }
  const skipped = flows.filter((f) => SKIP_REASON[f.outcome]);
  if (skipped.length > 0) parts.push(`not synced: ${named(skipped, (f) => SKIP_REASON[f.outcome]!)}`);
  const failed = flows.filter((f) => f.outcome === "failed" || f.outcome === "missing");
  if (failed.length > 0)
    parts.push(`failed: ${named(failed, (f) => (f.outcome === "missing" ? "missing in Bird" : firstLine(f.error) || "failed"))}`);
  return parts.join("; ");
}
