// `approvals-sync fake-api --replay FILE` (issue 25): serves a recording back. Each request gets the
// answer recorded for the same request, in recorded order; one the recording lacks gets HTTP 501
// `{"code":"not_recorded"}` naming it. 501 is neither retried nor read as data by the sync: the flow
// fails at once and loudly, and nothing wrong is stored (a 404 would mark runs deleted, a 400 restart
// a pass). Any access key is accepted: the recording holds none. /_fake/state shows the counters.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type SessionLine, readRecording } from "../bird/recording.js";
import { sendBody, sendJson, sleep } from "./http.js";
import { type RecordedAnswer, type ReplayCounters, ReplayQueues } from "./replay-queues.js";

export interface ReplayOptions {
  file: string;
  /** Keep the recorded latencies and serve the recorded 429s, 5xx and resets in their places. */
  timing?: boolean;
  port?: number;
  host?: string;
  /** Told about every request the recording has no answer for. */
  onMiss?: (request: string) => void;
}

export interface ReplayApi {
  url: string;
  port: number;
  organizationId: string | undefined;
  flowIds: string[];
  sessions: SessionLine[];
  /** The file ended mid-line (the recording process was killed): what came before is served. */
  truncated: boolean;
  counters: ReplayCounters;
  close(): Promise<void>;
}

const ID = "([^/?]+)";
const ORG_PATH = new RegExp(`^/organizations/${ID}/approvals`);
const FLOW_PATH = new RegExp(`^/organizations/${ID}/approvals/${ID}/runs`);

/** The organization and flows the recording's requests name (a session's settings may not). */
function namedIds(keys: readonly string[]): { organizationId: string | undefined; flowIds: string[] } {
  let organizationId: string | undefined;
  const flows = new Set<string>();
  for (const key of keys) {
    const path = key.slice(key.indexOf(" ") + 1);
    organizationId ??= ORG_PATH.exec(path)?.[1];
    const flow = FLOW_PATH.exec(path)?.[2];
    if (flow) flows.add(decodeURIComponent(flow));
  }
  return { organizationId: organizationId && decodeURIComponent(organizationId), flowIds: [...flows] };
}

/** A recorded HTTP-date Retry-After, moved so it asks for the same wait from now as it did then. */
function retryAfterFromNow(value: string, answer: RecordedAnswer): string {
  if (/^\s*\d+\s*$/.test(value)) return value;
  const until = Date.parse(value);
  if (Number.isNaN(until)) return value;
  const wait = until - (answer.sentAt + answer.ms);
  return new Date(Math.ceil((Date.now() + wait) / 1000) * 1000).toUTCString();
}

async function serveRecorded(res: ServerResponse, req: IncomingMessage, answer: RecordedAnswer, timing: boolean): Promise<void> {
  if (timing && answer.ms > 0) await sleep(answer.ms);
  if (answer.status === null) {
    req.socket.destroy();
    return;
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(answer.headers)) {
    if (name === "content-length" || name === "content-type") continue;
    headers[name] = name === "retry-after" && timing ? retryAfterFromNow(value, answer) : value;
  }
  sendBody(res, answer.status, answer.body, answer.headers["content-type"] ?? "application/json", headers);
}

function handle(queues: ReplayQueues, opts: ReplayOptions, info: () => object, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = req.url ?? "/";
  if (path === "/_fake/state") return Promise.resolve(sendJson(res, 200, queues.counters));
  if (path === "/_fake/info") return Promise.resolve(sendJson(res, 200, info()));
  const method = req.method ?? "GET";
  const answer = queues.next(method, path, opts.timing === true);
  if (answer) return serveRecorded(res, req, answer, opts.timing === true);
  const { recorded, served } = queues.describe(method, path);
  const request = `${method} ${path}`;
  opts.onMiss?.(request);
  sendJson(res, 501, {
    code: "not_recorded",
    message:
      recorded === 0
        ? `the recording has no answer for ${request}`
        : `the recording's ${recorded} answer(s) for ${request} were all served (${served})`,
  });
  return Promise.resolve();
}

export async function startReplayApi(opts: ReplayOptions): Promise<ReplayApi> {
  const recording = await readRecording(opts.file);
  if (recording.lines.length === 0) throw new Error(`${opts.file} holds no recording lines (is it a --record file?)`);
  const queues = new ReplayQueues(recording);
  const named = namedIds(queues.keys());
  const server = createServer();
  const api: ReplayApi = {
    url: "",
    port: 0,
    organizationId: queues.sessions[0]?.settings.BIRD_ORGANIZATION_ID ?? named.organizationId,
    flowIds: named.flowIds,
    sessions: queues.sessions,
    truncated: recording.truncated,
    counters: queues.counters,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
  const info = () => ({ url: api.url, organizationId: api.organizationId, flowIds: api.flowIds, sessions: api.sessions });
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    handle(queues, opts, info, req, res).catch((err: unknown) => {
      if (res.headersSent) res.destroy();
      else sendJson(res, 500, { code: "InternalError", message: err instanceof Error ? err.message : String(err) });
    });
  });
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  api.port = (server.address() as AddressInfo).port;
  const urlHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  api.url = `http://${urlHost}:${api.port}`;
  return api;
}
