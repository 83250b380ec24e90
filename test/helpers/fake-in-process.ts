// The built-in fake Bird API answered in process: routes.ts's handleApi on a FakeCore, no port and no HTTP.
// What a GET answers here is what the server sends an authorized request that draws no transport fault.
import { expect } from "vitest";
import { createFakeCore, type FakeCore } from "../../src/fake/core.js";
import { handleApi, routeOf } from "../../src/fake/routes.js";
import type { FakeOptions } from "../../src/fake/types.js";

export interface InProcessFake extends FakeCore {
  organizationId: string;
}

export function fakeInProcess(opts: FakeOptions = {}): InProcessFake {
  const core = createFakeCore(opts);
  return { ...core, organizationId: core.store.organizationId };
}

export interface Answer {
  status: number;
  text: string;
  json: Record<string, unknown>;
}

export interface Page {
  status: number;
  body: { results: Array<Record<string, unknown>>; nextPageToken?: string | null };
}

/** GET `path` (with its query) at the instant `now`. */
export function get(fake: InProcessFake, path: string, now = Date.now()): Answer {
  const url = new URL(path, "http://fake.invalid");
  const answer = handleApi(fake.ctx, routeOf(url.pathname), url.searchParams, now);
  const text = answer.body.toString();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: answer.status, text, json: json as Record<string, unknown> };
}

export function runsPath(fake: { organizationId: string }, flowId: string): string {
  return `/organizations/${fake.organizationId}/approvals/${flowId}/runs`;
}

export function page(
  fake: InProcessFake,
  flowId: string,
  q: { limit?: number; reverse?: boolean; token?: string },
  now = Date.now(),
): Page {
  const params = new URLSearchParams();
  if (q.limit !== undefined) params.set("limit", String(q.limit));
  if (q.reverse !== undefined) params.set("reverse", String(q.reverse));
  if (q.token !== undefined) params.set("pageToken", q.token);
  const r = get(fake, `${runsPath(fake, flowId)}?${params}`, now);
  return { status: r.status, body: r.json as unknown as Page["body"] };
}

/** Every page of a listing, following nextPageToken until it is empty/null/absent. */
export function listAll(fake: InProcessFake, flowId: string, q: { limit?: number; reverse?: boolean } = {}) {
  const pages: Page["body"][] = [];
  let token: string | undefined;
  for (let i = 0; i < 10_000; i++) {
    const p = page(fake, flowId, { ...q, ...(token === undefined ? {} : { token }) });
    expect(p.status).toBe(200);
    pages.push(p.body);
    const next = p.body.nextPageToken;
    if (next === undefined || next === null || next === "") break;
    token = next;
  }
  return { pages, items: pages.flatMap((p) => p.results) };
}
