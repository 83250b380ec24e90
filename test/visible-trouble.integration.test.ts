// Issue 15 (4): trouble is visible while it happens — retries, an unreachable API — without a flood.
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeBirdApi } from "../src/fake/index.js";
import { logLines, runCli, startCli } from "./helpers/cli.js";
import { freshDatabaseUrl, query } from "./helpers/db.js";
import { startFake, syncEnv } from "./helpers/fake.js";
import { waitFor } from "./helpers/wait.js";

const WARN = 40;

describe("retries under 429s and 5xx", () => {
  let api: FakeBirdApi;
  let url: string;
  beforeAll(async () => {
    api = await startFake({ flows: 2, runsPerFlow: 600, seed: 154, faults: { rate429: 0.05, retryAfter: "none", rate5xx: 0.15 } });
    url = await freshDatabaseUrl();
  });
  afterAll(async () => api.close());

  it("each failing endpoint kind gets a warn line with attempt and wait, at most one per 10 s", async () => {
    const r = await runCli(["sync", "--no-progress"], syncEnv(api, url, { SYNC_PAGE_SIZE: "20", SYNC_MAX_RETRIES: "10" }));
    expect(r.code).toBe(0);
    const failures =
      (api.counters.byStatus["429"] ?? 0) +
      (api.counters.byStatus["500"] ?? 0) +
      (api.counters.byStatus["502"] ?? 0) +
      (api.counters.byStatus["503"] ?? 0);
    expect(failures).toBeGreaterThan(3);
    const warns = logLines(r.stderr).filter((l) => l.level === WARN && /request failed/.test(String(l.msg)));
    expect(warns.length).toBeGreaterThan(0);
    for (const w of warns) {
      expect(w).toMatchObject({ kind: expect.any(String), attempt: expect.any(Number), maxAttempts: 11, waitMs: expect.any(Number) });
      expect(String(w.msg)).toMatch(/^Bird \w+ request failed \(HTTP \d{3}\); attempt \d+ of 11, retrying in \d+\.\d(–\d+\.\d)? s/);
    }
    // No flood: per kind, consecutive warnings are at least 10 s apart (pino's own timestamps).
    const byKind = new Map<string, number[]>();
    for (const w of warns) byKind.set(String(w.kind), [...(byKind.get(String(w.kind)) ?? []), Number(w.time)]);
    for (const times of byKind.values())
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(10_000);
    expect(warns.length).toBeLessThan(failures);
  });
});

describe("an unreachable API", () => {
  it("says so at the first failed attempt, long before giving up", async () => {
    // A port that refuses connections: bound, then closed.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const url = await freshDatabaseUrl();
    const env = {
      ...syncEnv({ url: `http://127.0.0.1:${port}`, organizationId: "org-1", accessKey: "k-0000000000" } as FakeBirdApi, url),
      SYNC_MAX_RETRIES: "3",
    };
    const p = startCli(["sync", "--no-progress"], env);
    await waitFor("the first retry warning", () => /request failed \(.*ECONNREFUSED.*\); attempt 1 of 4/.test(p.output()));
    // Still retrying when it told us: the process had not given up yet.
    expect(p.child.exitCode).toBeNull();
    const r = await p.done;
    expect(r.code).not.toBe(0);
  });
});

describe("the line every sync ends with", () => {
  it("names quarantined records, skipped and failed flows, and exits 0 when only records were quarantined", async () => {
    const api = await startFake({ flows: 3, runsPerFlow: 60, seed: 157, faults: { invalidRecordsPerFlow: 2 } });
    try {
      const url = await freshDatabaseUrl();
      const [a, b, c] = api.store.flowIds() as [string, string, string];
      const r = await runCli(["sync", "--no-progress"], syncEnv(api, url, { LOG_FORMAT: "json" }));
      // Documented choice (README "Exit codes"): the flows synced; the bad records wait in quarantine.
      expect(r.code).toBe(0);
      const lines = logLines(r.stderr);
      const last = lines.filter((l) => String(l.msg).startsWith("sync finished:")).at(-1)!;
      expect(last.level).toBe(WARN);
      expect(String(last.msg)).toMatch(
        /^sync finished: 3 of 3 flows synced, \d+ runs seen \(\d+ new, 0 changed, 0 marked deleted\), \d+ requests in \d+(ms|s|m \d\ds); quarantined: 6 invalid records in bird\.sync_rejects, from /,
      );
      for (const id of [a, b, c]) expect(String(last.msg)).toContain(`${id} (2)`);
      expect(
        lines.filter((l) => l.msg === "invalid records quarantined in bird.sync_rejects; the flow's other runs are synced"),
      ).toHaveLength(3);

      // Another process holds one flow; another flow is gone from Bird.
      await query(
        url,
        "update bird.sync_state set lease_owner = 'host-9:123', lease_expires_at = now() + interval '1 hour' where flow_id = $1",
        [a],
      );
      api.store.removeFlow(b);
      const again = await runCli(["sync", "--no-progress", "--flow", [a, b, c].join(",")], syncEnv(api, url));
      expect(again.code).toBe(1);
      const line = String(
        logLines(again.stderr)
          .filter((l) => String(l.msg).startsWith("sync finished:"))
          .at(-1)!.msg,
      );
      expect(line).toMatch(/^sync finished: 1 of 3 flows synced/);
      expect(line).toContain(`not synced: ${a} (being synced by another process)`);
      expect(line).toContain(`failed: ${b} (missing in Bird)`);
    } finally {
      await api.close();
    }
  });
});
