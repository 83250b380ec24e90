// Issue 25, redaction by default: a Bird whose runs and flows carry known secrets in every free-text
// field (object and previousObject values and keys, tags, comments, a field Bird might add, flow names,
// descriptions, step messages and tags), written plainly and as escapes, and which echoes the access key
// in an error body. None of it may reach the recording, in its bytes or decoded; and the database a
// replay of it writes still passes the exactness invariants: the same runs and ids, the same statuses
// and timestamps, every object with the same structure, and every number with its text form.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { type Server, createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readRecording } from "../src/bird/recording.js";
import { isLosslessNumber } from "lossless-json";
import { type JsonValue, parseJsonText } from "../src/check/json-text.js";
import { cliEnv, runCli } from "./helpers/cli.js";
import { freshDatabaseUrl, query } from "./helpers/db.js";
import { replayInto, verbatimViolations } from "./helpers/replay.js";

const KEY = "ak_Live_7Hq2ZtW9x";
const ORG = "9d2f1c3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f";
const SECRETS = [
  "Geheimnis",
  "Kundennummer",
  "Wolfgang",
  "Müller",
  "机密文件",
  "🔐🗝",
  "Salary",
  "Budget",
  "Quartalszahlen",
  "Project Falcon",
];
const ESCAPED = "\\u0053alary"; // "Salary", written as an escape
const FLOWS = ["0f1e2d3c-4b5a-4968-8776-655443322110", "1f1e2d3c-4b5a-4968-8776-655443322110"];
const hex = (n: number) => n.toString(16).padStart(12, "0");

function runText(flow: string, i: number): string {
  const at = new Date(Date.UTC(2025, 0, 1) + i * 60_000).toISOString();
  const id = `${flow.slice(0, 8)}-aaaa-4bbb-8ccc-${hex(i)}`;
  const pending = i % 4 === 0;
  const object = `{"Kundennummer":"KD-${i}-Wolfgang Müller","nested":{"机密文件":["Geheimnis ${i}",{"Quartalszahlen":1.10}]},
    "numbers":[12345678901234567890,-0.0,2.5e-3,1E+21,4711.250],"flags":[true,false,null],"escaped":"${ESCAPED} 🔐🗝","ref":"${FLOWS[0]}"}`;
  return JSON.stringify({
    id,
    approvalFlowId: flow,
    organizationId: ORG,
    status: i === 7 ? "archived" : pending ? "pending" : "approved",
    activeStep: 1.5,
    invoker: { type: "user", id: `${flow.slice(0, 8)}-1111-4222-8333-${hex(i)}` },
    tags: [{ key: "Project Falcon", value: "Budget Geheimnis" }],
    results: pending ? [] : [{ result: "approved", comment: "Salary ok, Wolfgang", reviewer: { type: "user", id: FLOWS[1] } }],
    createdAt: at,
    updatedAt: at,
    internalNote: "Quartalszahlen Geheimnis",
  }).replace(/"internalNote"/, `"object":${object},"previousObject":${object},"internalNote"`);
}

const runs = new Map(FLOWS.map((f) => [f, Array.from({ length: 23 }, (_, i) => runText(f, i))]));
const flowText = (id: string) =>
  JSON.stringify({
    id,
    organizationId: ORG,
    name: "Project Falcon payouts",
    description: "Salary and Budget, ask Wolfgang Müller",
    objectType: "invoice",
    steps: [{ type: "any", reviewers: [{ type: "user", id: FLOWS[1] }], message: "Geheimnis: Kundennummer prüfen 机密文件" }],
    tags: [{ key: "Quartalszahlen", value: "🔐🗝" }],
  });

let server: Server;
let url = "";
let echoedKey = false;

/** Bird's endpoints, offset tokens; the first list request gets a 429 whose body echoes the key. */
function answer(path: string, q: URLSearchParams): [number, string, Record<string, string>] {
  const parts = path.split("/").filter(Boolean);
  if (parts[1] !== ORG) return [404, '{"code":"NotFound","message":"organization"}', {}];
  if (parts.length === 3) return [200, `{"results":[${FLOWS.map(flowText).join(",")}],"nextPageToken":""}`, {}];
  const list = runs.get(parts[3]!) ?? [];
  if (parts.length === 6) {
    const text = list.find((t) => t.includes(`"id":"${parts[5]}"`));
    return text ? [200, text, {}] : [404, '{"code":"NotFound","message":"approval run not found"}', {}];
  }
  if (!echoedKey) {
    echoedKey = true;
    return [429, `{"code":"TooManyRequests","message":"slow down, AccessKey ${KEY}"}`, { "retry-after": "0" }];
  }
  const ordered = q.get("reverse") === "true" ? [...list].reverse() : list;
  const from = Number(q.get("pageToken") ?? 0);
  const limit = Number(q.get("limit") ?? 10);
  const next = from + limit < ordered.length ? String(from + limit) : "";
  return [200, `{"results":[${ordered.slice(from, from + limit).join(",")}],"nextPageToken":"${next}"}`, {}];
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const u = new URL(req.url ?? "/", "http://secret");
    const [status, body, headers] =
      req.headers.authorization === `AccessKey ${KEY}` ? answer(u.pathname, u.searchParams) : [401, '{"code":"Unauthorized"}', {}];
    res.writeHead(status, { ...headers, "content-type": "application/json", "set-cookie": `session=${KEY}`, "x-ratelimit-remaining": "9" });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
let dir: string | undefined;
afterAll(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** An object's structure: key and string lengths in bytes, number forms, literals; keys in any order. */
function skeleton(node: JsonValue): string {
  if (node === undefined) return "-";
  if (isLosslessNumber(node)) return node.value.replace(/\d/g, "d");
  if (Array.isArray(node)) return `[${node.map(skeleton).join(",")}]`;
  if (typeof node === "string") return `s${Buffer.byteLength(node)}`;
  if (node !== null && typeof node === "object") {
    const members = Object.entries(node)
      .map(([k, v]) => `${Buffer.byteLength(k)}:${skeleton(v)}`)
      .sort();
    return `{${members.join(",")}}`;
  }
  return String(node);
}

const rowsOf = (db: string) =>
  query<Record<string, string>>(
    db,
    `select id::text, approval_flow_id::text as flow, status, active_step::text, invoker_id::text, organization_id::text,
       created_at::text, updated_at::text, object::text, previous_object::text, tags::text, results::text
     from bird.approval_runs order by id`,
  );

describe("a recording with the default redaction", () => {
  it("holds none of the secrets, the key or a credential header, and replays into a database of the same shape", async () => {
    dir = mkdtempSync(join(tmpdir(), "bas-redact-"));
    const file = join(dir, "secret.jsonl.gz");
    const original = await freshDatabaseUrl();
    const env = cliEnv({ BIRD_API_URL: url, BIRD_ACCESS_KEY: KEY, BIRD_ORGANIZATION_ID: ORG, DATABASE_URL: original, BIRD_MAX_RPS: "0" });
    const settings = { SYNC_PAGE_SIZE: "10", SYNC_TWO_ENDED_PAGES: "0", SYNC_RECHECK_FACTOR: "0" };
    for (const args of [["sync"], ["sync"]]) {
      const r = await runCli([...args, "--no-progress", "--record", file], { ...env, ...settings });
      expect(r.code, r.stderr).toBe(0);
    }
    expect((await rowsOf(original)).length).toBe(44);

    const bytes = readFileSync(file);
    const text = gunzipSync(bytes).toString("utf8");
    const bodies = (await readRecording(file)).lines.flatMap((l) => (l.type === undefined && l.body !== undefined ? [l.body] : []));
    const decoded = bodies.map((b) => {
      try {
        return JSON.stringify(JSON.parse(b));
      } catch {
        return b;
      }
    });
    for (const secret of [...SECRETS, KEY, ESCAPED]) {
      expect(bytes.includes(Buffer.from(secret)), secret).toBe(false);
      expect(text.includes(secret), secret).toBe(false);
      expect(
        decoded.some((d) => d.includes(secret)),
        secret,
      ).toBe(false);
    }
    expect(text).not.toMatch(/authorization|set-cookie|session=/i);
    expect(text).toContain('"x-ratelimit-remaining":"9"');
    // Bird's own error messages are kept (a bug report needs them), the key scrubbed out of them.
    expect(bodies).toContain(`{"code":"TooManyRequests","message":"slow down, AccessKey ${"*".repeat(KEY.length)}"}`);

    const replay = await freshDatabaseUrl();
    const replayed = await replayInto(file, replay);
    expect(replayed.commands.map((c) => c.result.code)).toEqual([0, 0]);
    expect(replayed.counters.missed).toBe(0);
    expect(await verbatimViolations(replay, file)).toEqual([]);
    const [before, after] = [await rowsOf(original), await rowsOf(replay)];
    expect(after.map((r) => r.id)).toEqual(before.map((r) => r.id));
    for (const [i, row] of after.entries()) {
      const was = before[i]!;
      for (const col of ["flow", "status", "active_step", "invoker_id", "organization_id", "created_at", "updated_at"]) {
        expect(row[col], `${row.id} ${col}`).toBe(was[col]);
      }
      for (const col of ["object", "previous_object", "tags", "results"]) {
        expect(skeleton(parseJsonText(row[col]!)), `${row.id} ${col}`).toBe(skeleton(parseJsonText(was[col]!)));
        for (const secret of SECRETS) expect(row[col]).not.toContain(secret);
      }
    }
    const rejects = (db: string) => query(db, "select run_id, reason from bird.sync_rejects order by run_id");
    expect(await rejects(replay)).toEqual(await rejects(original));
    expect((await rejects(replay)).length).toBe(2);
  });
});
