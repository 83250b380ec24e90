// /_fake/* control endpoints for tests and the bench in other processes: no auth, no faults, not counted.
import type { IncomingMessage, ServerResponse } from "node:http";
import { FaultsError, parseFaults } from "./faults.js";
import { readJsonBody, sendJson } from "./http.js";
import type { FakeBirdApi } from "./api.js";
import { FakeStoreError } from "./store.js";
import type { ApprovalRun, RunStatus } from "./types.js";

type Body = Record<string, unknown>;

function bad(message: string): FakeStoreError {
  return new FakeStoreError("InvalidArgument", message);
}

function str(body: Body, key: string): string {
  const v = body[key];
  if (typeof v !== "string" || v === "") throw bad(`"${key}" must be a non-empty string`);
  return v;
}

function count(body: Body, key: string, fallback?: number): number {
  const v = body[key] ?? fallback;
  if (!Number.isInteger(v) || (v as number) < 0) throw bad(`"${key}" must be an integer >= 0`);
  return v as number;
}

function objectBody(value: unknown): Body {
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw bad("body must be a JSON object");
  return value as Body;
}

/** POST /_fake/mutate {op, flowId, n?, runId?, patch?, result?, status?, index?, runs?} */
export function mutate(api: FakeBirdApi, body: Body): unknown {
  const { store } = api;
  const op = body.op;
  switch (op) {
    case "addRuns": {
      const status = body.status as RunStatus | undefined;
      if (status !== undefined && !["pending", "approved", "denied"].includes(status))
        throw bad('"status" must be pending|approved|denied');
      return store.addRuns(str(body, "flowId"), count(body, "n"), status ? { status } : {});
    }
    case "decideRuns":
      return store.decideRuns(str(body, "flowId"), count(body, "n"));
    case "decideRun": {
      const result = body.result ?? "approved";
      if (result !== "approved" && result !== "denied" && result !== "rejected") throw bad('"result" must be approved|denied|rejected');
      return store.decideRun(str(body, "flowId"), str(body, "runId"), result);
    }
    case "deleteRuns":
      return store.deleteRuns(str(body, "flowId"), count(body, "n"));
    case "deleteRun":
      return store.deleteRun(str(body, "flowId"), str(body, "runId"));
    case "editRun":
      return store.editRun(str(body, "flowId"), str(body, "runId"), objectBody(body.patch) as Partial<ApprovalRun>);
    case "restoreRun":
      return store.restoreRun(str(body, "flowId"), str(body, "runId"));
    case "removeFlow":
      store.removeFlow(str(body, "flowId"));
      return { ok: true };
    case "addFlow":
      return { flowId: store.addFlow(count(body, "runs", typeof body.n === "number" ? body.n : 0)) };
    case "fixInvalidRecord":
      return store.fixInvalidRecord(str(body, "flowId"), count(body, "index"));
    default:
      throw bad(`unknown op ${JSON.stringify(op)}`);
  }
}

function setOptions(api: FakeBirdApi, body: Body): void {
  const { order, lastPageToken } = body;
  if (order !== undefined && order !== "asc" && order !== "desc") throw bad('"order" must be asc|desc');
  if (lastPageToken !== undefined && lastPageToken !== "empty" && lastPageToken !== "absent" && lastPageToken !== "null") {
    throw bad('"lastPageToken" must be empty|absent|null');
  }
  api.setOptions({ ...(order ? { order } : {}), ...(lastPageToken ? { lastPageToken } : {}) });
}

async function route(api: FakeBirdApi, req: IncomingMessage, url: URL): Promise<[number, unknown]> {
  const key = `${req.method ?? "GET"} ${url.pathname.replace(/\/+$/, "")}`;
  switch (key) {
    case "GET /_fake/state":
      return [200, api.counters];
    case "POST /_fake/reset-counters":
      api.resetCounters();
      return [200, { ok: true }];
    case "GET /_fake/faults":
      return [200, api.currentFaults()];
    case "POST /_fake/faults":
      api.setFaults(parseFaults(await readJsonBody(req)));
      return [200, api.currentFaults()];
    case "POST /_fake/options":
      setOptions(api, objectBody(await readJsonBody(req)));
      return [200, { ok: true }];
    case "GET /_fake/info":
      return [200, { url: api.url, organizationId: api.organizationId, accessKey: api.accessKey, flowIds: api.store.flowIds() }];
    case "GET /_fake/flows":
      return [200, api.store.flows()];
    case "GET /_fake/runs":
      return [200, api.store.runs(url.searchParams.get("flow") ?? "")];
    case "GET /_fake/invalid":
      return [200, api.store.invalidRecords(url.searchParams.get("flow") ?? "")];
    case "POST /_fake/mutate":
      return [200, mutate(api, objectBody(await readJsonBody(req)))];
    default:
      return [404, { code: "NotFound", message: `no control endpoint ${key}` }];
  }
}

export async function handleControl(api: FakeBirdApi, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://fake.invalid");
  try {
    const [status, value] = await route(api, req, url);
    sendJson(res, status, value);
  } catch (err) {
    if (err instanceof FakeStoreError) return sendJson(res, err.code === "NotFound" ? 404 : 400, { code: err.code, message: err.message });
    if (err instanceof FaultsError || err instanceof SyntaxError || err instanceof RangeError) {
      return sendJson(res, 400, { code: "InvalidArgument", message: err.message });
    }
    throw err;
  }
}
