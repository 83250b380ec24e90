// The daemon's HTTP endpoints on METRICS_PORT: /metrics (Prometheus text), /healthz (the process
// answers), /readyz (database reachable and the last cycle did not fail every flow), and the status
// page (/, /api/status; src/ui/). `approvals-sync ui` serves the page alone. GET and HEAD only.
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { ConfigError, errorMessage } from "../errors.js";
import type { ConsoleRoutes } from "../ui/handler.js";
import type { Readiness } from "./health.js";

export interface HealthServerOptions {
  port: number;
  /** METRICS_HOST; default every interface (a container's port mapping needs it). */
  host?: string;
  logger: Logger;
  /** Absent for `ui`: /metrics answers 404. */
  metrics?(): Promise<{ contentType: string; body: string }>;
  readiness?(): Promise<Readiness>;
  /** The status page and /api/status (behind STATUS_AUTH when set; the other paths stay open). */
  console?: ConsoleRoutes;
  /** Names the variable in a bind error: METRICS_PORT for the daemon, --port for `ui`. */
  portSetting?: string;
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
  // The path as sent ("//x" is no URL to new URL(), but still just a path that is not ours).
  const path = (req.url ?? "/").split(/[?#]/)[0] || "/";
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("allow", "GET, HEAD");
    return send(res, 405, TEXT, "method not allowed\n");
  }
  if (path === "/metrics" && opts.metrics) {
    const m = await opts.metrics();
    return send(res, 200, m.contentType, m.body);
  }
  if (path === "/healthz") return send(res, 200, TEXT, "ok\n");
  if (path === "/readyz" && opts.readiness) {
    const r = await opts.readiness();
    return send(res, r.ready ? 200 : 503, TEXT, r.ready ? "ready\n" : `not ready\n${r.reasons.map((l) => `- ${l}\n`).join("")}`);
  }
  if (opts.console && (await opts.console(path, req, res))) return;
  const known = [
    opts.console ? "/" : "",
    opts.console ? "/api/status" : "",
    opts.metrics ? "/metrics" : "",
    "/healthz",
    opts.readiness ? "/readyz" : "",
  ];
  return send(res, 404, TEXT, `not found: try ${known.filter(Boolean).join(", ")}\n`);
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
        const setting = opts.portSetting ?? "METRICS_PORT";
        const hint = setting === "METRICS_PORT" ? "set a free port, or 0 to disable the HTTP server" : "choose a free port";
        reject(new ConfigError(`invalid configuration:\n  ${setting} ${opts.port} ${why} on ${opts.host ?? "every interface"} (${hint})`));
      } else if (err.code === "EADDRNOTAVAIL" || err.code === "ENOTFOUND" || err.code === "EAI_AGAIN") {
        reject(
          new ConfigError(
            `invalid configuration:\n  METRICS_HOST ${opts.host ?? ""} is not an address of this machine (use 0.0.0.0, 127.0.0.1 or one of its interfaces)`,
          ),
        );
      } else reject(err);
    });
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const endpoints = [
    ...(opts.console ? ["/", "/api/status"] : []),
    ...(opts.metrics ? ["/metrics"] : []),
    "/healthz",
    ...(opts.readiness ? ["/readyz"] : []),
  ];
  opts.logger.info(
    { port, host: opts.host ?? "0.0.0.0", endpoints },
    opts.console ? "status page and health endpoints listening" : "metrics and health endpoints listening",
  );
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
