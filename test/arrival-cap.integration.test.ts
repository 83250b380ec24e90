// Issue 24: BIRD_MAX_RPS holds as the API counts it, by arrival over any sliding second, when the way to
// the API stalls now and then and lets the held requests in together. One `sync` process, the fake
// behind a stalling path; asserted on the fake's own counter, never on time.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeBirdApi } from "../src/fake/index.js";
import { runCli } from "./helpers/cli.js";
import { expectTableEqualsFake } from "./helpers/compare.js";
import { freshDatabaseUrl } from "./helpers/db.js";
import { startFake, syncEnv } from "./helpers/fake.js";
import { type StallingPath, startStallingPath } from "./helpers/stalling-path.js";

const CAP = 20;

describe("the cap at the API when the way there stalls", () => {
  let api: FakeBirdApi;
  let path: StallingPath;
  beforeAll(async () => {
    api = await startFake({ flows: 6, runsPerFlow: 250, seed: 2424 });
    // Every 1.5 s the way there stalls for 600 ms: each of the 12 streams (6 flows, two ends each) has a
    // request held meanwhile, let in together at its end.
    path = await startStallingPath(api.url, 1500, 600);
  });
  afterAll(async () => {
    await path.close();
    await api.close();
  });

  it("never lets more than BIRD_MAX_RPS requests arrive within any second, the held ones included", async () => {
    const url = await freshDatabaseUrl();
    const env = syncEnv(api, url, {
      BIRD_API_URL: path.url,
      BIRD_MAX_RPS: String(CAP),
      SYNC_PAGE_SIZE: "10",
      SYNC_CONCURRENCY: "6",
    });
    expect((await runCli(["migrate"], env)).code).toBe(0);
    api.resetCounters();
    const run = await runCli(["sync", "--no-progress"], env);
    expect(run.code, run.stderr).toBe(0);
    await expectTableEqualsFake(url, api);

    expect(path.stallsThatHeld()).toBeGreaterThanOrEqual(3);
    expect(api.counters.requests).toBeGreaterThan(150); // 6 flows × 25 pages: several seconds at the cap
    expect(api.counters.maxPerSecond).toBeLessThanOrEqual(CAP);
  });
});
