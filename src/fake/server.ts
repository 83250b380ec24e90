// The fake Bird API server: node:http, keep-alive, latency and transport faults around the routes in routes.ts.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { handleControl } from "./control.js";
import { createFakeCore } from "./core.js";
import type { CounterBook, RequestOrigin } from "./counters.js";
import { sendBody, sendJson, sendTruncated, sleep } from "./http.js";
import { type ApiContext, errorAnswer, handleApi, routeOf } from "./routes.js";
import type { FakeBirdApi } from "./api.js";
import type { FakeOptions } from "./types.js";

export type { FakeBirdApi };

export type StartFakeOptions = FakeOptions & { port?: number; host?: string };

const HTML_BODY = "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>";
const WRONG_SHAPES = ['{"items":[]}', '{"results":"x"}'];
const STATUS_CODES: Record<number, string> = { 500: "InternalError", 502: "BadGateway", 503: "ServiceUnavailable" };

function authorized(req: IncomingMessage, accessKey: string): boolean {
  const match = /^AccessKey\s+(.+)$/i.exec(req.headers.authorization ?? "");
  return match?.[1]?.trim() === accessKey;
}

interface Runtime {
  ctx: ApiContext;
  book: CounterBook;
  accessKey: string;
}

async function serveApi(rt: Runtime, req: IncomingMessage, res: ServerResponse): Promise<void> {
  // The arrival, as maxPerSecond counts it: first thing, the earliest this thread sees a request. A
  // fake waiting for a CPU or in a GC pause sees requests late, and several together, as a stalled
  // path would deliver them to Bird (issue 24: up to 123 ms after the client's socket write on a loaded
  // 2-core machine); the client's gate holds the cap counted this way (bird/arrival-window.ts).
  const arrivedAt = Date.now();
  const url = new URL(req.url ?? "/", "http://fake.invalid");
  const route = routeOf(url.pathname);
  const flowId = route.kind === "list" || route.kind === "get" ? route.flowId : undefined;
  const { book } = rt;
  const origin = { socket: req.socket, key: `${req.method} ${req.url}` };
  res.once("close", book.arrive(arrivedAt, route.kind, flowId, origin));
  const draw = rt.ctx.faults.draw();
  const limit = rt.ctx.faults.faults.maxPerSecond;
  const overLimit = limit > 0 && book.arrivedInLastSecond() > limit;
  if (draw.latencyMs > 0) await sleep(draw.latencyMs);
  if (res.destroyed) return;
  if (draw.kind === "reset") {
    book.fault("reset");
    book.outcome("reset");
    req.socket.destroy();
    return;
  }
  if (overLimit) return send429(rt, res, origin, "rateLimit");
  if (draw.kind === "429") return send429(rt, res, origin);
  if (draw.kind === "5xx") {
    const status = [500, 502, 503][Math.floor(draw.variant * 3)] ?? 500;
    book.fault("5xx");
    return answer(rt, res, errorAnswer(status, STATUS_CODES[status] ?? "InternalError", "injected server error"));
  }
  if (req.method !== "GET") return answer(rt, res, errorAnswer(405, "MethodNotAllowed", "only GET is supported"));
  if (!authorized(req, rt.accessKey)) {
    book.authFailure();
    return answer(rt, res, errorAnswer(401, "Unauthorized", "invalid access key"));
  }
  const result = handleApi(rt.ctx, route, url.searchParams, Date.now());
  if (result.status === 200 && draw.kind === "truncated") {
    book.fault("truncated");
    book.outcome("truncated");
    return sendTruncated(res, result.body);
  }
  if (result.status === 200 && draw.kind === "notJson") {
    book.fault("notJson");
    book.outcome("200");
    return sendBody(res, 200, HTML_BODY, "text/html; charset=utf-8");
  }
  // Only list envelopes get a wrong shape: a garbage single run would be indistinguishable from an invalid record.
  if (result.status === 200 && draw.kind === "wrongShape" && route.kind !== "get") {
    book.fault("wrongShape");
    return answer(rt, res, { status: 200, body: WRONG_SHAPES[draw.variant < 0.5 ? 0 : 1] as string });
  }
  answer(rt, res, result);
  if (result.page) book.pageServed(result.page.flowId, result.page.reverse, result.page.pageToken);
}

function answer(rt: Runtime, res: ServerResponse, a: { status: number; body: string | Buffer }, headers?: Record<string, string>): void {
  rt.book.outcome(String(a.status));
  sendBody(res, a.status, a.body, "application/json", headers);
}

function send429(rt: Runtime, res: ServerResponse, origin: RequestOrigin, fault: "429" | "rateLimit" = "429"): void {
  const f = rt.ctx.faults.faults;
  const now = Date.now();
  const headers: Record<string, string> = {};
  if (f.retryAfter === "seconds") {
    headers["retry-after"] = String(f.retryAfterSeconds);
    rt.book.retryAfterSent(now, f.retryAfterSeconds * 1000, origin);
  } else if (f.retryAfter === "http-date") {
    // An HTTP date has whole seconds: round up so the client's wait is never shorter than asked.
    const until = Math.ceil((now + f.retryAfterSeconds * 1000) / 1000) * 1000;
    headers["retry-after"] = new Date(until).toUTCString();
    rt.book.retryAfterSent(now, until - now, origin);
  }
  rt.book.fault(fault);
  answer(rt, res, errorAnswer(429, "TooManyRequests", "rate limit exceeded"), headers);
}

export async function startFakeBirdApi(opts: StartFakeOptions = {}): Promise<FakeBirdApi> {
  const core = createFakeCore(opts);
  const { store, book } = core;
  const rt: Runtime = { ctx: core.ctx, book, accessKey: core.accessKey };
  const server = createServer();
  let closing: Promise<void> | undefined;
  const api: FakeBirdApi = {
    url: "",
    port: 0,
    organizationId: store.organizationId,
    accessKey: rt.accessKey,
    store,
    counters: book.counters,
    setFaults: core.setFaults,
    currentFaults: () => structuredClone(core.faults.faults),
    setOptions: core.setOptions,
    resetCounters: () => book.reset(),
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Idle keep-alive sockets would otherwise hold close() open for keepAliveTimeout.
        server.closeAllConnections();
      });
      return closing;
    },
  };
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const work = (req.url ?? "").startsWith("/_fake/") ? handleControl(api, req, res) : serveApi(rt, req, res);
    work.catch((err: unknown) => {
      if (res.headersSent) res.destroy();
      else sendJson(res, 500, { code: "InternalError", message: err instanceof Error ? err.message : String(err) });
    });
  });
  const host = opts.host ?? "127.0.0.1";
  api.port = await listen(server, opts.port ?? 0, host);
  const urlHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  api.url = `http://${urlHost}:${api.port}`;
  return api;
}

/** Listens and resolves with the port (the one asked for, or the free one picked for 0). */
async function listen(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}
