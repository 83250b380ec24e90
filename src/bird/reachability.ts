// Issue 24: a wrong BIRD_API_URL — a host name that does not resolve, a port nothing listens on, a
// certificate that is not accepted — is named as such, with the variable, within a couple of tries:
// not as "error (auth)", and not after the whole retry budget (about 30 s).

/** Node's codes for "no connection at all": nothing came back from the server. */
const UNREACHABLE: ReadonlyMap<string, string> = new Map([
  ["ENOTFOUND", "the host name does not resolve"],
  ["EAI_AGAIN", "the host name could not be resolved right now"],
  ["ECONNREFUSED", "connection refused: nothing listens there"],
  ["EHOSTUNREACH", "no route to the host"],
  ["ENETUNREACH", "the network is unreachable"],
  ["UND_ERR_CONNECT_TIMEOUT", "connecting timed out"],
  ["BAD_PORT", "fetch never connects to blocked ports such as 25 or 6000"],
]);

const TLS_CODE = /CERT|TLS|SSL/;

/** The code of an error that means the API could not be connected to at all, or undefined. Follows causes. */
export function unreachableCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === "object" && depth < 6; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && (UNREACHABLE.has(code) || TLS_CODE.test(code))) return code;
    // fetch refuses the WHATWG "bad ports" before connecting, with an error that has no code.
    if (code === undefined && (e as { message?: unknown }).message === "bad port") return "BAD_PORT";
    // Every address of a host name refused: Node reports them in one AggregateError.
    const inner = (e as { errors?: unknown }).errors;
    if (Array.isArray(inner)) {
      const found = inner.map(unreachableCode).find((c) => c !== undefined);
      if (found) return found;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** `cannot reach BIRD_API_URL=http://127.0.0.1:9: ECONNREFUSED (connection refused: …)`; never a password. */
export function describeUnreachable(apiUrl: string, code: string): string {
  let shown = apiUrl;
  try {
    const u = new URL(apiUrl);
    u.username = "";
    u.password = "";
    shown = u.toString().replace(/\/$/, "");
  } catch {
    // config.ts only lets URLs through; keep the text as given otherwise
  }
  const meaning = UNREACHABLE.get(code) ?? "the TLS certificate was not accepted";
  return `cannot reach BIRD_API_URL=${shown}: ${code} (${meaning}) — check BIRD_API_URL and that the API is up`;
}
