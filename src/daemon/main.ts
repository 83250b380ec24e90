#!/usr/bin/env node
// Stand-in entry for `approvals-sync daemon` until src/cli.ts wires the command (the tests spawn it).
// Delete once cli.ts has: program.command("daemon") … runDaemonCommand(startRuntime({}, true)).
import { runDaemonCommand } from "../commands/daemon.js";
import { rememberSecrets, runToExit, startRuntime } from "../commands/runtime.js";

await runToExit(async () => {
  const rt = startRuntime({}, true);
  rememberSecrets(rt.config);
  return runDaemonCommand(rt);
});
