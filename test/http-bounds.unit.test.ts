// Issue 20 (7), the parts below the CLI: the settings' forms and defaults, and the bounded body
// reader, which must give exactly the text Response.text() gave before it (verbatim rule 1).
import { type Server, createServer } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { getJsonOnce } from "../src/bird/http.js";
import { loadConfig } from "../src/config.js";
import { HttpError } from "../src/errors.js";

const load = (env: Record<string, string>) =>
  loadConfig({ env: { BIRD_ACCESS_KEY: "k", BIRD_ORGANIZATION_ID: "o", ...env }, requireBird: true, cwd: "/nonexistent" });

describe("HTTP_MAX_RESPONSE_BYTES and SYNC_MAX_RETRY_AFTER", () => {
  it("default to 16 MiB and one interval of SYNC_SCHEDULE, and take sizes and durations", () => {
    expect(load({})).toMatchObject({ maxResponseBytes: 16 * 1024 * 1024, maxRetryAfterMs: 300_000 });
    expect(load({ SYNC_SCHEDULE: "*/10 * * * * *" }).maxRetryAfterMs).toBe(10_000);
    // A weekday schedule's interval is a day, not its weekend gap.
    expect(load({ SYNC_SCHEDULE: "0 9 * * 1-5" }).maxRetryAfterMs).toBe(86_400_000);
    expect(load({ SYNC_MAX_RETRY_AFTER: "90s" }).maxRetryAfterMs).toBe(90_000);
    expect(load({ HTTP_MAX_RESPONSE_BYTES: "512KB" }).maxResponseBytes).toBe(512 * 1024);
    expect(load({ HTTP_MAX_RESPONSE_BYTES: "1048576" }).maxResponseBytes).toBe(1_048_576);
  });

  it.each([
    ["HTTP_MAX_RESPONSE_BYTES", "big"],
    ["HTTP_MAX_RESPONSE_BYTES", "10"],
    ["HTTP_MAX_RESPONSE_BYTES", "2GB"],
    ["SYNC_MAX_RETRY_AFTER", "an hour"],
  ])("%s=%s is rejected naming the variable and the form", (name, value) => {
    expect(() => load({ [name]: value })).toThrow(new RegExp(`${name} must be a (size|duration) like`));
  });
});

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

/** Serves these chunks, one write each, with `status` (a 404's body is returned whatever it holds). */
async function serveChunks(chunks: readonly Buffer[], status = 404): Promise<string> {
  server = createServer((_req, res) => {
    res.writeHead(status, { "content-type": "application/json" });
    for (const c of chunks) res.write(c);
    res.end();
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server!.address() as { port: number }).port}/x`;
}

describe("the bounded body reader", () => {
  it("decodes exactly as Response.text(): BOM dropped, characters split across chunks, invalid bytes", async () => {
    const text = Buffer.from('{"s":"é🚀€ x"}', "utf8");
    const rocket = text.indexOf(0xf0);
    const chunks = [
      Buffer.from([0xef, 0xbb, 0xbf]),
      text.subarray(0, rocket + 1),
      text.subarray(rocket + 1, rocket + 3),
      text.subarray(rocket + 3),
      Buffer.from([0xff, 0x20, 0xe2, 0x82]),
    ];
    const url = await serveChunks(chunks);
    const expected = await (await fetch(url)).text();
    const answer = await getJsonOnce(url, { headers: {}, timeoutMs: 5000, maxBytes: 1024 });
    expect(answer.text).toBe(expected);
    expect(answer.text.startsWith('{"s":"é🚀€ x"}')).toBe(true);
  });

  it("reads a body of exactly the limit and refuses one byte more", async () => {
    const url = await serveChunks([Buffer.alloc(1500, "a"), Buffer.alloc(548, "b")]);
    expect((await getJsonOnce(url, { headers: {}, timeoutMs: 5000, maxBytes: 2048 })).text).toHaveLength(2048);
    const refused = getJsonOnce(url, { headers: {}, timeoutMs: 5000, maxBytes: 2047 });
    await expect(refused).rejects.toBeInstanceOf(HttpError);
    await expect(refused).rejects.toThrow(/HTTP_MAX_RESPONSE_BYTES \(2047 bytes\): stopped reading after 2048 bytes/);
  });
});

describe("an error answer's description", () => {
  const serve = (status: number, body: string) => serveChunks([Buffer.from(body)], status);
  const attempt = (url: string) => getJsonOnce(url, { headers: {}, timeoutMs: 5000, maxBytes: 1024 });

  it.each([
    [400, '{"code":"invalid_param","message":"limit too large"}', "HTTP 400 invalid_param: limit too large"],
    [503, '{"message":"try later"}', "HTTP 503 try later"],
    [400, "null", "HTTP 400 null"],
    [400, '"just a string"', 'HTTP 400 "just a string"'],
    [502, "<html>\n  Bad   gateway\n</html>", "HTTP 502 <html> Bad gateway </html>"],
    [400, '{"code":7,"message":""}', 'HTTP 400 {"code":7,"message":""}'],
  ])("HTTP %s with %s is described as Bird's code and message, or its text", async (status, body, described) => {
    await expect(attempt(await serve(status, body))).rejects.toThrow(described);
  });
});
