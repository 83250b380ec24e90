// The built-in fake Bird API over real HTTP with global fetch (docs/fake-api-spec.md): what needs a listening
// server — auth, transport faults (429 and Retry-After, 5xx, not JSON, wrong shape, truncated, reset, latency),
// the request counters, the /_fake control endpoints, close() and the fake-api command. Data, paging, tokens and
// paging faults are proven in process in fake.unit.test.ts.
import { Server, get as httpGet } from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ConfigError } from "../src/errors.js";
import { type ApprovalRun, type FakeBirdApi, serveFakeApi, type StartFakeOptions, startFakeBirdApi } from "../src/fake/index.js";
import { type Page, runsPath } from "./helpers/fake-in-process.js";

function auth(api: FakeBirdApi): Record<string, string> {
  return { authorization: `AccessKey ${api.accessKey}` };
}

/** A GET on a connection of its own (no keep-alive reuse); resolves with the status. */
function onNewConnection(api: FakeBirdApi, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpGet(api.url + path, { agent: false, headers: auth(api) }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
  });
}

async function call(api: FakeBirdApi, path: string, headers: Record<string, string> = auth(api)) {
  const res = await fetch(api.url + path, { headers });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { res, status: res.status, text, json: json as Record<string, unknown> };
}

async function page(api: FakeBirdApi, flowId: string, q: { limit?: number; reverse?: boolean; token?: string }): Promise<Page> {
  const params = new URLSearchParams();
  if (q.limit !== undefined) params.set("limit", String(q.limit));
  if (q.reverse !== undefined) params.set("reverse", String(q.reverse));
  if (q.token !== undefined) params.set("pageToken", q.token);
  const r = await call(api, `${runsPath(api, flowId)}?${params}`);
  return { status: r.status, body: r.json as unknown as Page["body"] };
}

let opened: FakeBirdApi[] = [];
async function start(opts: StartFakeOptions = {}): Promise<FakeBirdApi> {
  const api = await startFakeBirdApi({ port: 0, ...opts });
  opened.push(api);
  return api;
}
afterEach(async () => {
  await Promise.all(opened.map((a) => a.close()));
  opened = [];
});

describe("requests the API refuses", () => {
  let api: FakeBirdApi;
  let flowId: string;
  beforeAll(async () => {
    api = await startFakeBirdApi({ port: 0, flows: 2, runsPerFlow: 50, accessKey: "k-123" });
    flowId = api.store.flowIds()[0]!;
  });
  afterAll(async () => api.close());

  it("answers 401 without the right AccessKey and counts it", async () => {
    api.resetCounters();
    const attempts: Array<Record<string, string>> = [{}, { authorization: "AccessKey wrong" }, { authorization: "Bearer k-123" }];
    for (const headers of attempts) {
      const r = await call(api, runsPath(api, flowId), headers);
      expect(r.status).toBe(401);
      expect(r.json).toEqual({ code: "Unauthorized", message: "invalid access key" });
    }
    expect(api.counters.authFailures).toBe(3);
    expect(api.counters.byStatus["401"]).toBe(3);
    expect((await call(api, runsPath(api, flowId), { authorization: "AccessKey k-123" })).status).toBe(200);
  });

  it("serves a run by id as application/json", async () => {
    const run = api.store.runs(flowId)[7]!;
    const r = await call(api, `${runsPath(api, flowId)}/${run.id}`, { authorization: "AccessKey k-123" });
    expect(r.status).toBe(200);
    expect(r.res.headers.get("content-type")).toBe("application/json");
    expect(r.json).toEqual(run);
  });
});

describe("transport faults", () => {
  it("429 carries Retry-After as seconds, an HTTP date, or nothing", async () => {
    const api = await start({ flows: 1, runsPerFlow: 5, faults: { rate429: 1, retryAfterSeconds: 2 } });
    const path = runsPath(api, api.store.flowIds()[0]!);
    let r = await call(api, path);
    expect(r.status).toBe(429);
    expect(r.res.headers.get("retry-after")).toBe("2");
    api.setFaults({ retryAfter: "http-date" });
    const before = Date.now();
    r = await call(api, path);
    const after = Date.now();
    // 2 s from when the fake answered, rounded up to the second (HTTP dates have no milliseconds).
    const at = Date.parse(r.res.headers.get("retry-after") ?? "");
    expect(at).toBeGreaterThanOrEqual(before + 2000);
    expect(at).toBeLessThanOrEqual(Math.ceil((after + 2000) / 1000) * 1000);
    api.setFaults({ retryAfter: "none" });
    r = await call(api, path);
    expect(r.status).toBe(429);
    expect(r.res.headers.has("retry-after")).toBe(false);
    expect(api.counters.byStatus["429"]).toBe(3);
  });

  it("maxPerSecond answers 429 with Retry-After to what arrives beyond the limit within a second", async () => {
    const api = await start({ flows: 1, runsPerFlow: 5, faults: { maxPerSecond: 3 } });
    const path = runsPath(api, api.store.flowIds()[0]!);
    const answers = await Promise.all([1, 2, 3, 4, 5].map(() => call(api, path)));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 429, 429]);
    expect(answers.filter((a) => a.status === 429).map((a) => a.res.headers.get("retry-after"))).toEqual(["1", "1"]);
    expect(api.counters.faults.rateLimit).toBe(2);
    expect(api.counters.maxPerSecond).toBe(5);
  });

  it("5xx, not-JSON and wrong-shape 200s are observable", async () => {
    const api = await start({ flows: 1, runsPerFlow: 5, faults: { rate5xx: 1 } });
    const path = runsPath(api, api.store.flowIds()[0]!);
    const statuses = new Set<number>();
    for (let i = 0; i < 30; i++) statuses.add((await call(api, path)).status);
    expect([...statuses].sort()).toEqual([500, 502, 503]);

    api.setFaults({ rate5xx: 0, rateNotJson: 1 });
    let r = await call(api, path);
    expect(r.status).toBe(200);
    expect(r.res.headers.get("content-type")).toMatch(/text\/html/);
    expect(r.json).toBeUndefined();

    api.setFaults({ rateNotJson: 0, rateWrongShape: 1 });
    const shapes = new Set<string>();
    for (let i = 0; i < 20; i++) {
      r = await call(api, path);
      expect(r.status).toBe(200);
      expect(Array.isArray(r.json.results)).toBe(false);
      shapes.add(r.text);
    }
    expect([...shapes].sort()).toEqual(['{"items":[]}', '{"results":"x"}']);
    const run = api.store.runs(api.store.flowIds()[0]!)[0]!;
    expect((await call(api, `${path}/${run.id}`)).json).toEqual(run); // a single run is never reshaped
    expect(api.counters.faults).toMatchObject({ "5xx": 30, notJson: 1, wrongShape: 20 });
  });

  it("truncated bodies and connection resets fail the fetch; control endpoints never fault", async () => {
    const api = await start({ flows: 1, runsPerFlow: 50, faults: { rateTruncated: 1 } });
    const path = runsPath(api, api.store.flowIds()[0]!);
    const res = await fetch(api.url + path, { headers: auth(api) });
    expect(res.status).toBe(200);
    expect(Number(res.headers.get("content-length"))).toBeGreaterThan(100);
    await expect(res.text()).rejects.toThrow();
    api.setFaults({ rateTruncated: 0, rateReset: 1, rate429: 0 });
    await expect(fetch(api.url + path, { headers: auth(api) })).rejects.toThrow();
    const state = await fetch(`${api.url}/_fake/state`);
    expect(state.status).toBe(200);
    const counters = (await state.json()) as { byStatus: Record<string, number>; requests: number };
    expect(counters.byStatus).toEqual({ truncated: 1, reset: 1 });
    expect(counters.requests).toBe(2);
    // Both broken requests left the in-flight count.
    api.setFaults({ rateReset: 0 });
    api.resetCounters();
    await call(api, path);
    expect(api.counters.maxInFlight).toBe(1);
  });

  it("latency delays every API request", async () => {
    const api = await start({ flows: 1, runsPerFlow: 5, faults: { latencyMs: 120, latencyJitterMs: 30 } });
    const t = Date.now();
    await call(api, runsPath(api, api.store.flowIds()[0]!));
    expect(Date.now() - t).toBeGreaterThanOrEqual(115);
  });
});

describe("counters", () => {
  it("count requests by kind and status, page fetches and refetches; /_fake is not counted", async () => {
    const api = await start({ flows: 2, runsPerFlow: 30 });
    const [a, b] = api.store.flowIds() as [string, string];
    const p1 = await page(api, a, { limit: 10 });
    const token = p1.body.nextPageToken as string;
    await page(api, a, { limit: 10, token });
    await page(api, a, { limit: 10, token });
    await page(api, a, { limit: 10 });
    await page(api, b, { limit: 10, reverse: true });
    await call(api, `${runsPath(api, b)}/${api.store.runs(b)[0]!.id}`);
    await call(api, `/organizations/${api.organizationId}/approvals`);
    await fetch(`${api.url}/_fake/state`);
    const c = api.counters;
    expect(c.requests).toBe(7);
    expect(c.listRequests).toBe(5);
    expect(c.getRequests).toBe(1);
    expect(c.flowListRequests).toBe(1);
    expect(c.listRequestsPerFlow).toEqual({ [a]: 4, [b]: 1 });
    expect(c.getRequestsPerFlow).toEqual({ [b]: 1 });
    expect(c.byStatus).toEqual({ "200": 7 });
    expect(c.pageFetches).toEqual({ [`${a}|false|`]: 2, [`${a}|false|${token}`]: 2, [`${b}|true|`]: 1 });
    expect(c.refetchedPages).toBe(2);
    api.resetCounters();
    expect(api.counters.requests).toBe(0);
    expect(api.counters.pageFetches).toEqual({});
  });

  it("retryAfterViolations counts requests surely sent after the 429 was read, inside its pause", async () => {
    const api = await start({ flows: 1, runsPerFlow: 5, faults: { rate429: 1, retryAfterSeconds: 1 } });
    const path = runsPath(api, api.store.flowIds()[0]!);
    // The clock is ours (only Date is faked; sockets run for real), so a slow machine cannot blur the windows.
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      const t0 = Date.parse("2026-01-01T00:00:00Z");
      vi.setSystemTime(t0);
      expect((await call(api, path)).status).toBe(429);
      api.setFaults({ rate429: 0 });
      // Another request on a fresh connection may have been on the wire before the 429 arrived.
      vi.setSystemTime(t0 + 100);
      expect(await onNewConnection(api, `${path}?limit=5`)).toBe(200);
      expect(api.counters.retryAfterViolations).toBe(0);
      // The same request again, on the keep-alive socket that carried the 429: sent after reading it.
      await call(api, path);
      expect(api.counters.retryAfterViolations).toBe(1);
      vi.setSystemTime(t0 + 1100);
      await call(api, path);
      expect(api.counters.retryAfterViolations).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it("maxInFlight and maxInFlightPerFlow see concurrent requests", async () => {
    const api = await start({ flows: 2, runsPerFlow: 10, faults: { latencyMs: 150 } });
    const [a, b] = api.store.flowIds() as [string, string];
    await Promise.all([
      ...Array.from({ length: 5 }, () => call(api, runsPath(api, a))),
      ...Array.from({ length: 2 }, () => call(api, `${runsPath(api, b)}/${api.store.runs(b)[0]!.id}`)),
    ]);
    expect(api.counters.maxInFlight).toBe(7);
    expect(api.counters.maxInFlightPerFlow).toEqual({ [a]: 5, [b]: 2 });
    api.resetCounters();
    await call(api, runsPath(api, a));
    expect(api.counters.maxInFlight).toBe(1);
    expect(api.counters.maxInFlightPerFlow).toEqual({ [a]: 1 });
  });

  it("counts every flow listing request, paged or by status, as a flow-list request", async () => {
    const api = await start({ flows: 5, runsPerFlow: 3 });
    const flowsPath = `/organizations/${api.organizationId}/approvals`;
    let token = "";
    do {
      const r = await call(api, `${flowsPath}?limit=2${token ? `&pageToken=${encodeURIComponent(token)}` : ""}`);
      expect(r.status).toBe(200);
      token = r.json.nextPageToken as string;
    } while (token);
    api.store.removeFlow(api.store.flowIds()[1]!);
    await call(api, `${flowsPath}?limit=100`);
    await call(api, `${flowsPath}?status=deleted`);
    expect(api.counters.flowListRequests).toBe(5);
  });
});

describe("control endpoints and close", () => {
  it("/_fake endpoints expose state, runs, flows, faults and mutations without auth", async () => {
    const api = await start({ flows: 2, runsPerFlow: 20 });
    const flowId = api.store.flowIds()[0]!;
    const post = (path: string, body: unknown) =>
      fetch(`${api.url}${path}`, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } });
    expect(await (await fetch(`${api.url}/_fake/runs?flow=${flowId}`)).json()).toEqual(api.store.runs(flowId));
    expect(await (await fetch(`${api.url}/_fake/flows`)).json()).toEqual(api.store.flows());
    expect((await fetch(`${api.url}/_fake/runs?flow=nope`)).status).toBe(404);

    const added = (await (await post("/_fake/mutate", { op: "addRuns", flowId, n: 2 })).json()) as ApprovalRun[];
    expect(api.store.runs(flowId).slice(-2)).toEqual(added);
    const decided = (await (await post("/_fake/mutate", { op: "decideRuns", flowId, n: 1 })).json()) as ApprovalRun[];
    expect(decided).toHaveLength(1);
    const deleted = (await (await post("/_fake/mutate", { op: "deleteRuns", flowId, n: 2 })).json()) as ApprovalRun[];
    expect(api.store.runs(flowId)).toHaveLength(20);
    await post("/_fake/mutate", { op: "restoreRun", flowId, runId: deleted[0]!.id });
    const edited = (await (
      await post("/_fake/mutate", { op: "editRun", flowId, runId: added[0]!.id, patch: { activeStep: 2 } })
    ).json()) as ApprovalRun;
    expect(edited.activeStep).toBe(2);
    expect((await post("/_fake/mutate", { op: "explode", flowId })).status).toBe(400);
    expect((await post("/_fake/mutate", { op: "editRun", flowId, runId: "missing", patch: {} })).status).toBe(404);

    const faults = (await (await post("/_fake/faults", { rate429: 0.5, failFlowIds: [flowId] })).json()) as Record<string, unknown>;
    expect(faults).toMatchObject({ rate429: 0.5, failFlowIds: [flowId], retryAfter: "seconds" });
    expect(api.currentFaults().rate429).toBe(0.5);
    expect((await post("/_fake/faults", { rate429: 2 })).status).toBe(400);
    expect((await post("/_fake/faults", { nope: 1 })).status).toBe(400);

    await post("/_fake/mutate", { op: "removeFlow", flowId });
    expect(api.store.flowIds()).not.toContain(flowId);
    await call(api, runsPath(api, api.store.flowIds()[0]!));
    expect(((await (await fetch(`${api.url}/_fake/state`)).json()) as { requests: number }).requests).toBe(1);
    await post("/_fake/reset-counters", {});
    expect(api.counters.requests).toBe(0);
  });

  // Prompt = it does not wait out the idle keep-alive socket: the server drops its connections instead
  // of timing how long close() took (a wall-time bound flakes on a busy machine).
  it("close() drops keep-alive sockets still open instead of waiting them out", async () => {
    const api = await startFakeBirdApi({ port: 0, flows: 1, runsPerFlow: 5 });
    await call(api, runsPath(api, api.store.flowIds()[0]!));
    const dropped = vi.spyOn(Server.prototype, "closeAllConnections");
    await api.close();
    expect(dropped).toHaveBeenCalled();
    dropped.mockRestore();
    await expect(fetch(`${api.url}/_fake/state`)).rejects.toThrow();
    await api.close(); // idempotent
  });
});

describe("fake-api command", () => {
  it("prints one JSON line with url, org, key and flows, serves until stopped", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const stdout = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => (out.push(String(chunk)), true));
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => (err.push(String(chunk)), true));
    const stop = new AbortController();
    try {
      const running = serveFakeApi({ port: 0, flows: 2, runs: 12, seed: 4, faults: '{"rate429":0}', signal: stop.signal });
      await vi.waitFor(() => expect(out).toHaveLength(1));
      const info = JSON.parse(out[0]!) as { url: string; organizationId: string; accessKey: string; flowIds: string[] };
      expect(info.flowIds).toHaveLength(2);
      // Issue 24: what it generates is said first (large --runs take seconds), then where it listens.
      expect(err[0]).toBe(
        "fake Bird API: generating 2 flows x 12 runs (seed 4; 24 runs in all), then listening on a free port of 127.0.0.1 ...\n",
      );
      expect(err[1]).toMatch(new RegExp(`^fake Bird API on ${info.url}: 2 flows x 12 runs, seed 4 \\(generated in \\d+\\.\\d s\\)`));
      expect(err.join("")).toContain(
        `BIRD_API_URL=${info.url} BIRD_ORGANIZATION_ID=${info.organizationId} BIRD_ACCESS_KEY=${info.accessKey}`,
      );
      const r = await fetch(`${info.url}/organizations/${info.organizationId}/approvals/${info.flowIds[0]}/runs`, {
        headers: { authorization: `AccessKey ${info.accessKey}` },
      });
      expect(((await r.json()) as { results: unknown[] }).results).toHaveLength(10);
      stop.abort();
      await running;
      await expect(fetch(`${info.url}/_fake/state`)).rejects.toThrow();
      await expect(serveFakeApi({ port: 0, flows: 1, runs: 1, seed: 1, faults: "{nope" })).rejects.toBeInstanceOf(ConfigError);
      await expect(serveFakeApi({ port: 0, flows: 1, runs: 1, seed: 1, faults: '{"rate5xx":7}' })).rejects.toThrow(/rate5xx/);
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
  });
});
