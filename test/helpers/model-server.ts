// The simulation's model Bird served over HTTP, so CLI tests meet its byte-exact texts and quirks the
// way the product meets Bird: a separate, less polite fake than src/fake.
import { type Server, createServer } from "node:http";
import { PageTokenRejectedError } from "../../src/errors.js";
import type { ModelUpstream } from "../sim/model-upstream.js";

export interface ModelServer {
  url: string;
  requests: { list: number; get: number; flows: number };
  /** Paths of GET-by-id requests, as sent. */
  gets: string[];
  close(): Promise<void>;
}

export interface ModelServerOptions {
  /** List answers wait this long (so a kill can land mid-pass). */
  listDelayMs?: number;
  /** Answers a GET-by-id in place of the model (undefined: the model answers): an upstream that answers for another run. */
  answerGet?: (flowId: string, runId: string) => string | undefined;
}

export async function serveModel(m: ModelUpstream, accessKey = "model-key", opts: ModelServerOptions = {}): Promise<ModelServer> {
  const requests = { list: 0, get: 0, flows: 0 };
  const gets: string[] = [];
  const server: Server = createServer((req, res) => {
    const send = (status: number, body: string) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(body);
    };
    if (req.headers.authorization !== `AccessKey ${accessKey}`) return send(401, '{"code":"Unauthorized","message":"bad key"}');
    const u = new URL(req.url ?? "/", "http://model");
    const parts = u.pathname.split("/").filter(Boolean).map(decodeURIComponent);
    if (parts[0] !== "organizations" || parts[1] !== m.orgId || parts[2] !== "approvals")
      return send(404, '{"code":"NotFound","message":"no such path"}');
    if (parts.length === 3) {
      requests.flows++;
      return send(
        200,
        JSON.stringify({
          results: [...m.flows.values()].map((f) => ({ id: f.apiId, name: `flow ${f.id.slice(0, 4)}` })),
          nextPageToken: "",
        }),
      );
    }
    if (parts.length === 5 && parts[4] === "runs") {
      requests.list++;
      try {
        const reverse = u.searchParams.get("reverse");
        const text = m.listText(parts[3]!, {
          pageToken: u.searchParams.get("pageToken") ?? undefined,
          limit: Number(u.searchParams.get("limit") ?? 10),
          reverse: reverse === null ? undefined : reverse === "true",
        });
        if (text === undefined) return send(404, '{"code":"NotFound","message":"approval not found"}');
        if (opts.listDelayMs) return void setTimeout(() => send(200, text), opts.listDelayMs);
        return send(200, text);
      } catch (err) {
        if (err instanceof PageTokenRejectedError) return send(400, '{"code":"InvalidPageToken","message":"expired"}');
        throw err;
      }
    }
    if (parts.length === 6 && parts[4] === "runs") {
      requests.get++;
      gets.push(u.pathname);
      const text = opts.answerGet?.(parts[3]!, parts[5]!) ?? m.runText(parts[3]!, parts[5]!);
      return text === undefined ? send(404, '{"code":"NotFound","message":"approval run not found"}') : send(200, text);
    }
    return send(404, '{"code":"NotFound","message":"no such path"}');
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    gets,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
