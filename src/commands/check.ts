// `approvals-sync check [--json]`: the preflight before a first backfill. Exit 0 ok, 1 degraded,
// 2 on auth, configuration or connection errors (DESIGN §2): a PreflightError carries the code to
// cli.ts. The key is never printed: every line is our own text, scrubbed of secrets once more.
import { runApiChecks } from "../check/api-checks.js";
import { runDatabaseChecks } from "../check/db-checks.js";
import { Checklist, formatCheckReport } from "../check/report.js";
import { describeDatabase } from "../config.js";
import { EXIT_OK, PreflightError } from "../errors.js";
import { scrubSecrets, secretsOf } from "../log.js";
import { withRecording } from "./recording.js";
import type { Runtime } from "./runtime.js";

export async function runCheckCommand(rt: Runtime, opts: { json: boolean }, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  const { config, logger } = rt;
  const list = new Checklist();
  const database = describeDatabase(config);
  await withRecording(rt, opts.json ? ["check", "--json"] : ["check"], async (recorder) => {
    await runApiChecks(config, list, recorder);
    await runDatabaseChecks(config, logger, list, database);
    throwIfNotOk(list, config, database, opts, out);
    return undefined;
  });
}

/** Prints the checklist; a result other than ok becomes the PreflightError that carries its exit code. */
function throwIfNotOk(
  list: Checklist,
  config: Runtime["config"],
  database: string,
  opts: { json: boolean },
  out: NodeJS.WritableStream,
): void {
  const report = list.report({ apiUrl: config.apiUrl, organizationId: config.organizationId, database });
  const text = opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatCheckReport(report);
  out.write(scrubSecrets(text, secretsOf(config)));
  if (report.exitCode !== EXIT_OK) {
    const bad = report.checks.filter((c) => c.status === report.result).map((c) => c.id);
    throw new PreflightError(report.exitCode, `check: ${report.result} (${bad.join(", ")}); see the checklist on stdout`);
  }
}
