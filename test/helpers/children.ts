// Every child process a test starts (CLI runs, daemons), so the global hooks can fail a test that
// left one running — graphile-worker does the same for workers. A leaked daemon keeps writing to the
// database and taking leases while the next test runs: its effects would show up there, not here.
import type { ChildProcess } from "node:child_process";

const live = new Map<ChildProcess, { label: string; seq: number }>();
let seq = 0;

export function trackChild(child: ChildProcess, label: string): void {
  live.set(child, { label, seq: ++seq });
  child.once("exit", () => live.delete(child));
}

/** A mark to reap from: children started after it belong to the test that is about to run. */
export function childMark(): number {
  return seq;
}

const running = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;

/**
 * Waits for the children started after `mark` (default: all) to be gone. One nobody signalled is a
 * leak: it is killed and named in the result (empty when the test cleaned up). One a cleanup hook
 * already killed only has to finish exiting. A child a file started in beforeAll is its afterAll's.
 */
export async function reapChildren(mark = 0): Promise<string[]> {
  const mine = [...live].filter(([c, t]) => t.seq > mark && running(c));
  const leaked = mine.filter(([c]) => !c.killed);
  await Promise.all(
    mine.map(([child]) => {
      live.delete(child);
      const exited = new Promise((resolve) => child.once("exit", resolve));
      if (!child.killed) child.kill("SIGKILL");
      return running(child) ? exited : undefined;
    }),
  );
  return leaked.map(([child, t]) => `${t.label} (pid ${child.pid})`);
}
