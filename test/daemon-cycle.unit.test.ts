// Issue 4: what a daemon cycle does with errors (a rejected key stops the daemon only in its first
// cycle; later it keeps the schedule with a fresh client and /readyz fails), and readiness itself.
import { pino } from "pino";
import { describe, expect, it, vi } from "vitest";
import type { BirdClient } from "../src/bird/client.js";
import { loadConfig } from "../src/config.js";
import { CycleRunner } from "../src/daemon/cycle-runner.js";
import { DaemonHealth } from "../src/daemon/health.js";
import { SyncMetrics } from "../src/daemon/metrics.js";
import type { Database } from "../src/db/database.js";
import { AuthError } from "../src/errors.js";
import { type SyncContext, syncSettingsOf } from "../src/sync/context.js";

const logger = pino({ level: "silent" });
const config = loadConfig({ env: {}, cwd: "/nonexistent", overrides: { BIRD_ACCESS_KEY: "k", BIRD_ORGANIZATION_ID: "org" } });

/** A database that answers every statement with no rows: enough for a cycle over zero flows. */
const emptyDb = {
  kind: "postgres",
  location: "stub",
  rows: async () => [],
  transaction: async (fn: (tx: unknown) => unknown) => fn(emptyDb),
  migrate: async () => undefined,
  close: async () => undefined,
} as unknown as Database;

/** Contexts whose client lists flows as told: "ok" (no flows) or "auth" (401). */
function contexts(script: Array<"ok" | "auth">) {
  const made: SyncContext[] = [];
  let call = 0;
  const newContext = (): SyncContext => {
    const client = {
      listFlows: async () => {
        if (script[call++] === "auth") throw new AuthError("Bird rejected the access key (HTTP 401)");
        return [];
      },
    } as unknown as BirdClient;
    const ctx: SyncContext = { db: emptyDb, client, settings: syncSettingsOf(config), logger, owner: `test:${made.length}`, observer: {} };
    made.push(ctx);
    return ctx;
  };
  return { newContext, made };
}

const signal = new AbortController().signal;

describe("CycleRunner", () => {
  it("a rejected access key in the first cycle is fatal (exit 2)", async () => {
    const { newContext } = contexts(["auth"]);
    const runner = new CycleRunner({ logger, metrics: new SyncMetrics(), newContext });
    await expect(runner.run(signal, "start")).rejects.toBeInstanceOf(AuthError);
    expect(runner.lastCycle?.outcome).toBe("error");
  });

  it("later, it fails the cycle but keeps the schedule, with a fresh client and the same lease owner", async () => {
    const { newContext, made } = contexts(["ok", "auth", "ok"]);
    let refreshed = 0;
    const runner = new CycleRunner({ logger, metrics: new SyncMetrics(), newContext, afterCycle: async () => void refreshed++ });
    await runner.run(signal, "start");
    expect(runner.lastCycle?.outcome).toBe("ok");
    await runner.run(signal, "scheduled");
    expect(runner.lastCycle).toMatchObject({ outcome: "error", error: expect.stringMatching(/access key/) });
    expect(made).toHaveLength(2);
    expect(runner.owner).toBe("test:0");
    await runner.run(signal, "scheduled");
    expect(runner.lastCycle?.outcome).toBe("ok");
    expect(refreshed).toBe(3);
  });

  it("an error while shutting down is an interrupted cycle, not a failure", async () => {
    const stop = new AbortController();
    const runner = new CycleRunner({
      logger,
      metrics: new SyncMetrics(),
      newContext: () => ({
        db: emptyDb,
        client: {
          listFlows: async () => {
            stop.abort();
            throw new Error("socket closed");
          },
        } as unknown as BirdClient,
        settings: syncSettingsOf(config),
        logger,
        owner: "x",
        observer: {},
      }),
    });
    await runner.run(stop.signal, "start");
    expect(runner.lastCycle?.outcome).toBe("interrupted");
  });
});

describe("DaemonHealth.readiness", () => {
  const health = (db: Partial<Database>, outcome?: "ok" | "error" | "all_failed" | "flows_failed") =>
    new DaemonHealth({
      db: db as Database,
      metrics: new SyncMetrics(),
      logger,
      owner: () => "me",
      lastCycle: () => (outcome ? { outcome, finishedAt: Date.now(), ...(outcome === "error" ? { error: "boom" } : {}) } : undefined),
    });

  it("ready before the first cycle and after one that synced some flows", async () => {
    expect(await health({ rows: async () => [] }).readiness()).toEqual({ ready: true, reasons: [] });
    expect((await health({ rows: async () => [] }, "flows_failed").readiness()).ready).toBe(true);
  });

  it("not ready when the last cycle failed or failed every flow", async () => {
    expect(await health({ rows: async () => [] }, "error").readiness()).toEqual({ ready: false, reasons: ["last cycle failed: boom"] });
    expect((await health({ rows: async () => [] }, "all_failed").readiness()).reasons).toEqual([
      "last cycle failed every flow (see status and the log)",
    ]);
  });

  it("not ready once the daemon is stopping", async () => {
    const stopping = new AbortController();
    const h = new DaemonHealth({
      db: { rows: async () => [] } as unknown as Database,
      metrics: new SyncMetrics(),
      logger,
      owner: () => "me",
      lastCycle: () => undefined,
      stopping: stopping.signal,
    });
    expect((await h.readiness()).ready).toBe(true);
    stopping.abort();
    expect(await h.readiness()).toEqual({ ready: false, reasons: ["shutting down"] });
  });

  it("not ready when the database does not answer, within a few seconds", async () => {
    const refused = await health({ rows: async () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:5432")) }).readiness();
    expect(refused).toEqual({ ready: false, reasons: ["database unreachable: connect ECONNREFUSED 127.0.0.1:5432"] });
    // Fake time: the 3 s limit is the code's own timer, moved by the test, not a wall-clock bound.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    try {
      let settled = false;
      const pending = health({ rows: () => new Promise(() => undefined) })
        .readiness()
        .finally(() => (settled = true));
      await vi.advanceTimersByTimeAsync(2999);
      expect(settled).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      const hung = await pending;
      expect(hung.ready).toBe(false);
      expect(hung.reasons[0]).toMatch(/database unreachable: database check: no answer within 3000 ms/);
    } finally {
      vi.useRealTimers();
    }
  });
});
