// Issue 20 (4): a flow listed twice is one flow. Bird's flow list may repeat a flow (offset-paged lists
// do), spell it in two cases, carry records that are not flows, or page forever under fresh tokens: no
// such list may fail a whole sync before its first run request, and every listing ends.
import { type Server, createServer } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { cliEnv, logLines, runCli } from "./helpers/cli.js";
import { freshDatabaseUrl, query } from "./helpers/db.js";
import { syncInProcess } from "./helpers/sync-in-process.js";
import { type ModelFlow, ModelUpstream, POLITE } from "./sim/model-upstream.js";
import { rng } from "./sim/values.js";

const ORG = "0f0e0d0c-0b0a-4909-8807-060504030201";
const RUNS_PER_FLOW = 3;

/** Answers one flow-list request: the page for this token (undefined: the first page). */
type FlowPages = (pageToken: string | undefined) => { results: unknown[]; nextPageToken?: string };

interface FlowsServer {
  url: string;
  requests: { flows: number; list: number };
  /** The flow id of each run-list request, as sent. */
  listedFlowIds: string[];
  close(): Promise<void>;
}

/** A Bird whose flow list is `pages`; runs are the model's, flow ids matched case-insensitively. */
async function serve(m: ModelUpstream, pages: FlowPages): Promise<FlowsServer> {
  const requests = { flows: 0, list: 0 };
  const listedFlowIds: string[] = [];
  const server: Server = createServer((req, res) => {
    const send = (status: number, body: string) => res.writeHead(status, { "content-type": "application/json" }).end(body);
    const u = new URL(req.url ?? "/", "http://bird");
    const parts = u.pathname.split("/").filter(Boolean).map(decodeURIComponent);
    if (parts.length === 3) {
      requests.flows++;
      if (u.searchParams.get("status") === "deleted") return send(200, '{"results":[]}');
      return send(200, JSON.stringify(pages(u.searchParams.get("pageToken") ?? undefined)));
    }
    const flow = m.flows.get(parts[3]?.toLowerCase() ?? "");
    if (parts.length !== 5 || !flow) return send(404, '{"code":"NotFound","message":"no such path"}');
    requests.list++;
    listedFlowIds.push(parts[3]!);
    const reverse = u.searchParams.get("reverse");
    const page = { pageToken: u.searchParams.get("pageToken") ?? undefined, limit: Number(u.searchParams.get("limit") ?? 10) };
    return send(200, m.listText(flow.apiId, { ...page, reverse: reverse === null ? undefined : reverse === "true" })!);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    requests,
    listedFlowIds,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let server: FlowsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function setup(
  flowCount: number,
  pages: (flows: ModelFlow[]) => FlowPages,
  extra: (flows: ModelFlow[]) => Record<string, string> = () => ({}),
) {
  const m = new ModelUpstream(rng(4), POLITE, ORG);
  const flows = Array.from({ length: flowCount }, () => m.addFlow());
  for (const f of flows) for (let i = 0; i < RUNS_PER_FLOW; i++) m.newRun(f, Date.parse("2025-06-01T12:00:00Z") + i * 1000, true);
  server = await serve(m, pages(flows));
  const url = await freshDatabaseUrl();
  const env = cliEnv({
    BIRD_API_URL: server.url,
    BIRD_ACCESS_KEY: "key",
    BIRD_ORGANIZATION_ID: ORG,
    DATABASE_URL: url,
    BIRD_MAX_RPS: "0",
    ...extra(flows),
  });
  const sync = (...args: string[]) => runCli(["sync", "--no-progress", ...args], env, { timeoutMs: 30_000 });
  /** A sync whose output is not the point: in this process, its exit code. */
  const quietSync = () => syncInProcess(env);
  const runsOf = async () =>
    (
      await query<{ flow: string; n: number }>(
        url,
        "select approval_flow_id::text as flow, count(*)::int as n from bird.approval_runs group by 1 order by 1",
      )
    ).map((r) => [r.flow, r.n]);
  const warnings = (stderr: string, msg: RegExp) => logLines(stderr).filter((l) => l.level === 40 && msg.test(String(l.msg)));
  return { m, flows, url, sync, quietSync, runsOf, warnings };
}

const upper = (f: ModelFlow) => f.id.toUpperCase();
const sorted = (flows: ModelFlow[]) => flows.map((f) => [f.id, RUNS_PER_FLOW]).sort();

describe("a flow listed twice is one flow", () => {
  it("repeated and in two cases across two pages, records that are not flows among them: each flow synced once", async () => {
    const { flows, url, sync, runsOf, warnings } = await setup(
      2,
      ([a, b]) =>
        (token) =>
          token === undefined
            ? { results: [{ id: a!.id, name: "A" }, { id: upper(b!), name: "B" }, { id: upper(a!) }], nextPageToken: "page-2" }
            : { results: [{ id: a!.id }, { id: b!.id }, { id: "not-a-uuid" }, { name: "no id" }, null, 7], nextPageToken: "" },
    );
    const [a, b] = flows as [ModelFlow, ModelFlow];
    for (const pass of ["first", "second"]) {
      const r = await sync();
      expect(r.code, `${pass} sync: ${r.stderr.slice(-500)}`).toBe(0);
      expect(await runsOf()).toEqual(sorted(flows));
      const twice = warnings(r.stderr, /listed this flow more than once/);
      expect(twice.map((w) => w.flowId).sort()).toEqual([a.id, upper(b)].sort());
      expect(warnings(r.stderr, /without a valid id/)).toHaveLength(4);
    }
    // Requests use the first spelling Bird listed; the database keys on the uuid.
    expect(new Set(server!.listedFlowIds)).toEqual(new Set([a.id, upper(b)]));
    expect(await query(url, "select id::text, name from bird.approval_flows order by name")).toEqual([
      { id: a.id, name: "A" },
      { id: b.id, name: "B" },
    ]);
    expect(await query(url, "select flow_id from bird.sync_state")).toHaveLength(2);
  });

  it("BIRD_APPROVAL_IDS and --flow naming one flow twice, in two cases, are one flow", async () => {
    const { flows, url, sync, quietSync, runsOf } = await setup(
      2,
      ([a]) =>
        () => ({
          results: [
            { id: a!.id, name: "A" },
            { id: upper(a!), name: "A again" },
          ],
        }),
      ([a]) => ({ BIRD_APPROVAL_IDS: `${a!.id},${upper(a!)}` }),
    );
    const a = flows[0]!;
    expect(await quietSync()).toBe(0);
    expect(await runsOf()).toEqual([[a.id, RUNS_PER_FLOW]]);
    // Its name was read from Bird's list (a first sync reads names), although that list repeats it.
    expect(await query(url, "select name from bird.approval_flows")).toEqual([{ name: "A" }]);

    const flowListsBefore = server!.requests.flows;
    expect((await sync("--flow", a.id, "--flow", upper(a))).code).toBe(0);
    expect(await query(url, "select flow_id::text from bird.sync_state")).toEqual([{ flow_id: a.id }]);
    // The flow completed its full pass, so no name needs refreshing: the flow list is not read again.
    expect(server!.requests.flows).toBe(flowListsBefore);
  });
});

describe("the flow list cannot fail a whole sync", () => {
  it("a flow with invalid or unstorable metadata is synced all the same; only that metadata is left out", async () => {
    const { flows, url, sync, runsOf, warnings } = await setup(3, ([a, b, c]) => () => ({
      results: [
        { id: a!.id, name: 5, createdAt: "yesterday", objectType: "contact" },
        { id: b!.id, name: "nul\u0000", createdAt: "2025-03-02T02:00:04+16:00" },
        { id: c!.id, name: "C", createdAt: "2025-03-02T02:00:04+16:00" },
      ],
    }));
    const [a, b, c] = flows as [ModelFlow, ModelFlow, ModelFlow];
    const r = await sync();
    expect(r.code, r.stderr.slice(-500)).toBe(0);
    expect(await runsOf()).toEqual(sorted(flows));
    expect(warnings(r.stderr, /metadata Bird listed is not valid/).map((w) => [w.flowId, w.fields])).toEqual([
      [a.id, ["name", "createdAt"]],
    ]);
    expect(warnings(r.stderr, /cannot store this flow's metadata/).map((w) => w.flowId)).toEqual([b.id]);
    const stored = await query<{ id: string; name: string | null; object_type: string | null; created: string | null }>(
      url,
      `select id::text, name, object_type, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') as created
       from bird.approval_flows order by id`,
    );
    expect(stored).toEqual(
      [
        { id: a.id, name: null, object_type: "contact", created: null },
        { id: b.id, name: null, object_type: null, created: null },
        { id: c.id, name: "C", object_type: null, created: "2025-03-01T10:00:04" },
      ].sort((x, y) => (x.id < y.id ? -1 : 1)),
    );
  });

  it.each([
    { what: "the same flows", page: (flows: ModelFlow[]) => flows.map((f) => ({ id: f.id })) },
    { what: "nothing", page: () => [] },
  ])("a flow list that brings $what under fresh tokens forever ends with an error naming what repeated", async ({ page }) => {
    const { flows, sync } = await setup(2, (fs) => (token) => ({
      results: page(fs),
      nextPageToken: `page-${Number(token?.slice(5) ?? 1) + 1}`,
    }));
    const r = await sync();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the flow list brought no flow it had not already listed in \d+ pages in a row/);
    if (page(flows).length > 0) for (const f of flows) expect(r.stderr).toContain(f.id);
    expect(server!.requests.flows).toBeLessThanOrEqual(7);
    expect(server!.requests.list).toBe(0);
  });
});
