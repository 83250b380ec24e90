// Issue 14: the status page is safe by default — GET/HEAD only, STATUS_AUTH guards the page and
// /api/status but not /metrics or health, no secret is rendered — and `ui` serves it read-only.
import { readFileSync } from "node:fs";
import { type AddressInfo, type Socket, connect, createServer } from "node:net";
import pg from "pg";
import { afterEach, describe, expect, inject, it } from "vitest";
import { cliEnv, runCli, startCli } from "./helpers/cli.js";
import { daemonHarness } from "./helpers/daemon.js";
import { freshDatabaseUrl, query } from "./helpers/db.js";
import { syncEnv } from "./helpers/fake.js";
import { freePort } from "./helpers/ports.js";
import { syncInProcess } from "./helpers/sync-in-process.js";
import { waitFor } from "./helpers/wait.js";

const harness = daemonHarness();
const children: Array<ReturnType<typeof startCli>> = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.child.exitCode === null) c.child.kill("SIGKILL");
  await harness.cleanup();
});

const PASSWORD = "s3cret-Pass-for-the-page";
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

async function emptyDatabaseUrl(): Promise<string> {
  const admin = new pg.Client({ connectionString: inject("adminUrl") });
  const name = `bas_t_empty_${process.pid}_${Date.now()}`;
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(inject("adminUrl"));
  u.pathname = `/${name}`;
  return u.toString();
}

/** Starts `approvals-sync ui --port 0` and returns its base URL once it prints it. */
async function startUi(env: NodeJS.ProcessEnv, extraArgs: string[] = []): Promise<string> {
  const ui = startCli(["ui", "--port", "0", ...extraArgs], env);
  children.push(ui);
  let base = "";
  await waitFor("the ui command's URL", () => {
    base = /status page: (http:\/\/\S+?)\/? /.exec(ui.output())?.[1] ?? "";
    if (ui.child.exitCode !== null) throw new Error(`ui exited ${ui.child.exitCode}: ${ui.output()}`);
    return base !== "";
  });
  return base;
}

/** The IPv4 address a listening socket on `port` is bound to, as the kernel lists it (/proc/net/tcp). */
function listeningAddress(port: number): string | undefined {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  for (const line of readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1)) {
    const [, local, , state] = line.trim().split(/\s+/);
    const [addr, p] = (local ?? "").split(":");
    if (p === hexPort && state === "0A" && addr) {
      return (addr.match(/../g) ?? [])
        .map((b) => Number.parseInt(b, 16))
        .reverse()
        .join(".");
    }
  }
  return undefined;
}

describe("status page: safe by default", () => {
  it("`ui` listens on 127.0.0.1 unless --host (or METRICS_HOST) says otherwise", async () => {
    const url = await freshDatabaseUrl();
    const env = cliEnv({ DATABASE_URL: url });
    const local = new URL(await startUi(env));
    expect(listeningAddress(Number(local.port))).toBe("127.0.0.1");
    const everywhere = new URL(await startUi(env, ["--host", "0.0.0.0"]));
    expect(listeningAddress(Number(everywhere.port))).toBe("0.0.0.0");
    const fromEnv = new URL(await startUi(cliEnv({ DATABASE_URL: url, METRICS_HOST: "0.0.0.0" })));
    expect(listeningAddress(Number(fromEnv.port))).toBe("0.0.0.0");
    const bad = await runCli(["ui", "--host", "http://x/"], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/option '--host <address>' argument 'http:\/\/x\/' is invalid/);
  });

  it("asks for credentials with STATUS_AUTH, keeps /metrics and health open, answers 405 to writes, renders no secret", async () => {
    const api = await harness.fake({ flows: 3, runsPerFlow: 120, seed: 7, faults: { invalidRecordsPerFlow: 1 } });
    const url = await freshDatabaseUrl();
    const port = await freePort();
    const env = syncEnv(api, url, { METRICS_PORT: String(port), METRICS_HOST: "127.0.0.1", STATUS_AUTH: `admin:${PASSWORD}` });
    const d = harness.startDaemon(env);
    const base = `http://127.0.0.1:${port}`;
    await waitFor(
      "the first cycle",
      async () =>
        (await query<{ n: number }>(url, "select count(*)::int as n from bird.sync_state where last_success_at is not null"))[0]!.n === 3,
    );

    for (const path of ["/", "/api/status"]) {
      for (const auth of [undefined, basic("admin", "wrong"), basic("root", PASSWORD)]) {
        const res = await fetch(base + path, auth ? { headers: { authorization: auth } } : {});
        expect(res.status).toBe(401);
        expect(res.headers.get("www-authenticate")).toMatch(/^Basic realm="approvals-sync status"/);
      }
    }
    for (const path of ["/metrics", "/healthz", "/readyz"]) expect((await fetch(base + path)).status).toBe(200);
    // Every metric deploy/alerts.yml reads is one this daemon exports, the flow state judged as the page does.
    await waitFor("per-flow state gauges", async () =>
      (await (await fetch(`${base}/metrics`)).text()).includes("approvals_sync_flow_state{"),
    );
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const rules = readFileSync(new URL("../deploy/alerts.yml", import.meta.url), "utf8");
    const used = new Set(rules.match(/approvals_sync_[a-z_]+/g));
    expect(used.size).toBeGreaterThanOrEqual(6);
    for (const name of used) expect(metrics, name).toMatch(new RegExp(`^${name}(\\{| )`, "m"));
    for (const f of api.store.flowIds()) expect(metrics).toContain(`approvals_sync_flow_state{flow_id="${f}",state="on_time"} 1`);

    const headers = { authorization: basic("admin", PASSWORD) };
    const page = await fetch(`${base}/`, { headers });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await page.text();
    expect(html).toContain("Raw payload");
    const status = (await (await fetch(`${base}/api/status`, { headers })).json()) as {
      flows: unknown[];
      rejects: Array<{ payload?: string }>;
    };
    expect(status.flows).toHaveLength(3);
    expect(status.rejects).toHaveLength(3);
    for (const r of status.rejects) expect(html).toContain(r.payload!.slice(0, 20).replace(/"/g, "&quot;"));

    const head = await fetch(`${base}/`, { method: "HEAD", headers });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
      for (const path of ["/", "/api/status", "/metrics"]) {
        const res = await fetch(base + path, { method, headers });
        expect(res.status, `${method} ${path}`).toBe(405);
        expect(res.headers.get("allow")).toBe("GET, HEAD");
      }
    }
    for (const text of [html, JSON.stringify(status), d.stderr()]) {
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(api.accessKey);
    }
  });

  it("`ui` serves the page from the database without writing, hides payloads without STATUS_AUTH, and never migrates", async () => {
    const api = await harness.fake({ flows: 2, runsPerFlow: 90, seed: 8, faults: { invalidRecordsPerFlow: 1 } });
    const url = await freshDatabaseUrl();
    const sync = startCli(["sync", "--no-progress"], syncEnv(api, url));
    expect((await sync.done).code).toBe(0);
    const snapshot = () =>
      query(
        url,
        `select (select json_agg(s order by flow_id) from bird.sync_state s) as state,
        (select count(*) from bird.sync_passes) as passes, (select count(*) from bird.approval_runs) as runs`,
      );
    const before = await snapshot();
    const requestsBefore = api.counters.requests;

    const base = await startUi(syncEnv(api, url));
    const html = await (await fetch(`${base}/`)).text();
    for (const f of api.store.flows()) expect(html).toContain(f.name.replace(/'/g, "&#39;"));
    expect(html).toContain("Raw payloads are shown only when STATUS_AUTH is set");
    const status = (await (await fetch(`${base}/api/status`)).json()) as { rejects: Array<Record<string, unknown>> };
    expect(status.rejects).toHaveLength(2);
    for (const r of status.rejects) expect(r).not.toHaveProperty("payload");
    expect((await fetch(`${base}/metrics`)).status).toBe(404);
    expect((await fetch(`${base}/`, { method: "POST" })).status).toBe(405);
    expect((await fetch(`${base}//`)).status).toBe(404);
    expect(await snapshot()).toEqual(before);
    expect(api.counters.requests).toBe(requestsBefore);

    const empty = await emptyDatabaseUrl();
    const emptyBase = await startUi(syncEnv(api, empty));
    expect(await (await fetch(`${emptyBase}/`)).text()).toContain("no <code>bird</code> schema yet");
    const [schema] = await query<{ n: number }>(empty, "select count(*)::int as n from pg_namespace where nspname in ('bird', 'drizzle')");
    expect(schema!.n).toBe(0);
  });

  it("a schema one migration behind: what can be read is shown under a banner naming migrate; what cannot is said, never as 0 flows", async () => {
    const api = await harness.fake({ flows: 2, runsPerFlow: 30, seed: 24 });
    const behind = await freshDatabaseUrl();
    expect(await syncInProcess(syncEnv(api, behind))).toBe(0);
    await query(
      behind,
      "delete from drizzle.__drizzle_migrations where created_at = (select max(created_at) from drizzle.__drizzle_migrations)",
    );
    const base = await startUi(syncEnv(api, behind));
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toMatch(/schema is behind this version \(\d+ of \d+ migrations applied\): run <code>approvals-sync migrate<\/code>/);
    expect(html).toContain("What this version can read of it is shown below.");
    expect(html).toContain("2 flows · ");
    for (const f of api.store.flows()) expect(html).toContain(f.name.replace(/'/g, "&#39;"));

    // A column this version reads is gone: the page says it cannot read the schema.
    await query(behind, "alter table bird.sync_state rename column recheck_debt to recheck_debt_old");
    const unreadable = await (await fetch(`${base}/`)).text();
    expect(unreadable).toMatch(/This version cannot read it \(column [\w.]*recheck_debt does not exist\), so no flows are shown\./);
    expect(unreadable).toContain("flows not readable · ");
    expect(unreadable).not.toMatch(/\b0 flows\b|0 on time/);
    const json = (await (await fetch(`${base}/api/status`)).json()) as { migrated: boolean; unreadable?: string };
    expect(json).toMatchObject({ migrated: false, unreadable: expect.stringMatching(/recheck_debt does not exist/) });
  });
});

/** A TCP relay to PostgreSQL that the test can cut: closed, the database is unreachable at its port. */
async function databaseRelay(url: string): Promise<{ url: string; cut(): Promise<void> }> {
  const target = new URL(url);
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("error", () => undefined);
      s.on("close", () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const relayed = new URL(url);
  relayed.host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: relayed.toString(),
    cut: async () => {
      const closed = new Promise((r) => server.close(r));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

async function expectDatabaseUnreachable(base: string): Promise<void> {
  const page = await fetch(`${base}/`);
  expect(page.status).toBe(503);
  expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
  const html = await page.text();
  expect(html).toMatch(/<strong>The database is unreachable<\/strong>: <span dir="auto">[^<]*ECONNREFUSED[^<]*<\/span>/);
  expect(html).not.toContain("internal error");
  const api = await fetch(`${base}/api/status`);
  expect(api.status).toBe(503);
  expect(await api.json()).toMatchObject({ error: "database unreachable", reason: expect.stringMatching(/ECONNREFUSED/) });
}

describe("status page: a database that is down, right-to-left names, a running full pass (issue 24)", () => {
  it("`ui` and the daemon answer 503 with the database's reason while PostgreSQL is unreachable", async () => {
    const api = await harness.fake({ flows: 1, runsPerFlow: 30, seed: 31 });
    const url = await freshDatabaseUrl();
    const relay = await databaseRelay(url);
    const port = await freePort();
    const d = harness.startDaemon(syncEnv(api, relay.url, { METRICS_PORT: String(port), METRICS_HOST: "127.0.0.1" }));
    const daemonBase = `http://127.0.0.1:${port}`;
    await waitFor(
      "the daemon's first cycle",
      async () =>
        (await query<{ n: number }>(url, "select count(*)::int as n from bird.sync_state where last_success_at is not null"))[0]!.n === 1,
    );
    const uiBase = await startUi(syncEnv(api, relay.url));
    for (const base of [daemonBase, uiBase]) expect((await fetch(`${base}/`)).status).toBe(200);

    await relay.cut();
    for (const base of [daemonBase, uiBase]) await expectDatabaseUnreachable(base);
    expect((await fetch(`${daemonBase}/readyz`)).status).toBe(503);
    expect(d.child.exitCode).toBeNull();
  });

  it("isolates right-to-left names with <bdi> and shows a running full pass with runs, pages, percentage and ETA", async () => {
    const api = await harness.fake({ flows: 2, runsPerFlow: 300, seed: 32 });
    const url = await freshDatabaseUrl();
    expect(await syncInProcess(syncEnv(api, url))).toBe(0);
    const [reconciled, firstBackfill] = api.store.flowIds() as [string, string];
    await query(url, "update bird.approval_flows set name = $2 where id = $1", [reconciled, "طلب شراء #3"]);
    // A reconcile half way (150 of the 300 stored runs, 30 s in, leased) and a first backfill resumed
    // after a crash (two segments, no completed full pass: no total to compare with).
    await query(
      url,
      `with p as (insert into bird.sync_passes (flow_id, kind, owner, from_first_page, started_at, runs_seen, pages)
         values ($1, 'full', 'host-a:4242:abcdef', true, now() - interval '30 seconds', 150, 3) returning id, started_at)
       update bird.sync_state s set pass_id = p.id, pass_kind = 'full', pass_started_at = p.started_at,
         lease_owner = 'host-a:4242:abcdef', lease_expires_at = now() + interval '5 minutes' from p where s.flow_id = $1`,
      [reconciled],
    );
    await query(url, "delete from bird.sync_passes where flow_id = $1", [firstBackfill]);
    await query(
      url,
      `with first as (insert into bird.sync_passes (flow_id, kind, owner, from_first_page, started_at, finished_at, outcome, runs_seen, pages)
         values ($1, 'full', 'gone:1:aaaaaa', true, now() - interval '10 minutes', now() - interval '9 minutes', 'interrupted', 100, 2) returning id, started_at),
       open as (insert into bird.sync_passes (flow_id, kind, owner, from_first_page, resumed_from, started_at, runs_seen, pages)
         select $1, 'full', 'gone:2:bbbbbb', false, first.id, now() - interval '1 minute', 50, 1 from first returning id)
       update bird.sync_state s set pass_id = open.id, pass_kind = 'full', pass_started_at = first.started_at,
         last_full_pass_at = null, lease_owner = null, lease_expires_at = null from first, open where s.flow_id = $1`,
      [firstBackfill],
    );

    const base = await startUi(syncEnv(api, url));
    const html = await (await fetch(`${base}/`)).text();
    // The flows table and the history summary: the name isolated, so "#3" stays at its end.
    expect(html).toMatch(/data-flow-id="[^"]+"><bdi>طلب شراء #3<\/bdi><\/a>/u);
    expect(html).toContain('<span class="summary-name"><bdi>طلب شراء #3</bdi></span>');
    const status = (await (await fetch(`${base}/api/status`)).json()) as {
      flows: Array<{ flowId: string; progress: Record<string, number | boolean | null> | null }>;
    };
    const progress = new Map(status.flows.map((f) => [f.flowId, f.progress]));
    const half = progress.get(reconciled)!;
    expect(half).toMatchObject({ runsSeen: 150, pages: 3, expectedRuns: 300, percent: 50, moving: true });
    expect(half.runsPerSecond).toBeGreaterThan(0);
    expect(half.etaSeconds).toBe(Math.round(150 / (half.runsPerSecond as number)));
    expect(progress.get(firstBackfill)).toMatchObject({
      runsSeen: 150,
      pages: 3,
      expectedRuns: null,
      percent: null,
      etaSeconds: null,
      moving: false,
    });
    expect(html).toContain('<progress max="100" value="50"');
    expect(html).toMatch(/150 of ~300 runs.*3 pages.*runs\/s.*ETA \d/s);
    expect(html).toContain("paused, resumes next cycle");
    expect(html).toContain('<code class="lease" title="host-a:4242:abcdef">host-a:<wbr>4242:<wbr>abcdef</code>');
  });
});
