// `check` against Bird: is the key accepted, which flows are there, and do the assumptions the sync
// engine makes hold for one sample flow — list order, `reverse` flipping it, GET-by-id equal to the
// listed copy — plus latency and rate-limit headers. Never prints the key.
import type { Answer } from "../bird/http.js";
import { describeUnreachable, unreachableCode } from "../bird/reachability.js";
import type { Recorder } from "../bird/recorder.js";
import type { Config } from "../config.js";
import { AuthError, HttpError, RetryableHttpError, errorMessage } from "../errors.js";
import { detectListOrder } from "../sync/list-order.js";
import { ApiProbe } from "./api-probe.js";
import { firstDifference, parseJsonText } from "./json-text.js";
import type { Checklist } from "./report.js";

const MAX_FLOW_PAGES = 20;
const MAX_SAMPLE_CANDIDATES = 5;

type Flow = { id: string; name?: string };

const resultsOf = (a: Answer): Array<Record<string, unknown>> => {
  const r = (a.body as { results?: unknown }).results;
  return Array.isArray(r) ? (r as Array<Record<string, unknown>>) : [];
};
const hasNext = (a: Answer) => Boolean((a.body as { nextPageToken?: unknown }).nextPageToken);
const ms = (n: number) => `${Math.round(n)} ms`;
const orderText = (o: "asc" | "desc") => (o === "asc" ? "oldest first (asc)" : "newest first (desc)");

/**
 * Reports why Bird could not be asked at all; true when the error was one of those. Not reaching the
 * API is its own check ("api"), never an auth error: the key was not even sent (issue 24).
 */
function reportFatal(list: Checklist, err: unknown, apiUrl: string): boolean {
  if (err instanceof AuthError) {
    list.add("auth", "error", `access key rejected ${err.message.replace(/^Bird rejected the access key /, "")}`);
    return true;
  }
  if (err instanceof RetryableHttpError && err.status === undefined) {
    const code = unreachableCode(err);
    list.add("api", "error", code ? describeUnreachable(apiUrl, code) : `no answer from BIRD_API_URL=${apiUrl}: ${err.message}`);
    return true;
  }
  return false;
}

/** The organization's flows (all pages), or undefined after reporting why there are none to check. */
async function listFlows(probe: ApiProbe, list: Checklist, configured: readonly string[] | undefined): Promise<Flow[] | undefined> {
  const flows: Flow[] = [];
  let token = "";
  try {
    for (let page = 0; page < MAX_FLOW_PAGES; page++) {
      const a = await probe.get(probe.orgPath("/approvals"), { limit: "100", ...(token ? { pageToken: token } : {}) });
      if (a.status === 404) {
        list.add("auth", "error", "organization not found (HTTP 404): check BIRD_ORGANIZATION_ID");
        return undefined;
      }
      for (const f of resultsOf(a)) {
        // A flow listed twice (or in two cases) is one flow (issue 20).
        const id = typeof f.id === "string" ? f.id.toLowerCase() : undefined;
        if (id === undefined || flows.some((known) => known.id === id)) continue;
        flows.push({ id, ...(typeof f.name === "string" ? { name: f.name } : {}) });
      }
      token = String((a.body as { nextPageToken?: unknown }).nextPageToken ?? "");
      if (!token) break;
    }
  } catch (err) {
    if (reportFatal(list, err, probe.apiUrl)) return undefined;
    const status = err instanceof HttpError || err instanceof RetryableHttpError ? err.status : undefined;
    list.add("auth", configured ? "degraded" : "error", `listing flows failed (${status ? `HTTP ${status}: ` : ""}${errorMessage(err)})`);
    return configured ? configured.map((id) => ({ id })) : undefined;
  }
  list.add("auth", "ok", "access key accepted; organization reachable");
  list.facts.flows = flows.length;
  list.add(
    "flows",
    flows.length > 0 || configured ? "ok" : "degraded",
    `flows listed: ${flows.length}${configured ? ` (BIRD_APPROVAL_IDS names ${configured.length})` : ""}`,
  );
  if (!configured) return flows;
  const names = new Map(flows.map((f) => [f.id, f.name]));
  const unknown = configured.filter((id) => !names.has(id));
  if (unknown.length > 0) list.add("flows-configured", "degraded", `BIRD_APPROVAL_IDS has flows Bird does not list: ${unknown.join(", ")}`);
  return configured.map((id) => ({ id, ...(names.get(id) ? { name: names.get(id) as string } : {}) }));
}

/** The first flow (of a few) whose first page has runs, with that page. */
async function sampleFlow(probe: ApiProbe, flows: readonly Flow[], limit: number): Promise<{ flow: Flow; page: Answer } | undefined> {
  for (const flow of flows.slice(0, MAX_SAMPLE_CANDIDATES)) {
    const page = await probe.get(probe.orgPath(`/approvals/${encodeURIComponent(flow.id)}/runs`), { limit: String(limit) });
    if (page.status === 200 && resultsOf(page).length > 0) return { flow, page };
  }
  return undefined;
}

function checkOrder(list: Checklist, first: Answer, reversed: Answer): void {
  const order = detectListOrder(resultsOf(first));
  list.facts.listOrder = order ?? "unknown";
  if (order) {
    const how = order === "asc" ? "; incremental passes list with reverse=true to see new runs first" : "";
    list.add("order", "ok", `list order: ${orderText(order)}, detected from createdAt on the first page${how}`);
  } else {
    list.add(
      "order",
      "degraded",
      "list order: could not tell (fewer than two distinct createdAt on the first page); the sync lists further when in doubt",
    );
  }
  const flipped = detectListOrder(resultsOf(reversed));
  const sameIds = JSON.stringify(resultsOf(first).map((r) => r.id)) === JSON.stringify(resultsOf(reversed).map((r) => r.id));
  if (order && flipped && flipped !== order) {
    list.facts.reverseFlips = true;
    list.add("reverse", "ok", `reverse=true flips it: ${orderText(flipped)}`);
  } else if ((order && flipped === order) || (sameIds && resultsOf(first).length > 1)) {
    list.facts.reverseFlips = false;
    const cost =
      order === "desc"
        ? "harmless while the default order is newest first, but the sync cannot rely on it"
        : "so an incremental pass cannot start at the newest runs and lists the flow further";
    list.add("reverse", "degraded", `reverse=true is ignored: the same order comes back, ${cost}`);
  } else {
    list.facts.reverseFlips = "unknown";
    list.add("reverse", "degraded", "reverse=true: could not tell whether it flips the order");
  }
}

async function checkGetById(probe: ApiProbe, list: Checklist, flow: Flow, first: Answer): Promise<void> {
  const listed = (parseJsonText(first.text) as { results?: unknown } | null)?.results;
  const node = Array.isArray(listed) ? listed[0] : undefined;
  const runId = resultsOf(first)[0]?.id;
  if (!node || typeof runId !== "string") return;
  const got = await probe.get(probe.orgPath(`/approvals/${encodeURIComponent(flow.id)}/runs/${encodeURIComponent(runId)}`));
  if (got.status === 404) {
    list.facts.getByIdEqualsListed = false;
    list.add("get-by-id", "degraded", `GET by id answered 404 for listed run ${runId}: deletions could not be confirmed by id`);
    return;
  }
  const diff = firstDifference(node, parseJsonText(got.text));
  list.facts.getByIdEqualsListed = diff === undefined;
  if (diff === undefined)
    list.add("get-by-id", "ok", `GET by id equals the listed copy (run ${runId}; compared by value, numbers by their text)`);
  else list.add("get-by-id", "degraded", `GET by id differs from the listed copy of run ${runId} at ${diff}`);
}

function checkTraffic(probe: ApiProbe, list: Checklist): void {
  const p50 = probe.latencyP50();
  list.facts.requests = probe.latenciesMs.length;
  if (p50 !== undefined) {
    list.facts.latencyP50Ms = Math.round(p50);
    list.add(
      "latency",
      "info",
      `latency p50 ${ms(p50)} over ${probe.latenciesMs.length} requests (max ${ms(Math.max(...probe.latenciesMs))})`,
    );
  }
  list.facts.rateLimitHeaders = Object.fromEntries(probe.rateLimitHeaders);
  if (probe.latenciesMs.length === 0) return;
  list.facts.rateLimited = probe.rateLimited;
  const seen = [...probe.rateLimitHeaders].map(([k, v]) => `${k}: ${v}`).join(", ");
  list.add(
    "rate-limit",
    "info",
    seen ? `rate-limit headers seen: ${seen}` : "rate-limit headers: none seen (BIRD_MAX_RPS caps requests; 429s are waited out)",
  );
  if (probe.rateLimited > 0) list.add("rate-limited", "info", `HTTP 429 answered ${probe.rateLimited} time(s) during the check`);
}

export async function runApiChecks(config: Config, list: Checklist, recorder?: Recorder): Promise<void> {
  const probe = new ApiProbe({
    apiUrl: config.apiUrl,
    organizationId: config.organizationId,
    accessKey: config.accessKey,
    timeoutMs: config.httpTimeoutMs,
    maxResponseBytes: config.maxResponseBytes,
    recorder,
  });
  try {
    const flows = await listFlows(probe, list, config.approvalIds);
    if (!flows) return;
    const sample = await sampleFlow(probe, flows, config.pageSize);
    if (!sample) {
      list.add("sample", "info", "no flow has runs yet: list order, reverse and GET-by-id not checked");
      return;
    }
    const { flow, page } = sample;
    list.facts.sampleFlowId = flow.id;
    list.facts.firstPageRuns = resultsOf(page).length;
    const label = flow.name ? `"${flow.name}" (${flow.id})` : flow.id;
    list.add(
      "sample",
      "ok",
      `sample flow ${label}: first page ${resultsOf(page).length} runs (limit ${config.pageSize}), ${hasNext(page) ? "more pages follow" : "the only page"}`,
    );
    const reversed = await probe.get(probe.orgPath(`/approvals/${encodeURIComponent(flow.id)}/runs`), {
      limit: String(config.pageSize),
      reverse: "true",
    });
    checkOrder(list, page, reversed);
    await checkGetById(probe, list, flow, page);
  } catch (err) {
    if (!reportFatal(list, err, config.apiUrl)) list.add("api", "degraded", `a request failed: ${errorMessage(err)}`);
  } finally {
    checkTraffic(probe, list);
  }
}
