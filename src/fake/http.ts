// Small node:http helpers shared by the API and control endpoints. Bodies are serialized once by the caller.
import type { IncomingMessage, ServerResponse } from "node:http";

export function sendBody(
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  contentType = "application/json",
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    ...headers,
    "content-type": contentType,
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  sendBody(res, status, JSON.stringify(value) ?? "null");
}

/** Full Content-Length, half the body, then the socket dies: a client sees a cut-off response. */
export function sendTruncated(res: ServerResponse, body: string | Buffer): void {
  const bytes = typeof body === "string" ? Buffer.from(body) : body;
  res.writeHead(200, { "content-type": "application/json", "content-length": bytes.length });
  res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => res.socket?.destroy());
}

const MAX_BODY_BYTES = 1 << 20;

/** The request body parsed as JSON ({} when empty); throws SyntaxError/RangeError for bad or huge bodies. */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new RangeError("request body larger than 1 MiB");
    chunks.push(buf);
  }
  const text = Buffer.concat(chunks).toString("utf8").trim();
  return text === "" ? {} : (JSON.parse(text) as unknown);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
