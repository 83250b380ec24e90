// Serves the status page (/) and its JSON twin (/api/status) from the database. Mounted by the
// daemon's HTTP server and by `approvals-sync ui`; both only answer GET and HEAD (http-server.ts).
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Config } from "../config.js";
import type { SqlRunner } from "../db/database.js";
import { scrubSecrets, secretsOf } from "../log.js";
import { AUTH_CHALLENGE, isAuthorized } from "./auth.js";
import { type StatusModel, readStatusModel } from "./model.js";
import { CONTENT_SECURITY_POLICY, renderStatusPage, renderUnavailablePage } from "./render.js";
import { pingDatabase } from "../db/status.js";
import { classifyPgError, dbErrorMessage, isRetryableDbError } from "../db/pg-errors.js";
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

const PING_TIMEOUT_MS = 3000;

/**
 * Why the database cannot serve the page, or undefined when the failure is not the database's: a
 * classified database error, or (pg's pool timeout carries no code) a ping that fails too.
 */
async function unavailableReason(db: SqlRunner, err: unknown): Promise<string | undefined> {
  if (classifyPgError(err) !== undefined || isRetryableDbError(err)) return dbErrorMessage(err);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`database check: no answer within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
  });
  try {
    await Promise.race([pingDatabase(db), timeout]);
    return undefined;
  } catch (pingErr) {
    return dbErrorMessage(pingErr);
  } finally {
    clearTimeout(timer);
  }
}

/** 503 with the database's own reason: the page and its JSON twin say the same. */
function replyUnavailable(res: ServerResponse, path: string, reason: string): void {
  const headers = { "retry-after": "30" };
  const generatedAt = new Date().toISOString();
  if (path === "/api/status") {
    const body = `${JSON.stringify({ error: "database unreachable", reason, generatedAt }, null, 2)}\n`;
    reply(res, 503, { ...headers, "content-type": "application/json; charset=utf-8" }, body);
  } else {
    const html = renderUnavailablePage(reason, generatedAt);
    reply(res, 503, { ...headers, "content-type": "text/html; charset=utf-8", "content-security-policy": CONTENT_SECURITY_POLICY }, html);
  }
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
    let model: StatusModel;
    try {
      model = await readStatusModel(db, {
        schedule: config.schedule,
        intervalMs,
        showPayloads: config.statusAuth !== undefined,
        ...(org ? { organization: organizationKey(org) } : {}),
      });
    } catch (err) {
      // Issue 24: a database that is down or gone is a state to explain (as /readyz does), not a 500.
      const why = await unavailableReason(db, err);
      if (why === undefined) throw err;
      replyUnavailable(res, path, scrubSecrets(why, secrets));
      return true;
    }
    if (path === "/api/status") {
      reply(res, 200, { "content-type": "application/json; charset=utf-8" }, scrubSecrets(`${JSON.stringify(model, null, 2)}\n`, secrets));
    } else {
      const html = scrubSecrets(renderStatusPage(model), secrets);
      reply(res, 200, { "content-type": "text/html; charset=utf-8", "content-security-policy": CONTENT_SECURITY_POLICY }, html);
    }
    return true;
  };
}
