// Issue 20 (7), through the built CLI: HTTP is bounded and pinned. An answer over
// HTTP_MAX_RESPONSE_BYTES is not read to its end; a redirect off BIRD_API_URL's origin is not
// followed; a rejected key is written where `status` shows it; a Retry-After beyond
// SYNC_MAX_RETRY_AFTER ends the pass instead of holding the process.
import type { ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { cliEnv, runCli } from "./helpers/cli.js";
import { freshDatabaseUrl, query } from "./helpers/db.js";
import { KEY, ORG, type ScriptedBird, pageText, runText, serveScriptedBird } from "./helpers/scripted-bird.js";

const FLOW_A = "a1a1a1a1-0000-4000-8000-000000000001";
const FLOW_B = "b2b2b2b2-0000-4000-8000-000000000002";
const FLOW_C = "c3c3c3c3-0000-4000-8000-000000000003";
const FLOW_D = "d4d4d4d4-0000-4000-8000-000000000004";
const run = (n: number) => `e5e5e5e5-0000-4000-8000-${String(n).padStart(12, "0")}`;
const AT = "2026-01-02T03:04:05.000Z";

const servers: ScriptedBird[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(opts: Parameters<typeof serveScriptedBird>[0]): Promise<ScriptedBird> {
  const s = await serveScriptedBird(opts);
  servers.push(s);
  return s;
}

async function sync(api: ScriptedBird, flows: readonly string[], extra: Record<string, string> = {}) {
  const url = await freshDatabaseUrl();
  const env = cliEnv({
    BIRD_API_URL: api.url,
    BIRD_ACCESS_KEY: KEY,
    BIRD_ORGANIZATION_ID: ORG,
    BIRD_APPROVAL_IDS: flows.join(","),
    DATABASE_URL: url,
    BIRD_MAX_RPS: "0",
    // One flow after the other: the tests say which flow meets the trouble first.
    SYNC_CONCURRENCY: "1",
    ...extra,
  });
  // Well under the test's own timeout: a CLI that hangs is killed and the assertions say so.
  const result = await runCli(["sync", "--no-progress"], env, { timeoutMs: 60_000 });
  return { url, env, result };
}

function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

const lastErrors = async (url: string) =>
  Object.fromEntries(
    (await query<{ id: string; e: string | null }>(url, "select flow_id::text as id, last_error as e from bird.sync_state")).map((r) => [
      r.id,
      r.e,
    ]),
  );
const storedRuns = async (url: string) =>
  (await query<{ id: string }>(url, "select id::text from bird.approval_runs order by id")).map((r) => r.id);

describe("maximum answer size", () => {
  it("stops reading an answer over HTTP_MAX_RESPONSE_BYTES, streamed or announced, fails only that flow", async () => {
    const CHUNK = 64 * 1024;
    const TOTAL = 64 * 1024 * 1024;
    let streamedBytes = 0;
    let announcedClosed = false;
    const api = await serve({
      flows: [FLOW_A, FLOW_B, FLOW_C],
      onList: async ({ flowId, res }) => {
        if (flowId === FLOW_A) {
          // A valid page whose one run carries a 64 MB object, sent chunked (no Content-Length).
          res.writeHead(200, { "content-type": "application/json" });
          const head = `{"results":[${runText(run(1), FLOW_A, AT, ',"object":{"pad":"').slice(0, -1)}`;
          res.write(head);
          streamedBytes += head.length;
          const pad = Buffer.alloc(CHUNK, "x");
          while (streamedBytes < TOTAL && !res.destroyed) {
            streamedBytes += CHUNK;
            if (!res.write(pad)) await drainedOrClosed(res);
          }
          if (!res.destroyed) res.end('"}}],"nextPageToken":""}');
          return true;
        }
        if (flowId === FLOW_B) {
          // Announces a gigabyte, sends a little and waits: the announcement alone must end it.
          res.writeHead(200, { "content-type": "application/json", "content-length": String(1024 ** 3) });
          res.write('{"results":[');
          res.once("close", () => (announcedClosed = true));
          return true;
        }
        res.writeHead(200, { "content-type": "application/json" });
        res.end(pageText([runText(run(3), FLOW_C, AT), runText(run(4), FLOW_C, AT)]));
        return true;
      },
    });
    const { url, result } = await sync(api, [FLOW_A, FLOW_B, FLOW_C], {
      HTTP_MAX_RESPONSE_BYTES: "1MB",
      // Today's code waits for the announced body; this keeps that failure quick.
      HTTP_TIMEOUT_MS: "3000",
      SYNC_MAX_RETRIES: "1",
    });

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/HTTP_MAX_RESPONSE_BYTES/);
    expect(result.stderr).toMatch(/1048576 bytes/);
    // Read no further than the limit (plus what socket buffers hold), and not asked again.
    expect(streamedBytes).toBeLessThan(TOTAL / 2);
    expect(announcedClosed).toBe(true);
    expect(api.lists.get(FLOW_A)).toBe(1);
    expect(api.lists.get(FLOW_B)).toBe(1);
    const errors = await lastErrors(url);
    expect(errors[FLOW_A]).toMatch(/HTTP_MAX_RESPONSE_BYTES/);
    expect(errors[FLOW_B]).toMatch(/HTTP_MAX_RESPONSE_BYTES/);
    expect(errors[FLOW_C]).toBeNull();
    // The other flow was synced.
    expect(await storedRuns(url)).toEqual([run(3), run(4)]);
  });
});

describe("redirects stay on BIRD_API_URL's origin", () => {
  it("follows a same-origin redirect with the key, refuses one to another origin and bounds a loop", async () => {
    const elsewhere = await serve({
      flows: [],
      keyRequired: false,
      onList: ({ flowId, res }) => {
        // What another origin would serve: a run, or a 401 that is not Bird's verdict on the key.
        if (flowId === FLOW_B) res.writeHead(401).end('{"code":"Unauthorized"}');
        else res.writeHead(200).end(pageText([runText(run(9), flowId, AT)]));
        return true;
      },
    });
    const api = await serve({
      flows: [FLOW_A, FLOW_B, FLOW_C, FLOW_D],
      onOther: (req, res) => {
        if (!req.url?.startsWith("/moved/")) return false;
        res.writeHead(200, { "content-type": "application/json" }).end(pageText([runText(run(5), FLOW_C, AT)]));
        return true;
      },
      onList: ({ flowId, url, res }) => {
        const to = {
          [FLOW_A]: `${elsewhere.url}${url.pathname}${url.search}`,
          [FLOW_B]: `${elsewhere.url}${url.pathname}`,
          [FLOW_C]: `/moved${url.pathname}${url.search}`,
          [FLOW_D]: `${url.pathname}${url.search}`,
        }[flowId];
        res.writeHead(flowId === FLOW_B ? 307 : 302, { location: to! }).end();
        return true;
      },
    });
    const { url, result } = await sync(api, [FLOW_A, FLOW_B, FLOW_C, FLOW_D]);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`redirecting to ${elsewhere.url}/organizations/`);
    expect(result.stderr).toContain(`refusing to follow a redirect off BIRD_API_URL's origin (${api.url})`);
    expect(result.stderr).not.toMatch(/rejected the access key/);
    expect(elsewhere.paths).toEqual([]);
    // The same-origin move was followed, with the key (the scripted Bird checks it on every path).
    expect(api.paths.filter((p) => p.startsWith("/moved/"))).toHaveLength(1);
    expect(await storedRuns(url)).toEqual([run(5)]);
    const errors = await lastErrors(url);
    expect(errors[FLOW_A]).toContain(elsewhere.url);
    expect(errors[FLOW_B]).toContain(elsewhere.url);
    expect(errors[FLOW_C]).toBeNull();
    expect(errors[FLOW_D]).toMatch(/redirects/);
    expect(api.lists.get(FLOW_D)).toBeLessThanOrEqual(6);
  });
});

describe("a rejected key is recorded", () => {
  it("a 401 in the middle of a pass exits 2 and writes last_error of the flows it stopped, without the key", async () => {
    const api = await serve({
      flows: [FLOW_A, FLOW_B],
      onList: ({ flowId, url, res }) => {
        if (flowId === FLOW_A && url.searchParams.get("pageToken") === "p2") {
          res.writeHead(401, { "content-type": "application/json" }).end('{"code":"Unauthorized","message":"key revoked"}');
        } else {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(pageText([runText(run(flowId === FLOW_A ? 1 : 2), flowId, AT)], flowId === FLOW_A ? "p2" : ""));
        }
        return true;
      },
    });
    const { url, env, result } = await sync(api, [FLOW_A, FLOW_B]);

    expect(result.code).toBe(2);
    expect(api.lists.get(FLOW_B)).toBeUndefined();
    const errors = await lastErrors(url);
    for (const flow of [FLOW_A, FLOW_B]) {
      expect(errors[flow]).toMatch(/HTTP 401/);
      expect(errors[flow]).not.toContain(KEY);
    }
    // Page one's run was committed before the key was rejected.
    expect(await storedRuns(url)).toEqual([run(1)]);
    const status = await runCli(["status", "--json"], env);
    expect(status.code).toBe(0);
    const flows = JSON.parse(status.stdout) as Array<{ flowId: string; lastError: string | null }>;
    expect(flows.find((f) => f.flowId === FLOW_A)?.lastError).toMatch(/rejected the access key \(HTTP 401\)/);
    expect(status.stdout + result.stderr).not.toContain(KEY);
  });
});

describe("a Retry-After beyond SYNC_MAX_RETRY_AFTER", () => {
  it("ends the pass at once (exit 1), the other flows fail fast without requests, status says until when", async () => {
    const api = await serve({
      flows: [FLOW_A, FLOW_B, FLOW_C],
      onList: ({ res }) => {
        res.writeHead(429, { "content-type": "application/json", "retry-after": "3600" }).end('{"code":"TooManyRequests"}');
        return true;
      },
    });
    const started = Date.now();
    // SYNC_MAX_RETRY_AFTER unset: the bound is one interval of the default schedule (5 minutes).
    const { url, env, result } = await sync(api, [FLOW_A, FLOW_B, FLOW_C]);

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Retry-After 3600 s exceeds SYNC_MAX_RETRY_AFTER=5m/);
    expect([...api.lists.values()].reduce((a, b) => a + b, 0)).toBe(1);
    const rows = await query<{ id: string; e: string; next: Date }>(
      url,
      "select flow_id::text as id, last_error as e, next_attempt_at as next from bird.sync_state",
    );
    expect(rows).toHaveLength(3);
    for (const r of rows) {
      expect(r.e).toMatch(/^rate limited by Bird until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/);
      // The daemon's next cycles leave the flow alone until Bird's pause is over.
      expect(r.next.getTime()).toBeGreaterThanOrEqual(started + 3_590_000);
    }
    const status = await runCli(["status"], env);
    expect(status.stdout).toMatch(/rate limited by Bird until \d{4}-/);
  });

  it("a Retry-After within the bound is still waited out", async () => {
    let answered = 0;
    const api = await serve({
      flows: [FLOW_A],
      onList: ({ res }) => {
        if (answered++ === 0) res.writeHead(429, { "retry-after": "1" }).end();
        else res.writeHead(200, { "content-type": "application/json" }).end(pageText([runText(run(1), FLOW_A, AT)]));
        return true;
      },
    });
    const { url, result } = await sync(api, [FLOW_A], { SYNC_MAX_RETRY_AFTER: "30s" });

    expect(result.code).toBe(0);
    expect(api.lists.get(FLOW_A)).toBe(2);
    expect(await storedRuns(url)).toEqual([run(1)]);
  });
});
