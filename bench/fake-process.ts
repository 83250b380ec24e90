// The fake Bird API in its own process (`approvals-sync fake-api`), so it never shares an event loop with
// what is measured. Parses its one JSON line, reads and resets its counters, stops it.
import { type ChildProcess, spawn } from "node:child_process";
import { onCleanup, trackChildGroup } from "./cleanup.js";
import { cpuSeconds, memStatus } from "./proc.js";

export interface FakeInfo {
  url: string;
  organizationId: string;
  accessKey: string;
  flowIds: string[];
}

/** The subset of GET /_fake/state the bench reads. */
export interface FakeState {
  requests: number;
  byStatus: Record<string, number>;
  listRequests: number;
  getRequests: number;
  flowListRequests: number;
  refetchedPages: number;
  maxInFlight: number;
}

export interface FakeStartOptions {
  cliPath: string;
  flows: number;
  runsPerFlow: number;
  seed: number;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** `--faults` JSON (e.g. a latency per request, to pace the fake like Bird). */
  faults?: object;
  startTimeoutMs?: number;
}

export class FakeProcess {
  private exited = false;
  private readonly exitPromise: Promise<void>;
  private readonly unregister: Array<() => void> = [];

  private constructor(
    private readonly child: ChildProcess,
    readonly info: FakeInfo,
    readonly flows: number,
    readonly runsPerFlow: number,
    readonly startSeconds: number,
  ) {
    this.exitPromise = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once("exit", () => resolve());
    });
    void this.exitPromise.then(() => {
      this.exited = true;
    });
    this.unregister.push(trackChildGroup(child.pid as number));
    this.unregister.push(onCleanup(`stop fake API (pid ${child.pid})`, () => this.stop()));
  }

  get pid(): number {
    return this.child.pid as number;
  }

  get runs(): number {
    return this.flows * this.runsPerFlow;
  }

  static async start(opts: FakeStartOptions): Promise<FakeProcess> {
    const started = performance.now();
    const args = [
      opts.cliPath,
      "fake-api",
      "--port",
      "0",
      "--flows",
      String(opts.flows),
      "--runs",
      String(opts.runsPerFlow),
      "--seed",
      String(opts.seed),
      ...(opts.faults ? ["--faults", JSON.stringify(opts.faults)] : []),
    ];
    const child = spawn(process.execPath, args, { cwd: opts.cwd, env: opts.env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    const untrack = trackChildGroup(child.pid as number);
    let stderr = "";
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (d: string) => {
      stderr = (stderr + d).slice(-4000);
    });
    try {
      const info = await new Promise<FakeInfo>((resolve, reject) => {
        let out = "";
        const timer = setTimeout(
          () => reject(new Error(`fake API did not print its address within ${opts.startTimeoutMs ?? 180_000} ms`)),
          opts.startTimeoutMs ?? 180_000,
        );
        child.stdout?.setEncoding("utf8");
        child.stdout?.on("data", (d: string) => {
          out += d;
          const nl = out.indexOf("\n");
          if (nl < 0) return;
          clearTimeout(timer);
          try {
            const parsed = JSON.parse(out.slice(0, nl)) as FakeInfo;
            if (typeof parsed.url !== "string" || !Array.isArray(parsed.flowIds)) throw new Error("missing url/flowIds");
            resolve(parsed);
          } catch (err) {
            reject(new Error(`fake API printed an unexpected first line: ${out.slice(0, 200)} (${(err as Error).message})`));
          }
        });
        child.once("error", (err) => {
          clearTimeout(timer);
          reject(err);
        });
        child.once("exit", (code, signal) => {
          clearTimeout(timer);
          reject(new Error(`fake API exited (${signal ?? code}) before it was ready: ${stderr.trim()}`));
        });
      });
      // Keep draining its output so a full pipe never blocks it.
      child.stdout?.resume();
      const fake = new FakeProcess(child, info, opts.flows, opts.runsPerFlow, (performance.now() - started) / 1000);
      untrack();
      return fake;
    } catch (err) {
      try {
        process.kill(-(child.pid as number), "SIGKILL");
      } catch {
        // gone
      }
      untrack();
      throw err;
    }
  }

  async state(): Promise<FakeState> {
    const res = await fetch(`${this.info.url}/_fake/state`);
    if (!res.ok) throw new Error(`GET /_fake/state answered ${res.status}`);
    return (await res.json()) as FakeState;
  }

  async resetCounters(): Promise<void> {
    const res = await fetch(`${this.info.url}/_fake/reset-counters`, { method: "POST" });
    if (!res.ok) throw new Error(`POST /_fake/reset-counters answered ${res.status}`);
    await res.arrayBuffer();
  }

  /** CPU seconds the fake has used since it started. */
  cpuSeconds(): number {
    return cpuSeconds(this.pid) ?? 0;
  }

  rssMb(): number {
    return (memStatus(this.pid)?.rssKb ?? 0) / 1024;
  }

  async stop(): Promise<void> {
    if (!this.exited) {
      try {
        process.kill(-this.pid, "SIGTERM");
      } catch {
        // gone
      }
      const killer = setTimeout(() => {
        try {
          process.kill(-this.pid, "SIGKILL");
        } catch {
          // gone
        }
      }, 5000);
      await this.exitPromise;
      clearTimeout(killer);
    }
    for (const u of this.unregister.splice(0)) u();
  }
}
