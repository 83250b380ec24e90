// What issue 13's bench scenarios (steady state, API-bound backfill) share: the product CLI spawned
// with a scenario's environment, the Markdown table of measure / value / target they print (as the
// README quotes it), and the process exit with the scenario's code.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);
const CLI = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));

/** Runs `approvals-sync <args>` with env; resolves with its output once it exits 0. */
export function productCli(env: NodeJS.ProcessEnv): (...args: string[]) => Promise<{ stdout: string; stderr: string }> {
  return (...args) => execFileAsync(process.execPath, [CLI, ...args], { env, maxBuffer: 64 << 20 });
}

/** Prints a titled Markdown table of [measure, value, target] rows. */
export function printTargetTable(title: string, rows: ReadonlyArray<readonly [string, string, string]>): void {
  console.log(`\n${title}`);
  console.log("| measure | value | target |");
  console.log("|---|---|---|");
  for (const [measure, value, target] of rows) console.log(`| ${measure} | ${value} | ${target} |`);
}

/** Runs a scenario and exits with its code; a scenario that throws exits 1. */
export function runScenario(main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
