// Issue 24: a wrong BIRD_API_URL is named as such (with the variable) within a few tries, not after
// the whole retry budget; once the API has answered, a connection error is an outage and is retried in
// full; and a request stopped by a signal logs no retry warning.
import { type Server, createServer } from "node:http";
import { Writable } from "node:stream";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { BirdClient, type RequestKind } from "../src/bird/client.js";
import { describeUnreachable, unreachableCode } from "../src/bird/reachability.js";
import { RequestGate } from "../src/bird/request-gate.js";
import { ApiUnreachableError, RetryableHttpError } from "../src/errors.js";
import { closedPort } from "./helpers/ports.js";

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

function client(apiUrl: string, opts: { maxRps?: number; maxRetries?: number } = {}) {
  const lines: Array<{ level: number; msg: string }> = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(l) as { level: number; msg: string });
      done();
    },
  });
  const attempts: Array<[RequestKind, number | "error"]> = [];
  const c = new BirdClient({
    apiUrl,
    organizationId: "org-1",
    accessKey: "key-1234567890",
    timeoutMs: 5000,
    maxResponseBytes: 16 * 1024 * 1024,
    maxRetries: opts.maxRetries ?? 6,
    gate: new RequestGate(opts.maxRps ?? 0),
    logger: pino({ level: "debug" }, sink),
    events: { onAttempt: (kind, status) => attempts.push([kind, status]) },
  });
  return { client: c, lines, attempts };
}

/** A server answering every flow listing with one empty page. */
async function flowListServer(): Promise<{ server: Server; url: string }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"results":[],"nextPageToken":""}');
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` };
}

describe("an API that cannot be reached", () => {
  it("classifies DNS failures, refused connections and certificate errors, wherever the cause sits", () => {
    const dns = new RetryableHttpError("network error", undefined, undefined, {
      cause: new TypeError("fetch failed", {
        cause: Object.assign(new Error("getaddrinfo ENOTFOUND bird.invalid"), { code: "ENOTFOUND" }),
      }),
    });
    expect(unreachableCode(dns)).toBe("ENOTFOUND");
    const both = new TypeError("fetch failed", {
      cause: Object.assign(new AggregateError([Object.assign(new Error("refused"), { code: "ECONNREFUSED" })]), {}),
    });
    expect(unreachableCode(both)).toBe("ECONNREFUSED");
    expect(unreachableCode(Object.assign(new Error("self-signed"), { code: "DEPTH_ZERO_SELF_SIGNED_CERT" }))).toBe(
      "DEPTH_ZERO_SELF_SIGNED_CERT",
    );
    expect(unreachableCode(new TypeError("fetch failed", { cause: new Error("bad port") }))).toBe("BAD_PORT");
    // A reset or a timeout came from a server that was there: not "unreachable".
    expect(unreachableCode(Object.assign(new Error("reset"), { code: "ECONNRESET" }))).toBeUndefined();
    expect(describeUnreachable("https://user:pw-Secret9@bird.invalid/api", "ENOTFOUND")).toBe(
      "cannot reach BIRD_API_URL=https://bird.invalid/api: ENOTFOUND (the host name does not resolve) — check BIRD_API_URL and that the API is up",
    );
  });

  it("a first request to a closed port gives up after 3 tries with ApiUnreachableError naming BIRD_API_URL (exit 2)", async () => {
    const port = await closedPort();
    const { client: c, attempts } = client(`http://127.0.0.1:${port}`);
    const err = await c.listFlows().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiUnreachableError);
    expect((err as ApiUnreachableError).exitCode).toBe(2);
    expect((err as Error).message).toMatch(new RegExp(`^cannot reach BIRD_API_URL=http://127\\.0\\.0\\.1:${port}: ECONNREFUSED`));
    expect(attempts).toEqual([
      ["list_flows", "error"],
      ["list_flows", "error"],
      ["list_flows", "error"],
    ]);
  });

  it("once the API has answered, a refused connection is an outage: the whole retry budget is used", async () => {
    const { server, url } = await flowListServer();
    const { client: c, attempts } = client(url, { maxRetries: 3 });
    await c.listFlows();
    await new Promise((r) => server.close(r));
    servers.splice(servers.indexOf(server), 1);
    const err = await c.listFlows().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableHttpError);
    expect((err as Error).message).toMatch(/list_flows gave up after 4 attempts: network error/);
    expect(attempts.filter(([, s]) => s === "error")).toHaveLength(4);
  });

  it("a request stopped by a signal while it waits for its turn logs no retry warning", async () => {
    const { url } = await flowListServer();
    // 1 request/s: the second request waits for its slot, and is stopped there.
    const { client: c, lines } = client(url, { maxRps: 1 });
    await c.listFlows();
    const stop = new AbortController();
    const second = c.listFlows({ signal: stop.signal });
    stop.abort();
    await expect(second).rejects.toThrow();
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
    expect(lines.map((l) => l.msg).join("\n")).not.toMatch(/retrying/);
  });
});
