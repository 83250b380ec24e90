// The daemon's HTTP endpoints on METRICS_PORT: /metrics (Prometheus text), /healthz (the process
// answers), /readyz (database reachable and the last cycle did not fail every flow).
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { ConfigError, errorMessage } from "../errors.js";
import type { Readiness } from "./health.js";

export interface HealthServerOptions {
  port: number;
  /** Default: every interface (a container's port mapping needs it). */
  host?: string;
  logger: Logger;
  metrics(): Promise<{ contentType: string; body: string }>;
  readiness(): Promise<Readiness>;
}

export interface HealthServer {
  readonly port: number;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { "content-type": contentType, "cache-control": "no-store", "content-length": Buffer.byteLength(body) });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

const TEXT = "text/plain; charset=utf-8";

async function route(opts: HealthServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? "/", "http://daemon.invalid").pathname;
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("allow", "GET, HEAD");
    return send(res, 405, TEXT, "method not allowed\n");
  }
  switch (path) {
    case "/metrics": {
      const m = await opts.metrics();
      return send(res, 200, m.contentType, m.body);
    }
    case "/healthz":
      return send(res, 200, TEXT, "ok\n");
    case "/readyz": {
      const r = await opts.readiness();
      return send(res, r.ready ? 200 : 503, TEXT, r.ready ? "ready\n" : `not ready\n${r.reasons.map((l) => `- ${l}\n`).join("")}`);
    }
    default:
      return send(res, 404, TEXT, "not found: try /metrics, /healthz or /readyz\n");
  }
}

export async function startHealthServer(opts: HealthServerOptions): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    route(opts, req, res).catch((err) => {
      opts.logger.error({ err: errorMessage(err), path: req.url }, "health endpoint failed");
      if (!res.headersSent) send(res, 500, TEXT, "internal error\n");
      else res.destroy();
    });
  });
  // Probes and scrapers keep connections open; they must not hold the shutdown.
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EADDRINUSE" || err.code === "EACCES") {
        const why = err.code === "EADDRINUSE" ? "is already in use" : "may not be opened by this user";
        reject(new ConfigError(`invalid configuration:\n  METRICS_PORT ${opts.port} ${why} (set a free port, or 0 to disable the HTTP server)`));
      } else reject(err);
    });
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  opts.logger.info({ port, endpoints: ["/metrics", "/healthz", "/readyz"] }, "metrics and health endpoints listening");
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
