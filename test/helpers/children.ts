// Every child process a test starts (CLI runs, daemons), so the global afterEach can fail a test that
// left one running — graphile-worker does the same for workers. A leaked daemon keeps writing to the
// database and taking leases while the next test runs: its effects would show up there, not here.
import type { ChildProcess } from "node:child_process";

const live = new Map<ChildProcess, string>();

export function trackChild(child: ChildProcess, label: string): void {
  live.set(child, label);
  child.once("exit", () => live.delete(child));
}

/** Kills the children still running and returns what they were; empty when the test cleaned up. */
export async function reapChildren(): Promise<string[]> {
  const left = [...live].filter(([c]) => c.exitCode === null && c.signalCode === null);
  live.clear();
  await Promise.all(
    left.map(([child]) => {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      return exited;
    }),
  );
  return left.map(([child, label]) => `${label} (pid ${child.pid})`);
}
