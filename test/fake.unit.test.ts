// The built-in fake Bird API is the oracle for the sync tests: prove its paging, tokens, faults,
// counters and determinism against the spec (docs/fake-api-spec.md), over real HTTP with global fetch.
import { Server, get as httpGet } from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { checkRun as checkRunText } from "../src/bird/schema.js";

/** The product checks a record together with its own text. */
const checkRun = (raw: unknown) => checkRunText(raw, () => JSON.stringify(raw));
import { ConfigError } from "../src/errors.js";
import { type ApprovalRun, type FakeBirdApi, serveFakeApi, type StartFakeOptions, startFakeBirdApi } from "../src/fake/index.js";

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface Page {
  status: number;
  body: { results: Array<Record<string, unknown>>; nextPageToken?: string | null };
}

function auth(api: FakeBirdApi): Record<string, string> {
  return { authorization: `AccessKey ${api.accessKey}` };
}

function runsPath(api: FakeBirdApi, flowId: string): string {
  return `/organizations/${api.organizationId}/approvals/${flowId}/runs`;
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

/** Every page of a listing, following nextPageToken until it is empty/null/absent. */
async function listAll(api: FakeBirdApi, flowId: string, q: { limit?: number; reverse?: boolean } = {}) {
  const pages: Page["body"][] = [];
  let token: string | undefined;
  for (let i = 0; i < 10_000; i++) {
    const p = await page(api, flowId, { ...q, ...(token === undefined ? {} : { token }) });
    expect(p.status).toBe(200);
    pages.push(p.body);
    const next = p.body.nextPageToken;
    if (next === undefined || next === null || next === "") break;
    token = next;
  }
  return { pages, items: pages.flatMap((p) => p.results) };
}

const ids = (items: ReadonlyArray<{ id?: unknown }>) => items.map((r) => r.id);

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

describe("generated data", () => {
  let api: FakeBirdApi;
  beforeAll(async () => {
    api = await startFakeBirdApi({ port: 0, flows: 3, runsPerFlow: 1050 });
  });
  afterAll(async () => api.close());

  it("has the spec's defaults and shape: valid runs, sorted, ms precision, ~4% pending newest", () => {
    expect(api.store.flowIds()).toHaveLength(3);
    expect(api.accessKey).toBe("fake-access-key");
    expect(api.organizationId).toMatch(UUID_V4);
    for (const flowId of api.store.flowIds()) {
      const runs = api.store.runs(flowId);
      expect(runs).toHaveLength(1050);
      expect(runs[0]!.createdAt).toBe("2025-01-01T00:00:00.000Z");
      for (let i = 0; i < runs.length; i++) {
        const run = runs[i]!;
        expect(checkRun(run).ok, JSON.stringify(run)).toBe(true);
        expect(run.id).toMatch(UUID_V4);
        expect(run.approvalFlowId).toBe(flowId);
        expect(new Date(run.createdAt).toISOString()).toBe(run.createdAt);
        expect(Date.parse(run.updatedAt)).toBeGreaterThanOrEqual(Date.parse(run.createdAt));
        if (i > 0) {
          const prev = runs[i - 1]!;
          const cmp = Date.parse(prev.createdAt) - Date.parse(run.createdAt);
          expect(cmp < 0 || (cmp === 0 && prev.id < run.id)).toBe(true);
        }
        if (run.status === "pending") expect(run.results).toEqual([]);
        else expect(run.results.length).toBeGreaterThanOrEqual(1);
      }
      const pending = runs.filter((r) => r.status === "pending");
      expect(pending).toHaveLength(42);
      expect(runs.slice(-42).every((r) => r.status === "pending")).toBe(true);
      const decided = runs.filter((r) => r.status !== "pending");
      const approved = decided.filter((r) => r.status === "approved").length / decided.length;
      expect(approved).toBeGreaterThan(0.65);
      expect(approved).toBeLessThan(0.85);
    }
  });

  it("covers the edge cases a sync must store verbatim", () => {
    const runs = api.store.flowIds().flatMap((f) => api.store.runs(f));
    const has = (pred: (r: ApprovalRun) => boolean) => runs.filter(pred).length;
    for (const key of ["organizationId", "workspaceId", "activeStep", "object", "previousObject", "invoker"] as const) {
      expect(
        has((r) => !(key in r)),
        key,
      ).toBeGreaterThan(0);
      expect(
        has((r) => key in r),
        key,
      ).toBeGreaterThan(0);
    }
    expect(has((r) => r.invoker === null)).toBeGreaterThan(0);
    expect(has((r) => r.invoker?.type === "accesskey")).toBeGreaterThan(0);
    expect(has((r) => r.results.some((d) => d.userId !== undefined && d.userId === d.reviewer?.id))).toBeGreaterThan(0);
    expect(has((r) => r.results.some((d) => d.reviewer === undefined))).toBeGreaterThan(0);
    expect(has((r) => r.results.some((d) => d.comment === undefined))).toBeGreaterThan(0);
    expect(has((r) => r.results.some((d) => d.result === "rejected"))).toBeGreaterThan(0);
    const text = JSON.stringify(runs);
    for (const needle of ["🐦", "承認", "موافقة", "e\u0301", '\\"', "\\\\", "0.1,"]) expect(text, needle).toContain(needle);
    // ~2% same-millisecond ties, broken by id.
    const flow = api.store.runs(api.store.flowIds()[0]!);
    const ties = flow.filter((r, i) => i > 0 && r.createdAt === flow[i - 1]!.createdAt).length;
    expect(ties).toBeGreaterThan(5);
    expect(ties).toBeLessThan(60);
    // Flows are ApprovalFlow objects with unicode names.
    for (const f of api.store.flows()) {
      expect(Object.keys(f).sort()).toEqual([
        "createdAt",
        "description",
        "id",
        "name",
        "objectAction",
        "objectType",
        "organizationId",
        "ownerId",
        "steps",
        "tags",
        "updatedAt",
        "workspaceId",
      ]);
      expect(f.steps.length).toBeGreaterThan(0);
    }
    expect(api.store.flows().some((f) => /[^\x00-\x7f]/.test(f.name))).toBe(true);
  });

  it("is deterministic: the same seed gives byte-identical data, another seed does not", async () => {
    const a = await start({ seed: 7, flows: 2, runsPerFlow: 300 });
    const b = await start({ seed: 7, flows: 2, runsPerFlow: 300 });
    const c = await start({ seed: 8, flows: 2, runsPerFlow: 300 });
    const dump = (x: FakeBirdApi) => JSON.stringify([x.organizationId, x.store.flows(), x.store.flowIds().map((f) => x.store.runs(f))]);
    expect(dump(a)).toBe(dump(b));
    expect(dump(a)).not.toBe(dump(c));
    // Served bytes match too (tokens aside), and scripted mutations replay identically.
    const [fa, fb] = [a.store.flowIds()[0]!, b.store.flowIds()[0]!];
    const strip = (t: string) => t.replace(/"nextPageToken":"[^"]*"/, "");
    expect(strip((await call(a, `${runsPath(a, fa)}?limit=100`)).text)).toBe(strip((await call(b, `${runsPath(b, fb)}?limit=100`)).text));
    for (const x of [a, b]) {
      const f = x.store.flowIds()[1]!;
      x.store.addRuns(f, 5);
      x.store.decideRuns(f, 3);
      x.store.deleteRuns(f, 4);
      x.setFaults({ invalidRecordsPerFlow: 3 });
    }
    expect(dump(a)).toBe(dump(b));
    expect(JSON.stringify(a.store.invalidRecords(fa))).toBe(JSON.stringify(b.store.invalidRecords(fb)));
  });

  // How fast is the bench's business (npm run bench); here: 100k runs generate and deep pages are right.
  it("generates 100k runs and serves deep pages that continue each other", async () => {
    const big = await start({ flows: 1, runsPerFlow: 100_000 });
    const flowId = big.store.flowIds()[0]!;
    const expected = big.store.runs(flowId);
    expect(expected).toHaveLength(100_000);
    const ids: string[] = [];
    let token: string | undefined;
    for (let i = 0; i < 51; i++) {
      const { body } = await page(big, flowId, { limit: 100, reverse: true, ...(token ? { token } : {}) });
      ids.push(...(body.results as Array<{ id: string }>).map((r) => r.id));
      token = body.nextPageToken as string;
    }
    expect(token).toBeTruthy();
    expect(ids).toEqual(
      expected
        .slice(-51 * 100)
        .reverse()
        .map((r) => r.id),
    );
  });
});

describe("paging", () => {
  it.each([
    ["asc", false],
    ["asc", true],
    ["desc", false],
    ["desc", true],
  ] as const)("order %s, reverse=%s: all pages equal store.runs in that direction", async (order, reverse) => {
    const api = await start({ flows: 2, runsPerFlow: 237, order });
    for (const flowId of api.store.flowIds()) {
      const expected = api.store.runs(flowId);
      const desc = (order === "desc") !== reverse;
      if (desc) expected.reverse();
      for (const limit of [1, 17, 100]) {
        const { items, pages } = await listAll(api, flowId, { limit, reverse });
        expect(items).toEqual(expected);
        expect(pages).toHaveLength(Math.ceil(237 / limit));
        for (const p of pages.slice(0, -1)) expect(p.results).toHaveLength(limit);
      }
      // default limit 10, reverse not sent
      if (!reverse) expect((await listAll(api, flowId)).pages[0]!.results).toHaveLength(10);
    }
  });

  it("breaks createdAt ties by id, so a page boundary inside a tie neither skips nor repeats", async () => {
    const api = await start({ flows: 1, runsPerFlow: 60, seed: 3 });
    const flowId = api.store.flowIds()[0]!;
    const runs = api.store.runs(flowId);
    // A block of 7 runs sharing one millisecond.
    for (const r of runs.slice(20, 27)) api.store.editRun(flowId, r.id, { createdAt: runs[20]!.createdAt });
    const expected = api.store.runs(flowId);
    expect(expected.filter((r) => r.createdAt === runs[20]!.createdAt).length).toBeGreaterThanOrEqual(7);
    for (const limit of [1, 2, 3]) {
      expect(ids((await listAll(api, flowId, { limit })).items)).toEqual(ids(expected));
      expect(ids((await listAll(api, flowId, { limit, reverse: true })).items)).toEqual(ids(expected).reverse());
    }
  });

  it("inserts and deletes between pages neither skip nor duplicate surviving items", async () => {
    const api = await start({ flows: 1, runsPerFlow: 120 });
    const flowId = api.store.flowIds()[0]!;
    const before = api.store.runs(flowId);
    const early = before[5]!;
    const later = before[60]!;
    api.store.deleteRun(flowId, early.id);
    api.store.deleteRun(flowId, later.id);
    const snapshot = api.store.runs(flowId);

    const first = await page(api, flowId, { limit: 10 });
    const seen = [...first.body.results];
    api.store.restoreRun(flowId, early.id); // sorts before the cursor: not in this listing
    api.store.restoreRun(flowId, later.id); // sorts after the cursor: listed once
    const gone = api.store.deleteRuns(flowId, 5).map((r) => r.id);
    const added = api.store.addRuns(flowId, 3);
    let token = first.body.nextPageToken as string;
    while (token) {
      const p = await page(api, flowId, { limit: 10, token });
      seen.push(...p.body.results);
      token = p.body.nextPageToken as string;
    }
    const seenIds = ids(seen) as string[];
    expect(new Set(seenIds).size).toBe(seenIds.length);
    const firstPageIds = new Set(ids(first.body.results));
    for (const r of snapshot) {
      if (!gone.includes(r.id) || firstPageIds.has(r.id)) expect(seenIds).toContain(r.id);
    }
    expect(seenIds).toContain(later.id);
    expect(seenIds).not.toContain(early.id);
    for (const r of added) expect(seenIds).toContain(r.id);
  });

  it("signals the last page as configured: empty string, null, or no key", async () => {
    const api = await start({ flows: 1, runsPerFlow: 15 });
    const flowId = api.store.flowIds()[0]!;
    const last = async () => (await call(api, `${runsPath(api, flowId)}?limit=20`)).json;
    expect(await last()).toHaveProperty("nextPageToken", "");
    api.setOptions({ lastPageToken: "null" });
    expect(await last()).toHaveProperty("nextPageToken", null);
    api.setOptions({ lastPageToken: "absent" });
    expect(await last()).not.toHaveProperty("nextPageToken");
    // exactly one full page: the end is known at once, no trailing empty page
    api.setOptions({ lastPageToken: "empty" });
    const exact = await call(api, `${runsPath(api, flowId)}?limit=15`);
    expect(exact.json.nextPageToken).toBe("");
  });

  it("lists flows with the same paging, hides removed flows, and 404s them", async () => {
    const api = await start({ flows: 5, runsPerFlow: 3 });
    const flowsPath = `/organizations/${api.organizationId}/approvals`;
    const all: unknown[] = [];
    let token = "";
    do {
      const r = await call(api, `${flowsPath}?limit=2${token ? `&pageToken=${encodeURIComponent(token)}` : ""}`);
      expect(r.status).toBe(200);
      all.push(...(r.json.results as unknown[]));
      token = r.json.nextPageToken as string;
    } while (token);
    expect(all).toEqual(api.store.flows());
    const gone = api.store.flowIds()[1]!;
    api.store.removeFlow(gone);
    expect(api.store.flowIds()).not.toContain(gone);
    const listed = (await call(api, `${flowsPath}?limit=100`)).json.results as Array<{ id: string }>;
    expect(listed.map((f) => f.id)).toEqual(api.store.flowIds());
    expect(((await call(api, `${flowsPath}?status=deleted`)).json.results as Array<{ id: string }>).map((f) => f.id)).toEqual([gone]);
    const list = await call(api, runsPath(api, gone));
    expect(list.status).toBe(404);
    expect(list.json).toMatchObject({ code: "NotFound" });
    expect((await call(api, `${runsPath(api, gone)}/${api.store.runs(gone)[0]!.id}`)).status).toBe(404);
    expect(api.counters.flowListRequests).toBe(5);
  });
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

  it("answers 400 for a bad limit or reverse, 404 for unknown org, flow, run or path", async () => {
    for (const q of ["limit=0", "limit=101", "limit=1.5", "limit=abc", "limit=", "reverse=maybe"]) {
      const r = await call(api, `${runsPath(api, flowId)}?${q}`);
      expect(r.status, q).toBe(400);
    }
    expect((await call(api, `${runsPath(api, flowId)}?limit=100`)).status).toBe(200);
    const notFound = [
      `/organizations/00000000-0000-4000-8000-000000000000/approvals/${flowId}/runs`,
      runsPath(api, "00000000-0000-4000-8000-000000000000"),
      `${runsPath(api, flowId)}/00000000-0000-4000-8000-000000000000`,
      "/nothing/here",
    ];
    for (const path of notFound) {
      const r = await call(api, path);
      expect(r.status, path).toBe(404);
      expect(r.json.code).toBe("NotFound");
      expect(typeof r.json.message).toBe("string");
    }
  });

  it("GETs a run by id as listed, and 404s it once deleted", async () => {
    const run = api.store.runs(flowId)[7]!;
    const r = await call(api, `${runsPath(api, flowId)}/${run.id}`);
    expect(r.status).toBe(200);
    expect(r.res.headers.get("content-type")).toBe("application/json");
    expect(r.json).toEqual(run);
    api.store.deleteRun(flowId, run.id);
    expect((await call(api, `${runsPath(api, flowId)}/${run.id}`)).status).toBe(404);
    api.store.restoreRun(flowId, run.id);
    expect((await call(api, `${runsPath(api, flowId)}/${run.id}`)).json).toEqual(run);
  });
});

describe("page tokens", () => {
  let api: FakeBirdApi;
  let flowId: string;
  beforeAll(async () => {
    api = await startFakeBirdApi({ port: 0, flows: 2, runsPerFlow: 50 });
    flowId = api.store.flowIds()[0]!;
  });
  afterAll(async () => api.close());
  afterEach(() => api.setFaults({ tokenTtlMs: 0 }));

  it("are opaque and reject tampering, garbage, another flow's token and a flipped reverse", async () => {
    const first = await page(api, flowId, { limit: 10 });
    const token = first.body.nextPageToken as string;
    expect(token).toMatch(/^[A-Za-z0-9_.-]+$/);
    expect(token).not.toContain(first.body.results[9]!.id as string);
    expect((await page(api, flowId, { limit: 10, token })).status).toBe(200);

    const [body, sig] = token.split(".") as [string, string];
    const decoded = JSON.parse(Buffer.from(body, "base64url").toString()) as unknown[];
    expect(decoded.slice(0, 3)).toEqual([Date.parse(first.body.results[9]!.createdAt as string), first.body.results[9]!.id, false]);
    const forged = Buffer.from(JSON.stringify([0, "x", false, ...decoded.slice(3)])).toString("base64url");
    const flipped = `${body.slice(0, -2)}${body.at(-2) === "A" ? "B" : "A"}${body.at(-1)}.${sig}`;
    for (const bad of [`${forged}.${sig}`, flipped, `${body}.${sig.slice(1)}`, "garbage", "e30", `${token}x`]) {
      const r = await page(api, flowId, { limit: 10, token: bad });
      expect(r.status, bad).toBe(400);
      expect(r.body).toMatchObject({ code: "InvalidPageToken" });
    }
    const other = await page(api, api.store.flowIds()[1]!, { limit: 10, token });
    expect(other.status).toBe(400);
    const reversed = await page(api, flowId, { limit: 10, token, reverse: true });
    expect(reversed.status).toBe(400);
  });

  it("expire after tokenTtlMs with a 400", async () => {
    api.setFaults({ tokenTtlMs: 60 });
    const first = await page(api, flowId, { limit: 10 });
    const token = first.body.nextPageToken as string;
    expect((await page(api, flowId, { limit: 10, token })).status).toBe(200);
    // The fake runs in this process: move its clock past the TTL instead of sleeping through it.
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 120 });
    const late = await page(api, flowId, { limit: 10, token }).finally(() => vi.useRealTimers());
    expect(late.status).toBe(400);
    expect(late.body).toMatchObject({ code: "InvalidPageToken" });
    api.setFaults({ tokenTtlMs: 0 });
    expect((await page(api, flowId, { limit: 10, token })).status).toBe(200);
  });
});

describe("faults", () => {
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

  it("failFlowIds answer 500 to every list request of those flows only", async () => {
    const api = await start({ flows: 2, runsPerFlow: 5 });
    const [bad, good] = api.store.flowIds() as [string, string];
    api.setFaults({ failFlowIds: [bad] });
    for (let i = 0; i < 3; i++) expect((await call(api, runsPath(api, bad))).status).toBe(500);
    expect((await call(api, runsPath(api, good))).status).toBe(200);
    expect((await call(api, `${runsPath(api, bad)}/${api.store.runs(bad)[0]!.id}`)).status).toBe(200);
  });

  it("repeatTokenFlowIds: the 2nd page returns the token it was called with", async () => {
    const api = await start({ flows: 2, runsPerFlow: 50 });
    const [loop, plain] = api.store.flowIds() as [string, string];
    api.setFaults({ repeatTokenFlowIds: [loop] });
    const t1 = (await page(api, loop, { limit: 10 })).body.nextPageToken as string;
    const second = await page(api, loop, { limit: 10, token: t1 });
    expect(second.body.nextPageToken).toBe(t1);
    expect(second.body.results).toHaveLength(10);
    expect((await listAll(api, plain, { limit: 10 })).items).toEqual(api.store.runs(plain));
  });

  it("emptyPageWithToken inserts exactly one empty page mid-listing and loses nothing", async () => {
    const api = await start({ flows: 1, runsPerFlow: 95, faults: { emptyPageWithToken: true } });
    const flowId = api.store.flowIds()[0]!;
    for (const [limit, reverse] of [
      [10, false],
      [10, true],
      [100, false],
      [7, true],
    ] as const) {
      const { pages, items } = await listAll(api, flowId, { limit, reverse });
      const empties = pages.filter((p) => p.results.length === 0);
      expect(empties).toHaveLength(1);
      expect(empties[0]!.nextPageToken).toBeTruthy();
      expect(pages.indexOf(empties[0]!)).toBeGreaterThan(0);
      expect(pages.indexOf(empties[0]!)).toBeLessThan(pages.length - 1);
      const expected = api.store.runs(flowId);
      expect(items).toEqual(reverse ? expected.reverse() : expected);
    }
  });

  it("duplicateAcrossPages repeats each page's last run first on the next page", async () => {
    const api = await start({ flows: 1, runsPerFlow: 40, faults: { duplicateAcrossPages: true } });
    const flowId = api.store.flowIds()[0]!;
    const { pages, items } = await listAll(api, flowId, { limit: 10 });
    for (let i = 1; i < pages.length; i++) expect(pages[i]!.results[0]).toEqual(pages[i - 1]!.results.at(-1));
    const unique = [...new Map(items.map((r) => [r.id, r])).values()];
    expect(unique).toEqual(api.store.runs(flowId));
    expect(items.length).toBe(40 + pages.length - 1);
  });

  it("invalid records are mixed into each listing, fetchable raw by id, and can be fixed", async () => {
    const api = await start({ flows: 2, runsPerFlow: 100, faults: { invalidRecordsPerFlow: 7 } });
    for (const flowId of api.store.flowIds()) {
      const invalid = api.store.invalidRecords(flowId) as Array<Record<string, unknown>>;
      expect(invalid).toHaveLength(7);
      const { items } = await listAll(api, flowId, { limit: 13 });
      expect(items).toHaveLength(107);
      const rejected = items.filter((r) => !checkRun(r).ok);
      expect(rejected).toEqual(expect.arrayContaining(invalid));
      expect(rejected).toHaveLength(7);
      expect(items.filter((r) => checkRun(r).ok)).toEqual(api.store.runs(flowId));
      expect((await listAll(api, flowId, { limit: 13, reverse: true })).items).toEqual([...items].reverse());
      const text = JSON.stringify(invalid);
      for (const needle of ['"archived"', '"not-a-date"', '"run-', '"two"', '"maybe"']) expect(text).toContain(needle);
      expect(invalid.some((r) => !("id" in r))).toBe(true);
      const nonUuid = invalid.find((r) => typeof r.id === "string" && r.id.startsWith("run-"))!;
      expect((await call(api, `${runsPath(api, flowId)}/${nonUuid.id as string}`)).json).toEqual(nonUuid);
    }
    const flowId = api.store.flowIds()[0]!;
    const badStatus = (api.store.invalidRecords(flowId) as Array<Record<string, unknown>>).findIndex((r) => r.status === "archived");
    const id = (api.store.invalidRecords(flowId)[badStatus] as { id: string }).id;
    const fixed = api.store.fixInvalidRecord(flowId, badStatus);
    expect(fixed.id).toBe(id);
    expect(checkRun(fixed).ok).toBe(true);
    expect(api.store.invalidRecords(flowId)).toHaveLength(6);
    expect(api.store.runs(flowId).map((r) => r.id)).toContain(id);
    expect((await call(api, `${runsPath(api, flowId)}/${id}`)).json).toEqual(fixed);
    api.setFaults({ invalidRecordsPerFlow: 0 });
    expect((await listAll(api, flowId, { limit: 100 })).items).toEqual(api.store.runs(flowId));
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
});

describe("mutations and control endpoints", () => {
  it("addRuns, decideRuns, editRun, deleteRuns/restoreRun, removeFlow/addFlow behave as documented", async () => {
    const api = await start({ flows: 1, runsPerFlow: 50 });
    const flowId = api.store.flowIds()[0]!;
    const before = api.store.runs(flowId);
    const newest = Date.parse(before.at(-1)!.createdAt);
    const added = api.store.addRuns(flowId, 3);
    expect(added.map((r) => Date.parse(r.createdAt) - newest)).toEqual([1000, 2000, 3000]);
    expect(added.every((r) => r.status === "pending" && checkRun(r).ok)).toBe(true);
    expect(api.store.runs(flowId).slice(-3)).toEqual(added);

    const oldestPending = api.store
      .runs(flowId)
      .filter((r) => r.status === "pending")
      .slice(0, 2);
    const decided = api.store.decideRuns(flowId, 2);
    expect(decided.map((r) => r.id)).toEqual(oldestPending.map((r) => r.id));
    for (const [i, r] of decided.entries()) {
      expect(["approved", "denied"]).toContain(r.status);
      expect(r.results).toHaveLength(1);
      expect(Date.parse(r.updatedAt)).toBeGreaterThan(Date.parse(oldestPending[i]!.updatedAt));
      expect(checkRun(r).ok).toBe(true);
    }
    const denied = api.store.decideRun(flowId, added[2]!.id, "rejected");
    expect(denied.status).toBe("denied");
    expect(denied.results[0]!.result).toBe("rejected");

    const target = before[10]!;
    const edited = api.store.editRun(flowId, target.id, { tags: [{ key: "k", value: "✓" }], workspaceId: undefined });
    expect(edited.tags).toEqual([{ key: "k", value: "✓" }]);
    expect(edited).not.toHaveProperty("workspaceId");
    expect(Date.parse(edited.updatedAt)).toBeGreaterThan(Date.parse(target.updatedAt));
    expect(api.store.runs(flowId)[10]).toEqual(edited);

    const deleted = api.store.deleteRuns(flowId, 4);
    expect(new Set(deleted.map((r) => r.id)).size).toBe(4);
    expect(api.store.runs(flowId)).toHaveLength(49);
    const restored = api.store.restoreRun(flowId, deleted[0]!.id);
    expect(restored).toEqual(deleted[0]);
    expect(api.store.runs(flowId)).toHaveLength(50);

    const newFlow = api.store.addFlow(20);
    expect(api.store.flowIds()).toEqual([flowId, newFlow]);
    expect(api.store.runs(newFlow)).toHaveLength(20);
    api.store.removeFlow(flowId);
    expect(api.store.flowIds()).toEqual([newFlow]);
    expect(() => api.store.addRuns(flowId, 1)).toThrow(/unknown flow/);
  });

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
