// The checklist `check` prints, its JSON twin, and the exit code: 2 when any check is an error
// (auth, configuration, connection), 1 when any is degraded, else 0.
import { checkExitCode } from "../sync/outcome.js";

export type CheckStatus = "ok" | "info" | "degraded" | "error";

export interface CheckItem {
  id: string;
  status: CheckStatus;
  title: string;
}

export interface CheckFacts {
  flows?: number;
  sampleFlowId?: string;
  firstPageRuns?: number;
  listOrder?: "asc" | "desc" | "unknown";
  reverseFlips?: boolean | "unknown";
  getByIdEqualsListed?: boolean;
  latencyP50Ms?: number;
  requests?: number;
  rateLimitHeaders?: Record<string, string>;
  rateLimited?: number;
  serverVersion?: string;
  migrations?: { known: number; applied: number | undefined; pending: string[]; current: boolean };
  canSync?: boolean;
  canMigrate?: boolean;
}

export interface CheckReport {
  result: "ok" | "degraded" | "error";
  exitCode: number;
  target: { apiUrl: string; organizationId: string; database: string };
  checks: CheckItem[];
  facts: CheckFacts;
}

export class Checklist {
  readonly items: CheckItem[] = [];
  readonly facts: CheckFacts = {};

  add(id: string, status: CheckStatus, title: string): void {
    this.items.push({ id, status, title });
  }

  report(target: CheckReport["target"]): CheckReport {
    const worst = this.items.some((i) => i.status === "error")
      ? "error"
      : this.items.some((i) => i.status === "degraded")
        ? "degraded"
        : "ok";
    return { result: worst, exitCode: checkExitCode(worst), target, checks: this.items, facts: this.facts };
  }
}

const MARK: Record<CheckStatus, string> = { ok: "[ok]      ", info: "[info]    ", degraded: "[degraded]", error: "[error]   " };

export function formatCheckReport(r: CheckReport): string {
  const lines = [
    `approvals-sync check: ${r.target.apiUrl}, organization ${r.target.organizationId}, database ${r.target.database}`,
    "",
    ...r.checks.map((c) => `  ${MARK[c.status]} ${c.title}`),
    "",
  ];
  const attention = r.checks.filter((c) => c.status === "degraded" || c.status === "error").length;
  lines.push(
    r.result === "ok"
      ? "Result: ok (exit 0): the assumptions this tool makes hold for this organization and database."
      : `Result: ${r.result} (exit ${r.exitCode}): ${attention} check${attention === 1 ? "" : "s"} need${attention === 1 ? "s" : ""} attention.`,
  );
  return `${lines.join("\n")}\n`;
}
