// Starts the built-in fake Bird API for a test file and builds the CLI's environment for it.
import { type FakeBirdApi, type FakeOptions, startFakeBirdApi } from "../../src/fake/index.js";
import { cliEnv } from "./cli.js";

export async function startFake(opts: FakeOptions = {}): Promise<FakeBirdApi> {
  return startFakeBirdApi({ port: 0, ...opts });
}

export function syncEnv(api: FakeBirdApi, databaseUrl: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return cliEnv({
    DATABASE_URL: databaseUrl,
    BIRD_API_URL: api.url,
    BIRD_ORGANIZATION_ID: api.organizationId,
    BIRD_ACCESS_KEY: api.accessKey,
    BIRD_MAX_RPS: "0",
    // The fake's runs are dated from 2025-01-01, so under the age-based default (0.05) a decision on
    // one would wait weeks for its re-check. These suites prove the re-read paths themselves; the
    // age-based policy has its own tests (recheck-by-age.integration.test.ts).
    SYNC_RECHECK_FACTOR: "0",
    ...extra,
  });
}

/** Page fetches served more than once, for full-pass listings (no `reverse`), per flow. */
export function refetchedFullPassPages(api: FakeBirdApi): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, count] of Object.entries(api.counters.pageFetches) as Array<[string, number]>) {
    const [flowId, reverse] = key.split("|");
    if (reverse === "true" || !flowId) continue;
    out[flowId] = (out[flowId] ?? 0) + Math.max(0, count - 1);
  }
  return out;
}
