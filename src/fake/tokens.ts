// Opaque page tokens: base64url JSON of [createdAtMillis, id, reverse, issuedAtMillis, desc, page, emptyDone]
// plus an HMAC bound to the listing it came from, so a tampered or foreign token is a 400, not a wrong page.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export interface TokenPayload {
  ms: number;
  key: string;
  /** The `reverse` query value the listing was started with. */
  reverse: boolean;
  issuedAt: number;
  /** The effective direction, fixed for the whole listing even if the server's default order changes. */
  desc: boolean;
  /** 0-based index of the page this token fetches. */
  page: number;
  /** The injected empty page was already served in this listing. */
  emptyDone: boolean;
}

export class TokenSigner {
  constructor(private readonly secret: Buffer = randomBytes(32)) {}

  sign(scope: string, p: TokenPayload): string {
    const body = Buffer.from(JSON.stringify([p.ms, p.key, p.reverse, p.issuedAt, p.desc ? 1 : 0, p.page, p.emptyDone ? 1 : 0])).toString(
      "base64url",
    );
    return `${body}.${this.mac(scope, body).toString("base64url")}`;
  }

  /** The payload, or undefined for anything not signed by this server for this scope. */
  verify(scope: string, token: string): TokenPayload | undefined {
    const dot = token.indexOf(".");
    if (dot <= 0) return undefined;
    const body = token.slice(0, dot);
    const given = Buffer.from(token.slice(dot + 1), "base64url");
    const expected = this.mac(scope, body);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
    } catch {
      return undefined;
    }
    if (!Array.isArray(parsed) || parsed.length !== 7) return undefined;
    const [ms, key, reverse, issuedAt, desc, page, emptyDone] = parsed as unknown[];
    if (typeof ms !== "number" || typeof key !== "string" || typeof reverse !== "boolean") return undefined;
    if (typeof issuedAt !== "number" || typeof page !== "number") return undefined;
    return { ms, key, reverse, issuedAt, desc: desc === 1, page, emptyDone: emptyDone === 1 };
  }

  private mac(scope: string, body: string): Buffer {
    return createHmac("sha256", this.secret).update(scope).update("\n").update(body).digest().subarray(0, 16);
  }
}
