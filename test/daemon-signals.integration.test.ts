// Issue 24: the README starts the daemon as `node_modules/.bin/approvals-sync daemon`, not through npx
// (npm does not forward SIGTERM). Installed, that bin is a symlink to dist/cli.js with a node shebang:
// the pid a supervisor starts is node itself, and SIGTERM to it stops the daemon cleanly.
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { trackChild } from "./helpers/children.js";
import { CLI } from "./helpers/cli.js";
import { daemonHarness } from "./helpers/daemon.js";
import { freshDatabaseUrl, query } from "./helpers/db.js";
import { syncEnv } from "./helpers/fake.js";
import { waitFor } from "./helpers/wait.js";

const harness = daemonHarness();
afterEach(() => harness.cleanup());

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("the documented daemon command receives signals", () => {
  it("SIGTERM to `node_modules/.bin/approvals-sync daemon` stops the daemon: exit 0, no node process left", async () => {
    const api = await harness.fake({ flows: 2, runsPerFlow: 60, seed: 41 });
    const url = await freshDatabaseUrl();
    // The layout `npm install bird-approvals-sync` makes: node_modules/.bin/approvals-sync -> the package's dist/cli.js.
    const project = mkdtempSync(join(tmpdir(), "bas-signals-"));
    mkdirSync(join(project, "node_modules", ".bin"), { recursive: true });
    const bin = join(project, "node_modules", ".bin", "approvals-sync");
    symlinkSync(CLI, bin);
    // npm marks a bin's target executable when it installs it; tsc's output is not.
    chmodSync(CLI, 0o755);
    expect(readFileSync(CLI, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);

    const child = spawn("node_modules/.bin/approvals-sync", ["daemon"], {
      cwd: project,
      env: syncEnv(api, url, { METRICS_PORT: "0", SYNC_SCHEDULE: "*/2 * * * * *" }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    trackChild(child, "node_modules/.bin/approvals-sync daemon");
    let output = "";
    child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.on("close", (code, signal) => resolve({ code, signal }));
      child.on("error", reject);
    });
    await waitFor("the daemon's first cycle", async () => {
      if (child.exitCode !== null) throw new Error(`daemon exited: ${output}`);
      const [r] = await query<{ n: number }>(url, "select count(*)::int as n from bird.sync_state where last_success_at is not null");
      return r!.n === 2;
    });
    // The started pid is node running the CLI, not a wrapper that would have to pass the signal on.
    expect(readFileSync(`/proc/${child.pid}/cmdline`, "utf8").split("\0").slice(1, 3)).toEqual([
      "node_modules/.bin/approvals-sync",
      "daemon",
    ]);
    expect(readFileSync(`/proc/${child.pid}/comm`, "utf8").trim()).toBe("node");

    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    const exit = await done;
    clearTimeout(timer);
    expect(exit, output).toEqual({ code: 0, signal: null });
    expect(alive(child.pid!)).toBe(false);
    // No process is left running in the project folder (an orphaned node would be).
    const left = readdirSync("/proc")
      .filter((pid) => /^\d+$/.test(pid))
      .filter((pid) => {
        try {
          return realpathSync(`/proc/${pid}/cwd`) === realpathSync(project);
        } catch {
          return false;
        }
      });
    expect(left).toEqual([]);
    rmSync(project, { recursive: true, force: true });
  });
});
