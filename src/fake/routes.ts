// The Bird endpoints (DESIGN §1): list flows, list runs, get run. Pure request -> answer; transport lives in server.ts.
import type { FakeRequestKind } from "./counters.js";
import type { Entry, Keyed } from "./entries.js";
import type { FaultPlanner } from "./faults.js";
import { type PagePlan, parseListQuery, planPage } from "./listing.js";
import type { FakeStore } from "./store.js";
import type { TokenPayload, TokenSigner } from "./tokens.js";
import type { LastPageToken, ListOrder } from "./types.js";

export interface ApiSettings {
  order: ListOrder;
  ignoreReverse: boolean;
  lastPageToken: LastPageToken;
  maxLimit: number;
}

export interface ApiContext {
  store: FakeStore;
  signer: TokenSigner;
  faults: FaultPlanner;
  settings: ApiSettings;
  /** Notes a paging fault that was applied (counted by kind). */
  onFault(kind: string): void;
}

export interface ApiAnswer {
  status: number;
  body: string | Buffer;
  /** Set on a runs page answered 200, for pageFetches. */
  page?: { flowId: string; reverse: boolean; pageToken: string | undefined };
}

export interface Route {
  kind: FakeRequestKind;
  org?: string;
  flowId?: string;
  runId?: string;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export function routeOf(pathname: string): Route {
  const parts = pathname
    .split("/")
    .filter((s) => s.length > 0)
    .map(decode);
  if (parts[0] !== "organizations" || parts[2] !== "approvals") return { kind: "other" };
  const [, org, , flowId, runs, runId] = parts;
  if (parts.length === 3) return { kind: "flows", org };
  if (parts.length === 5 && runs === "runs") return { kind: "list", org, flowId };
  if (parts.length === 6 && runs === "runs") return { kind: "get", org, flowId, runId };
  return { kind: "other" };
}

export function errorAnswer(status: number, code: string, message: string): ApiAnswer {
  return { status, body: JSON.stringify({ code, message }) };
}

export function handleApi(ctx: ApiContext, route: Route, params: URLSearchParams, now: number): ApiAnswer {
  if (route.kind === "other") return errorAnswer(404, "NotFound", "no such endpoint");
  if (route.org !== ctx.store.organizationId) return errorAnswer(404, "NotFound", `organization ${route.org} not found`);
  if (route.kind === "flows") return listFlows(ctx, params, now);
  const flowId = route.flowId as string;
  if (route.kind === "list" && ctx.faults.faults.failFlowIds.includes(flowId)) {
    ctx.onFault("failFlow");
    return errorAnswer(500, "InternalError", "internal error");
  }
  const state = ctx.store.flowState(flowId);
  if (!state || state.removed) return errorAnswer(404, "NotFound", `approval ${flowId} not found`);
  if (route.kind === "get") {
    const entry = state.list.get(route.runId as string);
    return entry ? { status: 200, body: entry.body } : errorAnswer(404, "NotFound", `approval run ${route.runId} not found`);
  }
  return listRuns(ctx, flowId, state.list.items, params, now);
}

type Cursor = { cursor: TokenPayload | undefined; desc: boolean } | ApiAnswer;

function readCursor(ctx: ApiContext, scope: string, token: string | undefined, reverse: boolean, now: number): Cursor {
  const defaultDesc = (ctx.settings.order === "desc") !== reverse;
  if (token === undefined) return { cursor: undefined, desc: defaultDesc };
  const cursor = ctx.signer.verify(scope, token);
  if (!cursor) return errorAnswer(400, "InvalidPageToken", "invalid page token");
  if (cursor.reverse !== reverse) {
    return errorAnswer(400, "InvalidPageToken", `page token was issued for reverse=${cursor.reverse}`);
  }
  const ttl = ctx.faults.faults.tokenTtlMs;
  if (ttl > 0 && now - cursor.issuedAt > ttl) return errorAnswer(400, "InvalidPageToken", "page token expired");
  return { cursor, desc: cursor.desc };
}

const OPEN = Buffer.from('{"results":[');
const COMMA = Buffer.from(",");
const END_OF_LIST: Record<LastPageToken, Buffer> = {
  empty: Buffer.from('],"nextPageToken":""}'),
  null: Buffer.from('],"nextPageToken":null}'),
  absent: Buffer.from("]}"),
};

/** The page as one buffer: the items' stored JSON bytes spliced into the envelope, nothing re-serialized. */
function pageBody(parts: readonly Buffer[], next: string | undefined, mode: LastPageToken): Buffer {
  const chunks: Buffer[] = [OPEN];
  parts.forEach((part, i) => {
    if (i > 0) chunks.push(COMMA);
    chunks.push(part);
  });
  chunks.push(next === undefined ? END_OF_LIST[mode] : Buffer.from(`],"nextPageToken":${JSON.stringify(next)}}`));
  return Buffer.concat(chunks);
}

function nextToken<T extends Keyed>(
  ctx: ApiContext,
  scope: string,
  plan: PagePlan<T>,
  cursor: TokenPayload | undefined,
  base: { reverse: boolean; desc: boolean; now: number },
): string | undefined {
  if (!plan.hasMore) return undefined;
  const last = plan.injectedEmpty ? cursor : plan.items[plan.items.length - 1];
  if (!last) return undefined;
  return ctx.signer.sign(scope, {
    ms: last.ms,
    key: last.key,
    reverse: base.reverse,
    issuedAt: base.now,
    desc: base.desc,
    page: (cursor?.page ?? 0) + 1,
    emptyDone: plan.injectedEmpty || (cursor?.emptyDone ?? false),
  });
}

function listRuns(ctx: ApiContext, flowId: string, items: readonly Entry[], params: URLSearchParams, now: number): ApiAnswer {
  const parsed = parseListQuery(params, ctx.settings.maxLimit);
  if (typeof parsed === "string") return errorAnswer(400, "InvalidArgument", parsed);
  const query = ctx.settings.ignoreReverse ? { ...parsed, reverse: false } : parsed;
  const scope = `runs:${flowId}`;
  const read = readCursor(ctx, scope, query.pageToken, query.reverse, now);
  if ("status" in read) return read;
  const f = ctx.faults.faults;
  const plan = planPage(items, {
    desc: read.desc,
    cursor: read.cursor,
    limit: query.limit,
    duplicate: f.duplicateAcrossPages,
    emptyPage: f.emptyPageWithToken,
  });
  if (plan.injectedEmpty) ctx.onFault("emptyPage");
  let next = nextToken(ctx, scope, plan, read.cursor, { reverse: query.reverse, desc: read.desc, now });
  if (read.cursor?.page === 1 && f.repeatTokenFlowIds.includes(flowId)) {
    ctx.onFault("repeatToken");
    next = query.pageToken;
  }
  return {
    status: 200,
    body: pageBody(
      plan.items.map((e) => e.body),
      next,
      ctx.settings.lastPageToken,
    ),
    page: { flowId, reverse: query.reverse, pageToken: query.pageToken },
  };
}

function listFlows(ctx: ApiContext, params: URLSearchParams, now: number): ApiAnswer {
  const query = parseListQuery(params, ctx.settings.maxLimit);
  if (typeof query === "string") return errorAnswer(400, "InvalidArgument", query);
  const status = params.get("status") ?? "active";
  if (status !== "active" && status !== "deleted") return errorAnswer(400, "InvalidArgument", "status must be active or deleted");
  const objectType = params.get("objectType");
  const objectAction = params.get("objectAction");
  const flows = ctx.store
    .flowStates()
    .filter((s) => s.removed === (status === "deleted"))
    .map((s) => s.flow)
    .filter((f) => (objectType === null || f.objectType === objectType) && (objectAction === null || f.objectAction === objectAction))
    .map((f) => ({ ms: Date.parse(f.createdAt), key: f.id, flow: f }))
    .sort((a, b) => a.ms - b.ms || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const scope = `flows:${status}:${objectType ?? ""}:${objectAction ?? ""}`;
  const read = readCursor(ctx, scope, query.pageToken, query.reverse, now);
  if ("status" in read) return read;
  const plan = planPage(flows, { desc: read.desc, cursor: read.cursor, limit: query.limit, duplicate: false, emptyPage: false });
  const next = nextToken(ctx, scope, plan, read.cursor, { reverse: query.reverse, desc: read.desc, now });
  return {
    status: 200,
    body: pageBody(
      plan.items.map((i) => Buffer.from(JSON.stringify(i.flow))),
      next,
      ctx.settings.lastPageToken,
    ),
  };
}
