// A Bird that answers each flow's list requests with a script the test writes: oversized bodies,
// redirects, a 401 in the middle of a pass, a long Retry-After. Everything else (the flows list, the
// auth check, counting) is done here, so each test states only the misbehaviour it is about.
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";

export const ORG = "0a0b0c0d-0e0f-4a1b-8c2d-3e4f5a6b7c8d";
export const KEY = "scripted-key-5c1e9d";

/** A valid ApprovalRun's text. */
export function runText(id: string, flowId: string, createdAt: string, extra = ""): string {
  return `{"id":"${id}","approvalFlowId":"${flowId}","status":"approved","tags":[],"results":[],"createdAt":"${createdAt}","updatedAt":"${createdAt}"${extra}}`;
}

export function pageText(runs: readonly string[], nextPageToken = ""): string {
  return `{"results":[${runs.join(",")}],"nextPageToken":"${nextPageToken}"}`;
}

export interface ListRequest {
  flowId: string;
  url: URL;
  req: IncomingMessage;
  res: ServerResponse;
}

export interface ScriptedBird {
  url: string;
  port: number;
  /** List requests per flow id, and every request by path (query left out). */
  lists: Map<string, number>;
  paths: string[];
  close(): Promise<void>;
}

/**
 * `onList` answers GET …/approvals/{flowId}/runs (return false for a plain 404); `onOther` answers any
 * other path first, when given (redirect targets). With `keyRequired` false no request is checked.
 */
export async function serveScriptedBird(opts: {
  flows: readonly string[];
  onList(r: ListRequest): boolean | undefined | Promise<boolean | undefined>;
  onOther?(req: IncomingMessage, res: ServerResponse): boolean;
  keyRequired?: boolean;
}): Promise<ScriptedBird> {
  const lists = new Map<string, number>();
  const paths: string[] = [];
  const send = (res: ServerResponse, status: number, body: string) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(body);
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://scripted");
    paths.push(url.pathname);
    if (opts.keyRequired !== false && req.headers.authorization !== `AccessKey ${KEY}`) {
      return send(res, 401, '{"code":"Unauthorized","message":"bad key"}');
    }
    if (opts.onOther?.(req, res)) return;
    const parts = url.pathname.split("/").filter(Boolean);
    if (parts[0] !== "organizations" || parts[1] !== ORG || parts[2] !== "approvals") return send(res, 404, '{"code":"NotFound"}');
    if (parts.length === 3) return send(res, 200, `{"results":[${opts.flows.map((id) => `{"id":"${id}"}`).join(",")}]}`);
    if (parts.length === 5 && parts[4] === "runs") {
      const flowId = parts[3]!;
      lists.set(flowId, (lists.get(flowId) ?? 0) + 1);
      if (await opts.onList({ flowId, url, req, res })) return;
    }
    return send(res, 404, '{"code":"NotFound","message":"no such path"}');
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      if (!res.headersSent) send(res, 500, JSON.stringify({ message: err.message }));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    lists,
    paths,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
