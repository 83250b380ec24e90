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
import type { Command } from "commander";
import { rememberSecrets, startRuntime } from "./runtime.js";
import { ENV_HELP, type RecordFlags, type Run, addRecordOptions, recordOverrides } from "./common.js";

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

export function registerCheck(program: Command, run: Run): void {
  addRecordOptions(
    program
      .command("check")
      .description(
        "preflight against the configured API and database: key, flows, list order, reverse, GET-by-id parity, latency, rate-limit headers, migrations, privileges",
      )
      .option("--json", "print the checklist as JSON (data only on stdout)"),
  )
    .addHelpText(
      "after",
      `${ENV_HELP}\n\nExit 0 when all is well, 1 when something is degraded, 2 on auth, configuration or connection errors. Reads only; the key is never printed.\n\nExample:\n  approvals-sync check --json | jq '.checks[] | select(.status != "ok")'`,
    )
    .action(
      run(async (opts: { json?: boolean } & RecordFlags) => {
        // The checklist is the output; logs only for problems unless LOG_LEVEL says otherwise.
        const rt = startRuntime(recordOverrides(opts), true, { LOG_LEVEL: "warn" });
        rememberSecrets(rt.config);
        const { runCheckCommand } = await import("../commands/check.js");
        await runCheckCommand(rt, { json: opts.json === true });
      }),
    );
}
