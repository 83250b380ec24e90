// Daemons as users start them (`approvals-sync daemon`), with the fakes they talk to, cleaned up after each test.
import { type ChildProcess, spawn } from "node:child_process";
import type { FakeBirdApi } from "../../src/fake/index.js";
import { trackChild } from "./children.js";
import { CLI } from "./cli.js";
import { startFake } from "./fake.js";

export interface Daemon {
  child: ChildProcess;
  stderr(): string;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

/** Starts daemons and fakes for one test file; `cleanup()` (in afterEach) kills and closes what is left. */
export function daemonHarness() {
  const running: Daemon[] = [];
  const fakes: FakeBirdApi[] = [];
  return {
    startDaemon(env: NodeJS.ProcessEnv): Daemon {
      const child = spawn(process.execPath, [CLI, "daemon"], { env, stdio: ["ignore", "pipe", "pipe"] });
      trackChild(child, "approvals-sync daemon");
      let output = "";
      child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
      child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
      const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
        child.on("close", (code, signal) => resolve({ code, signal, at: Date.now() })),
      );
      const d = { child, stderr: () => output, done };
      running.push(d);
      return d;
    },
    async fake(opts: Parameters<typeof startFake>[0]): Promise<FakeBirdApi> {
      const api = await startFake(opts);
      fakes.push(api);
      return api;
    },
    /** Kills the daemons still running (a test that failed half way) and closes the fakes. */
    async cleanup(): Promise<void> {
      for (const d of running.splice(0)) if (d.child.exitCode === null && d.child.signalCode === null) d.child.kill("SIGKILL");
      for (const f of fakes.splice(0)) await f.close();
    },
  };
}
