// `sync` run in the test's own process: the command's body (runSyncCommand: createSyncContext and
// runSyncCycle against the fake over HTTP, then pruning and report rollups) with the environment the
// CLI would get, its ending mapped to the exit code as cli.ts maps it. For syncs that only set the
// stage: no child process and no Node start-up per sync. Tests of the command line itself (flags,
// messages, exit-code paths, signals) spawn it (helpers/cli.ts). An error is thrown, not mapped.
import pino from "pino";
import { runSyncCommand } from "../../src/commands/sync.js";
import { loadConfig } from "../../src/config.js";
import { exitCodeOf } from "../../src/sync/outcome.js";

export async function syncInProcess(env: NodeJS.ProcessEnv, opts: { full?: boolean; flowIds?: string[] } = {}): Promise<number> {
  const config = loadConfig({ env, cwd: "/nonexistent", requireBird: true });
  const result = await runSyncCommand(
    { config, logger: pino({ level: "silent" }) },
    { full: opts.full ?? false, ...(opts.flowIds ? { flowIds: opts.flowIds } : {}) },
  );
  return exitCodeOf(result);
}
