// Issue 21 (11): hostile text stored in the database (a flow name, an organization id, errors, a lease
// holder, a quarantined record's id, reason and payload) and a hostile `?org=` reach the status page
// only escaped, while /api/status returns every value exactly as stored.
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHealthServer } from "../src/daemon/http-server.js";
import { openDatabase } from "../src/db/connect.js";
import type { Database } from "../src/db/database.js";
import { consoleRoutes } from "../src/ui/handler.js";
import { freshDatabaseUrl, query } from "./helpers/db.js";
import { HOSTILE } from "./helpers/status-models.js";

const A = "0a000000-0000-4000-8000-000000000001";
const B = "0b000000-0000-4000-8000-000000000002";
const PAYLOAD = `{"note":"</pre><script>alert(4)</script>","q":"'\\""}`;
const AUTH = { user: "admin", password: "escaping-test-password" };
const headers = { authorization: `Basic ${Buffer.from(`${AUTH.user}:${AUTH.password}`).toString("base64")}` };
const escaped = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");

async function loadHostileRows(url: string): Promise<void> {
  await query(url, "insert into bird.approval_flows (id, organization_id, name) values ($1, $2, $3), ($4, 'org-b', 'Plain flow')", [
    A,
    HOSTILE,
    HOSTILE,
    B,
  ]);
  await query(
    url,
    `insert into bird.sync_state (flow_id, organization_id, last_success_at, consecutive_failures, last_error, lease_owner, lease_expires_at)
     values ($1, $2, now(), 1, $2, $2, now() + interval '5 minutes'), ($3, 'org-b', now(), 0, null, null, null)`,
    [A, HOSTILE, B],
  );
  await query(
    url,
    `insert into bird.sync_passes (flow_id, kind, owner, from_first_page, started_at, finished_at, outcome, requests, error)
     values ($1, 'incremental', $2, true, now() - interval '2 minutes', now() - interval '1 minute', 'failed', 3, $2)`,
    [A, HOSTILE],
  );
  await query(url, "insert into bird.sync_rejects (flow_id, run_id, fingerprint, reason, payload) values ($1, $2, 'fp-1', $2, $3)", [
    A,
    HOSTILE,
    PAYLOAD,
  ]);
}

describe("status page over a database holding hostile text", () => {
  let db: Database;
  let base: string;
  let close: () => Promise<void>;
  beforeAll(async () => {
    const url = await freshDatabaseUrl();
    await loadHostileRows(url);
    const logger = pino({ level: "silent" });
    db = await openDatabase({ databaseUrl: url, pgliteDir: "" }, logger, { poolSize: 2, readOnly: true });
    const config = { schedule: "*/5 * * * *", statusAuth: AUTH, accessKey: "escaping-test-access-key", databaseUrl: url };
    const server = await startHealthServer({ port: 0, host: "127.0.0.1", logger, console: consoleRoutes(db, config) });
    base = `http://127.0.0.1:${server.port}`;
    close = () => server.close();
  });
  afterAll(async () => {
    await close?.();
    await db?.close();
  });

  const page = async (path: string) => {
    const res = await fetch(base + path, { headers });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await res.text();
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).not.toContain("<img");
    expect(html).not.toContain(HOSTILE);
    return html;
  };

  it("the page shows each stored value escaped, in text and in attributes, and adds no markup", async () => {
    const html = await page("/");
    const e = escaped(HOSTILE);
    expect(html).toContain(`data-flow-id="${A}"><bdi>${e}</bdi></a>`);
    expect(html).toContain(`<code><bdi>${e}</bdi></code>`);
    expect(html).toContain(`<code class="lease" title="${e}">${e}</code>`);
    expect(html).toContain(`<span dir="auto" title="${e}">${e}</span>`);
    expect(html).toContain(`<a href="?org=${escaped(encodeURIComponent(HOSTILE))}">${e} (1 flows)</a>`);
    expect(html).toContain(`<pre>${escaped(PAYLOAD)}</pre>`);
    expect(html).not.toContain("alert(4)</script>");
  });

  it("a hostile ?org= is shown escaped in the header and in the JSON link", async () => {
    const org = encodeURIComponent(HOSTILE);
    const html = await page(`/?org=${org}`);
    expect(html).toContain(`1 flows of organization <code>${escaped(HOSTILE)}</code>`);
    expect(html).toContain(`<a href="api/status?org=${escaped(org)}">JSON</a>`);
    expect(html).not.toContain("Plain flow");
  });

  it("/api/status returns every value as stored, unescaped", async () => {
    const res = await fetch(`${base}/api/status`, { headers });
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    const status = (await res.json()) as {
      flows: Array<{
        flowId: string;
        name: string;
        organizationId: string;
        lastError: string;
        leaseHolder: string;
        history: Array<{ error: string }>;
      }>;
      rejects: Array<{ runId: string; reason: string; payload: string }>;
      organizations: Array<{ organizationId: string }>;
    };
    const a = status.flows.find((f) => f.flowId === A)!;
    expect([a.name, a.organizationId, a.lastError, a.leaseHolder, a.history[0]!.error]).toEqual([
      HOSTILE,
      HOSTILE,
      HOSTILE,
      HOSTILE,
      HOSTILE,
    ]);
    expect(status.rejects).toEqual([expect.objectContaining({ runId: HOSTILE, reason: HOSTILE, payload: PAYLOAD })]);
    expect(status.organizations.map((o) => o.organizationId)).toContain(HOSTILE);
    const one = (await (await fetch(`${base}/api/status?org=${encodeURIComponent(HOSTILE)}`, { headers })).json()) as {
      organization: string;
      flows: Array<{ flowId: string }>;
    };
    expect(one.organization).toBe(HOSTILE);
    expect(one.flows.map((f) => f.flowId)).toEqual([A]);
  });
});
