// Serves the status page (/) and its JSON twin (/api/status) from the database. Mounted by the
// daemon's HTTP server and by `approvals-sync ui`; both only answer GET and HEAD (http-server.ts).
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Config } from "../config.js";
import type { SqlRunner } from "../db/database.js";
import { scrubSecrets, secretsOf } from "../log.js";
import { AUTH_CHALLENGE, isAuthorized } from "./auth.js";
import { readStatusModel } from "./model.js";
import { CONTENT_SECURITY_POLICY, renderStatusPage } from "./render.js";
import { scheduleIntervalMs } from "../health.js";
import { organizationKey } from "../uuid.js";

export type ConsoleConfig = Pick<Config, "schedule" | "statusAuth" | "accessKey" | "databaseUrl">;

/** Answers the console's paths; returns false for any other path (the caller serves or 404s it). */
export type ConsoleRoutes = (path: string, req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

const PAGE_HEADERS = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};

function reply(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  res.writeHead(status, { ...PAGE_HEADERS, ...headers, "content-length": Buffer.byteLength(body) });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

export function consoleRoutes(db: SqlRunner, config: ConsoleConfig): ConsoleRoutes {
  const intervalMs = scheduleIntervalMs(config.schedule);
  // Errors and payloads come from the API and the log; a secret must not reach the page even there.
  const secrets = secretsOf(config);
  return async (path, req, res) => {
    if (path !== "/" && path !== "/api/status" && path !== "/index.html") return false;
    if (!isAuthorized(req, config.statusAuth)) {
      reply(res, 401, { "www-authenticate": AUTH_CHALLENGE, "content-type": "text/plain; charset=utf-8" }, "authentication required\n");
      return true;
    }
    // `?org=ID`: one organization's flows, when the database holds several.
    const org = new URL(req.url ?? "/", "http://status.invalid").searchParams.get("org");
    const model = await readStatusModel(db, {
      schedule: config.schedule,
      intervalMs,
      showPayloads: config.statusAuth !== undefined,
      ...(org ? { organization: organizationKey(org) } : {}),
    });
    if (path === "/api/status") {
      reply(res, 200, { "content-type": "application/json; charset=utf-8" }, scrubSecrets(`${JSON.stringify(model, null, 2)}\n`, secrets));
    } else {
      const html = scrubSecrets(renderStatusPage(model), secrets);
      reply(res, 200, { "content-type": "text/html; charset=utf-8", "content-security-policy": CONTENT_SECURITY_POLICY }, html);
    }
    return true;
  };
}
