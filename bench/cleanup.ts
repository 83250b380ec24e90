// Cleanup that runs on success, on failure and on Ctrl-C: child process groups we started, scratch databases.
// Children are spawned detached (their own process group), so we end exactly what we started, by group id.

type Action = () => Promise<void> | void;

const actions = new Map<number, { name: string; fn: Action }>();
const childGroups = new Set<number>();
let nextId = 1;
let running: Promise<void> | undefined;

/** Registers a cleanup step; returns a function that unregisters it (call it once the thing is gone). */
export function onCleanup(name: string, fn: Action): () => void {
  const id = nextId++;
  actions.set(id, { name, fn });
  return () => {
    actions.delete(id);
  };
}

/** A detached child's process group, killed synchronously with SIGKILL if we exit without stopping it. */
export function trackChildGroup(pid: number): () => void {
  childGroups.add(pid);
  return () => {
    childGroups.delete(pid);
  };
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Runs every registered step, newest first, each bounded in time; safe to call more than once. */
export function runCleanup(): Promise<void> {
  running ??= (async () => {
    const steps = [...actions.entries()].reverse();
    actions.clear();
    for (const [, { name, fn }] of steps) {
      try {
        await Promise.race([
          Promise.resolve().then(fn),
          new Promise((_, reject) => setTimeout(() => reject(new Error("timed out")), 15_000).unref()),
        ]);
      } catch (err) {
        process.stderr.write(`bench cleanup: ${name}: ${(err as Error).message}\n`);
      }
    }
    for (const pid of childGroups) killGroup(pid, "SIGKILL");
    childGroups.clear();
  })();
  return running;
}

export function installSignalHandlers(): void {
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) {
      // Second Ctrl-C: stop waiting for a graceful cleanup.
      for (const pid of childGroups) killGroup(pid, "SIGKILL");
      process.exit(130);
    }
    interrupted = true;
    process.stderr.write(`\nbench: ${signal}, cleaning up (child processes, scratch databases)…\n`);
    void runCleanup().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("SIGHUP", onSignal);
  // Last resort (uncaught error, process.exit elsewhere): no async work possible, so kill what is left.
  process.on("exit", () => {
    for (const pid of childGroups) killGroup(pid, "SIGKILL");
  });
}
