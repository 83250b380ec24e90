// The built-in fake Bird API is the oracle for the sync tests: prove its generated data, paging, tokens,
// paging faults, invalid records and mutations against the spec (docs/fake-api-spec.md), in process: routes.ts's
// handler on the fake's store, no port (test/helpers/fake-in-process.ts). What needs a listening server (auth,
// transport faults, counters, control endpoints, close, the command) is in fake.integration.test.ts.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { checkRun as checkRunText } from "../src/bird/schema.js";
import type { ApprovalRun } from "../src/fake/index.js";
import { fakeInProcess, get as call, type InProcessFake, listAll, page, runsPath } from "./helpers/fake-in-process.js";

/** The product checks a record together with its own text. */
const checkRun = (raw: unknown) => checkRunText(raw, () => JSON.stringify(raw));

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const ids = (items: ReadonlyArray<{ id?: unknown }>) => items.map((r) => r.id);

describe("generated data", () => {
  let api: InProcessFake;
  beforeAll(() => {
    api = fakeInProcess({ flows: 3, runsPerFlow: 1050 });
  });

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

  it("is deterministic: the same seed gives byte-identical data, another seed does not", () => {
    const a = fakeInProcess({ seed: 7, flows: 2, runsPerFlow: 300 });
    const b = fakeInProcess({ seed: 7, flows: 2, runsPerFlow: 300 });
    const c = fakeInProcess({ seed: 8, flows: 2, runsPerFlow: 300 });
    const dump = (x: InProcessFake) => JSON.stringify([x.organizationId, x.store.flows(), x.store.flowIds().map((f) => x.store.runs(f))]);
    expect(dump(a)).toBe(dump(b));
    expect(dump(a)).not.toBe(dump(c));
    // Served bytes match too (tokens aside), and scripted mutations replay identically.
    const [fa, fb] = [a.store.flowIds()[0]!, b.store.flowIds()[0]!];
    const strip = (t: string) => t.replace(/"nextPageToken":"[^"]*"/, "");
    expect(strip(call(a, `${runsPath(a, fa)}?limit=100`).text)).toBe(strip(call(b, `${runsPath(b, fb)}?limit=100`).text));
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
  it("generates 100k runs and serves deep pages that continue each other", () => {
    const big = fakeInProcess({ flows: 1, runsPerFlow: 100_000 });
    const flowId = big.store.flowIds()[0]!;
    const expected = big.store.runs(flowId);
    expect(expected).toHaveLength(100_000);
    const ids: string[] = [];
    let token: string | undefined;
    for (let i = 0; i < 51; i++) {
      const { body } = page(big, flowId, { limit: 100, reverse: true, ...(token ? { token } : {}) });
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
  ] as const)("order %s, reverse=%s: all pages equal store.runs in that direction", (order, reverse) => {
    const api = fakeInProcess({ flows: 2, runsPerFlow: 237, order });
    for (const flowId of api.store.flowIds()) {
      const expected = api.store.runs(flowId);
      const desc = (order === "desc") !== reverse;
      if (desc) expected.reverse();
      for (const limit of [1, 17, 100]) {
        const { items, pages } = listAll(api, flowId, { limit, reverse });
        expect(items).toEqual(expected);
        expect(pages).toHaveLength(Math.ceil(237 / limit));
        for (const p of pages.slice(0, -1)) expect(p.results).toHaveLength(limit);
      }
      // default limit 10, reverse not sent
      if (!reverse) expect(listAll(api, flowId).pages[0]!.results).toHaveLength(10);
    }
  });

  it("breaks createdAt ties by id, so a page boundary inside a tie neither skips nor repeats", () => {
    const api = fakeInProcess({ flows: 1, runsPerFlow: 60, seed: 3 });
    const flowId = api.store.flowIds()[0]!;
    const runs = api.store.runs(flowId);
    // A block of 7 runs sharing one millisecond.
    for (const r of runs.slice(20, 27)) api.store.editRun(flowId, r.id, { createdAt: runs[20]!.createdAt });
    const expected = api.store.runs(flowId);
    expect(expected.filter((r) => r.createdAt === runs[20]!.createdAt).length).toBeGreaterThanOrEqual(7);
    for (const limit of [1, 2, 3]) {
      expect(ids(listAll(api, flowId, { limit }).items)).toEqual(ids(expected));
      expect(ids(listAll(api, flowId, { limit, reverse: true }).items)).toEqual(ids(expected).reverse());
    }
  });

  it("inserts and deletes between pages neither skip nor duplicate surviving items", () => {
    const api = fakeInProcess({ flows: 1, runsPerFlow: 120 });
    const flowId = api.store.flowIds()[0]!;
    const before = api.store.runs(flowId);
    const early = before[5]!;
    const later = before[60]!;
    api.store.deleteRun(flowId, early.id);
    api.store.deleteRun(flowId, later.id);
    const snapshot = api.store.runs(flowId);

    const first = page(api, flowId, { limit: 10 });
    const seen = [...first.body.results];
    api.store.restoreRun(flowId, early.id); // sorts before the cursor: not in this listing
    api.store.restoreRun(flowId, later.id); // sorts after the cursor: listed once
    const gone = api.store.deleteRuns(flowId, 5).map((r) => r.id);
    const added = api.store.addRuns(flowId, 3);
    let token = first.body.nextPageToken as string;
    while (token) {
      const p = page(api, flowId, { limit: 10, token });
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

  it("signals the last page as configured: empty string, null, or no key", () => {
    const api = fakeInProcess({ flows: 1, runsPerFlow: 15 });
    const flowId = api.store.flowIds()[0]!;
    const last = () => call(api, `${runsPath(api, flowId)}?limit=20`).json;
    expect(last()).toHaveProperty("nextPageToken", "");
    api.setOptions({ lastPageToken: "null" });
    expect(last()).toHaveProperty("nextPageToken", null);
    api.setOptions({ lastPageToken: "absent" });
    expect(last()).not.toHaveProperty("nextPageToken");
    // exactly one full page: the end is known at once, no trailing empty page
    api.setOptions({ lastPageToken: "empty" });
    const exact = call(api, `${runsPath(api, flowId)}?limit=15`);
    expect(exact.json.nextPageToken).toBe("");
  });

  it("lists flows with the same paging, hides removed flows, and 404s them", () => {
    const api = fakeInProcess({ flows: 5, runsPerFlow: 3 });
    const flowsPath = `/organizations/${api.organizationId}/approvals`;
    const all: unknown[] = [];
    let token = "";
    do {
      const r = call(api, `${flowsPath}?limit=2${token ? `&pageToken=${encodeURIComponent(token)}` : ""}`);
      expect(r.status).toBe(200);
      all.push(...(r.json.results as unknown[]));
      token = r.json.nextPageToken as string;
    } while (token);
    expect(all).toEqual(api.store.flows());
    const gone = api.store.flowIds()[1]!;
    api.store.removeFlow(gone);
    expect(api.store.flowIds()).not.toContain(gone);
    const listed = call(api, `${flowsPath}?limit=100`).json.results as Array<{ id: string }>;
    expect(listed.map((f) => f.id)).toEqual(api.store.flowIds());
    expect((call(api, `${flowsPath}?status=deleted`).json.results as Array<{ id: string }>).map((f) => f.id)).toEqual([gone]);
    const list = call(api, runsPath(api, gone));
    expect(list.status).toBe(404);
    expect(list.json).toMatchObject({ code: "NotFound" });
    expect(call(api, `${runsPath(api, gone)}/${api.store.runs(gone)[0]!.id}`).status).toBe(404);
  });
});

describe("requests the API refuses", () => {
  let api: InProcessFake;
  let flowId: string;
  beforeAll(() => {
    api = fakeInProcess({ flows: 2, runsPerFlow: 50 });
    flowId = api.store.flowIds()[0]!;
  });

  it("answers 400 for a bad limit or reverse, 404 for unknown org, flow, run or path", () => {
    for (const q of ["limit=0", "limit=101", "limit=1.5", "limit=abc", "limit=", "reverse=maybe"]) {
      const r = call(api, `${runsPath(api, flowId)}?${q}`);
      expect(r.status, q).toBe(400);
    }
    expect(call(api, `${runsPath(api, flowId)}?limit=100`).status).toBe(200);
    const notFound = [
      `/organizations/00000000-0000-4000-8000-000000000000/approvals/${flowId}/runs`,
      runsPath(api, "00000000-0000-4000-8000-000000000000"),
      `${runsPath(api, flowId)}/00000000-0000-4000-8000-000000000000`,
      "/nothing/here",
    ];
    for (const path of notFound) {
      const r = call(api, path);
      expect(r.status, path).toBe(404);
      expect(r.json.code).toBe("NotFound");
      expect(typeof r.json.message).toBe("string");
    }
  });

  it("GETs a run by id as listed, and 404s it once deleted", () => {
    const run = api.store.runs(flowId)[7]!;
    const r = call(api, `${runsPath(api, flowId)}/${run.id}`);
    expect(r.status).toBe(200);
    expect(r.json).toEqual(run);
    api.store.deleteRun(flowId, run.id);
    expect(call(api, `${runsPath(api, flowId)}/${run.id}`).status).toBe(404);
    api.store.restoreRun(flowId, run.id);
    expect(call(api, `${runsPath(api, flowId)}/${run.id}`).json).toEqual(run);
  });
});

describe("page tokens", () => {
  let api: InProcessFake;
  let flowId: string;
  beforeAll(() => {
    api = fakeInProcess({ flows: 2, runsPerFlow: 50 });
    flowId = api.store.flowIds()[0]!;
  });
  afterEach(() => api.setFaults({ tokenTtlMs: 0 }));

  it("are opaque and reject tampering, garbage, another flow's token and a flipped reverse", () => {
    const first = page(api, flowId, { limit: 10 });
    const token = first.body.nextPageToken as string;
    expect(token).toMatch(/^[A-Za-z0-9_.-]+$/);
    expect(token).not.toContain(first.body.results[9]!.id as string);
    expect(page(api, flowId, { limit: 10, token }).status).toBe(200);

    const [body, sig] = token.split(".") as [string, string];
    const decoded = JSON.parse(Buffer.from(body, "base64url").toString()) as unknown[];
    expect(decoded.slice(0, 3)).toEqual([Date.parse(first.body.results[9]!.createdAt as string), first.body.results[9]!.id, false]);
    const forged = Buffer.from(JSON.stringify([0, "x", false, ...decoded.slice(3)])).toString("base64url");
    const flipped = `${body.slice(0, -2)}${body.at(-2) === "A" ? "B" : "A"}${body.at(-1)}.${sig}`;
    for (const bad of [`${forged}.${sig}`, flipped, `${body}.${sig.slice(1)}`, "garbage", "e30", `${token}x`]) {
      const r = page(api, flowId, { limit: 10, token: bad });
      expect(r.status, bad).toBe(400);
      expect(r.body).toMatchObject({ code: "InvalidPageToken" });
    }
    const other = page(api, api.store.flowIds()[1]!, { limit: 10, token });
    expect(other.status).toBe(400);
    const reversed = page(api, flowId, { limit: 10, token, reverse: true });
    expect(reversed.status).toBe(400);
  });

  it("expire after tokenTtlMs with a 400", () => {
    api.setFaults({ tokenTtlMs: 60 });
    const first = page(api, flowId, { limit: 10 });
    const token = first.body.nextPageToken as string;
    expect(page(api, flowId, { limit: 10, token }).status).toBe(200);
    // The handler takes the instant as an argument: ask it 120 ms on instead of sleeping through the TTL.
    const late = page(api, flowId, { limit: 10, token }, Date.now() + 120);
    expect(late.status).toBe(400);
    expect(late.body).toMatchObject({ code: "InvalidPageToken" });
    api.setFaults({ tokenTtlMs: 0 });
    expect(page(api, flowId, { limit: 10, token }).status).toBe(200);
  });
});

describe("paging faults and invalid records", () => {
  it("failFlowIds answer 500 to every list request of those flows only", () => {
    const api = fakeInProcess({ flows: 2, runsPerFlow: 5 });
    const [bad, good] = api.store.flowIds() as [string, string];
    api.setFaults({ failFlowIds: [bad] });
    for (let i = 0; i < 3; i++) expect(call(api, runsPath(api, bad)).status).toBe(500);
    expect(call(api, runsPath(api, good)).status).toBe(200);
    expect(call(api, `${runsPath(api, bad)}/${api.store.runs(bad)[0]!.id}`).status).toBe(200);
  });

  it("repeatTokenFlowIds: the 2nd page returns the token it was called with", () => {
    const api = fakeInProcess({ flows: 2, runsPerFlow: 50 });
    const [loop, plain] = api.store.flowIds() as [string, string];
    api.setFaults({ repeatTokenFlowIds: [loop] });
    const t1 = page(api, loop, { limit: 10 }).body.nextPageToken as string;
    const second = page(api, loop, { limit: 10, token: t1 });
    expect(second.body.nextPageToken).toBe(t1);
    expect(second.body.results).toHaveLength(10);
    expect(listAll(api, plain, { limit: 10 }).items).toEqual(api.store.runs(plain));
  });

  it("emptyPageWithToken inserts exactly one empty page mid-listing and loses nothing", () => {
    const api = fakeInProcess({ flows: 1, runsPerFlow: 95, faults: { emptyPageWithToken: true } });
    const flowId = api.store.flowIds()[0]!;
    for (const [limit, reverse] of [
      [10, false],
      [10, true],
      [100, false],
      [7, true],
    ] as const) {
      const { pages, items } = listAll(api, flowId, { limit, reverse });
      const empties = pages.filter((p) => p.results.length === 0);
      expect(empties).toHaveLength(1);
      expect(empties[0]!.nextPageToken).toBeTruthy();
      expect(pages.indexOf(empties[0]!)).toBeGreaterThan(0);
      expect(pages.indexOf(empties[0]!)).toBeLessThan(pages.length - 1);
      const expected = api.store.runs(flowId);
      expect(items).toEqual(reverse ? expected.reverse() : expected);
    }
  });

  it("duplicateAcrossPages repeats each page's last run first on the next page", () => {
    const api = fakeInProcess({ flows: 1, runsPerFlow: 40, faults: { duplicateAcrossPages: true } });
    const flowId = api.store.flowIds()[0]!;
    const { pages, items } = listAll(api, flowId, { limit: 10 });
    for (let i = 1; i < pages.length; i++) expect(pages[i]!.results[0]).toEqual(pages[i - 1]!.results.at(-1));
    const unique = [...new Map(items.map((r) => [r.id, r])).values()];
    expect(unique).toEqual(api.store.runs(flowId));
    expect(items.length).toBe(40 + pages.length - 1);
  });

  it("invalid records are mixed into each listing, fetchable raw by id, and can be fixed", () => {
    const api = fakeInProcess({ flows: 2, runsPerFlow: 100, faults: { invalidRecordsPerFlow: 7 } });
    for (const flowId of api.store.flowIds()) {
      const invalid = api.store.invalidRecords(flowId) as Array<Record<string, unknown>>;
      expect(invalid).toHaveLength(7);
      const { items } = listAll(api, flowId, { limit: 13 });
      expect(items).toHaveLength(107);
      const rejected = items.filter((r) => !checkRun(r).ok);
      expect(rejected).toEqual(expect.arrayContaining(invalid));
      expect(rejected).toHaveLength(7);
      expect(items.filter((r) => checkRun(r).ok)).toEqual(api.store.runs(flowId));
      expect(listAll(api, flowId, { limit: 13, reverse: true }).items).toEqual([...items].reverse());
      const text = JSON.stringify(invalid);
      for (const needle of ['"archived"', '"not-a-date"', '"run-', '"two"', '"maybe"']) expect(text).toContain(needle);
      expect(invalid.some((r) => !("id" in r))).toBe(true);
      const nonUuid = invalid.find((r) => typeof r.id === "string" && r.id.startsWith("run-"))!;
      expect(call(api, `${runsPath(api, flowId)}/${nonUuid.id as string}`).json).toEqual(nonUuid);
    }
    const flowId = api.store.flowIds()[0]!;
    const badStatus = (api.store.invalidRecords(flowId) as Array<Record<string, unknown>>).findIndex((r) => r.status === "archived");
    const id = (api.store.invalidRecords(flowId)[badStatus] as { id: string }).id;
    const fixed = api.store.fixInvalidRecord(flowId, badStatus);
    expect(fixed.id).toBe(id);
    expect(checkRun(fixed).ok).toBe(true);
    expect(api.store.invalidRecords(flowId)).toHaveLength(6);
    expect(api.store.runs(flowId).map((r) => r.id)).toContain(id);
    expect(call(api, `${runsPath(api, flowId)}/${id}`).json).toEqual(fixed);
    api.setFaults({ invalidRecordsPerFlow: 0 });
    expect(listAll(api, flowId, { limit: 100 }).items).toEqual(api.store.runs(flowId));
  });
});

describe("mutations", () => {
  it("addRuns, decideRuns, editRun, deleteRuns/restoreRun, removeFlow/addFlow behave as documented", () => {
    const api = fakeInProcess({ flows: 1, runsPerFlow: 50 });
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
});
