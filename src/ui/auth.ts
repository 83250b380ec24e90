// HTTP basic auth for the status page (STATUS_AUTH=user:password). Both parts are compared in
// constant time over their SHA-256 digests, so neither the length nor a prefix leaks by timing.
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

export interface BasicCredentials {
  readonly user: string;
  readonly password: string;
}

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();

function credentialsOf(req: IncomingMessage): BasicCredentials | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(req.headers.authorization ?? "");
  if (!m?.[1]) return undefined;
  const decoded = Buffer.from(m[1], "base64").toString("utf8");
  const at = decoded.indexOf(":");
  return at < 0 ? undefined : { user: decoded.slice(0, at), password: decoded.slice(at + 1) };
}

/** True when no auth is configured, or the request carries the configured user and password. */
export function isAuthorized(req: IncomingMessage, expected: BasicCredentials | undefined): boolean {
  if (!expected) return true;
  const given = credentialsOf(req);
  if (!given) return false;
  // Both comparisons always run: no early exit on a wrong user name.
  const userOk = timingSafeEqual(digest(given.user), digest(expected.user));
  const passwordOk = timingSafeEqual(digest(given.password), digest(expected.password));
  return userOk && passwordOk;
}

export const AUTH_CHALLENGE = 'Basic realm="approvals-sync status", charset="UTF-8"';
