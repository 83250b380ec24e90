// A model of Bird's approval-runs API for the simulation: byte-exact run texts, keyset paging with
// opaque tokens, and the quirks a real upstream may have (order, ignored `reverse`, page-size caps,
// expiring tokens, id casing, faults). It serves the engine in-process through the Upstream seam.
import type { CallContext, RunAnswer, RunsPage, Upstream } from "../../src/bird/client.js";
import { runsPageFromText } from "../../src/bird/list-page.js";
import { PageTokenRejectedError, RetryableHttpError } from "../../src/errors.js";
import { type Rng, activeStep, dateTimeText, hostileObject, uuid } from "./values.js";

export interface Quirks {
  defaultOrder: "asc" | "desc";
  reverseHonoured: boolean;
  /** The API returns at most this many runs per page, whatever `limit` asks. */
  pageCap: number | undefined;
  /** A token is refused once this many requests were served after it was issued. */
  tokenTtl: number | undefined;
  /** Bird spells ids in upper case (and a GET must use that spelling). */
  upperIds: boolean;
  /** Chance that a request fails as if every retry had failed. */
  faultRate: number;
  /** Runs on one millisecond come in id order whichever way the list goes (reverse is not a mirror image). */
  tiesAscending?: boolean;
  /** Page tokens are offsets into the listing as it is when the next page is asked for, not keysets. */
  offsetTokens?: boolean;
  /** Chance that a page repeats the previous page's runs under a fresh token (the real next page follows). */
  repeatRate?: number;
  /** Chance that a GET answers another run of the flow, or the run asked for under another flow's id. */
  wrongGetRate?: number;
  /** The flows list names every flow twice: as spelled, and again later in the other case. */
  flowsTwice?: boolean;
}

/** A Bird with no quirks: newest first, `reverse` honoured, no caps, no expiry, lower-case ids, no faults. */
export const POLITE: Quirks = {
  defaultOrder: "desc",
  reverseHonoured: true,
  pageCap: undefined,
  tokenTtl: undefined,
  upperIds: false,
  faultRate: 0,
};

export type RunKind = "valid" | "invalid" | "unstorable";

export interface ModelRun {
  id: string; // lower-case uuid
  apiId: string;
  flowId: string; // lower-case uuid
  createdMs: number;
  /** Field name -> JSON text of its value (absent fields are omitted). */
  fields: Record<string, string>;
  kind: RunKind;
  /** An incremental pass must find it: added normally, not backdated, moved or fixed since the last full cycle. */
  incrementalVisible: boolean;
  /** Some completed pass has stored a valid version of it (so it may stay live while invalid). */
  text: string;
}

export interface ModelFlow {
  id: string;
  apiId: string;
  runs: Map<string, ModelRun>;
}

interface Token {
  /** Keyset: the last run shown; or `o`, an offset into the listing. */
  k?: [number, string];
  o?: number;
  d: "asc" | "desc";
  t: number;
  /** The page this token's answer repeats (repeatRate), before the real one. */
  rep?: { k?: [number, string]; o?: number };
}

export class ModelUpstream implements Upstream {
  readonly flows = new Map<string, ModelFlow>();
  requests = 0;
  private readonly listsByFlow = new Map<string, number>();
  /** Called before each request is answered: the simulation aborts or crashes workers here. */
  onRequest: ((n: number) => void) | undefined;
  /** Called before a list request for a next page is answered: runs created or deleted mid-listing. */
  onNextPage: ((flow: ModelFlow) => void) | undefined;
  /** Flows whose listing repeats itself forever under fresh tokens (no pass of them can end). */
  readonly endless = new Set<string>();
  /** Runs a GET was answered wrongly for (another run, or another flow's id) since the last reset. */
  readonly misanswered = new Set<string>();

  constructor(
    readonly r: Rng,
    readonly quirks: Quirks,
    readonly orgId: string,
  ) {}

  /** List requests this flow has been asked (what bounds a listing's cost). */
  listsOf(flowId: string): number {
    return this.listsByFlow.get(flowId) ?? 0;
  }

  spell(id: string): string {
    return this.quirks.upperIds ? id.toUpperCase() : id;
  }

  addFlow(): ModelFlow {
    const id = uuid(this.r);
    const flow = { id, apiId: this.spell(id), runs: new Map<string, ModelRun>() };
    this.flows.set(id, flow);
    return flow;
  }

  /** A new valid run of the flow created at `createdMs`. */
  newRun(flow: ModelFlow, createdMs: number, incrementalVisible: boolean): ModelRun {
    const r = this.r;
    const id = uuid(r);
    const fields: Record<string, string> = {
      status: r.chance(0.6) ? '"pending"' : r.pick(['"approved"', '"denied"']),
      tags: r.chance(0.5) ? "[]" : `[{"key":"k","value":${JSON.stringify(`v${r.int(0, 9)}`)}}]`,
      results: "[]",
      createdAt: JSON.stringify(dateTimeText(r, createdMs)),
      updatedAt: JSON.stringify(dateTimeText(r, createdMs)),
    };
    if (r.chance(0.7)) fields.organizationId = JSON.stringify(this.orgId);
    const step = activeStep(r);
    if (step !== undefined) fields.activeStep = step;
    if (r.chance(0.7)) fields.object = hostileObject(r);
    if (r.chance(0.3)) fields.previousObject = r.chance(0.2) ? "null" : hostileObject(r);
    if (r.chance(0.5)) fields.invoker = r.chance(0.2) ? "null" : `{"type":"user","id":"${this.spell(uuid(r))}"}`;
    if (r.chance(0.1)) fields.brandNew = `{"x":${r.pick(["1.10", "12345678901234567890"])}}`;
    const run: ModelRun = { id, apiId: this.spell(id), flowId: flow.id, createdMs, fields, kind: "valid", incrementalVisible, text: "" };
    this.render(run);
    flow.runs.set(id, run);
    return run;
  }

  /** Writes the run's text from its fields, the way Bird would serialize it. */
  render(run: ModelRun): void {
    const flow = this.flows.get(run.flowId)!;
    const parts = [`"id":"${run.apiId}"`, `"approvalFlowId":"${flow.apiId}"`];
    for (const [k, v] of Object.entries(run.fields)) parts.push(`${JSON.stringify(k)}:${v}`);
    run.text = `{${parts.join(",")}}`;
  }

  private sorted(flow: ModelFlow, dir: "asc" | "desc"): ModelRun[] {
    const byId = (a: ModelRun, b: ModelRun) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    const sign = dir === "asc" ? 1 : -1;
    const tie = this.quirks.tiesAscending ? 1 : sign;
    return [...flow.runs.values()].sort((a, b) => sign * (a.createdMs - b.createdMs) || tie * byId(a, b));
  }

  private async serve(ctx: CallContext | undefined): Promise<void> {
    const n = ++this.requests;
    if (ctx?.meter) ctx.meter.requests++;
    // Other flows' requests and page writes interleave here, as they would on a real network.
    await new Promise((resolve) => setImmediate(resolve));
    this.onRequest?.(n);
    ctx?.signal?.throwIfAborted();
    if (this.quirks.faultRate > 0 && this.r.chance(this.quirks.faultRate)) {
      throw new RetryableHttpError("HTTP 503 from the model after every retry", 503);
    }
  }

  flowByApiId(apiId: string): ModelFlow | undefined {
    for (const f of this.flows.values()) if (f.apiId === apiId) return f;
    return undefined;
  }

  async listRuns(flowId: string, page: { pageToken?: string; limit: number; reverse?: boolean }, ctx?: CallContext): Promise<RunsPage> {
    await this.serve(ctx);
    const text = this.listText(flowId, page);
    if (text === undefined) throw new Error(`model: no flow spelled ${flowId} (requests must use ids as Bird sent them)`);
    return runsPageFromText(text);
  }

  /** The list answer's text; undefined for a flow not spelled this way (a 404). */
  listText(flowId: string, page: { pageToken?: string | undefined; limit: number; reverse?: boolean | undefined }): string | undefined {
    const flow = this.flowByApiId(flowId);
    if (!flow) return undefined;
    // Token age counts the flow's own list requests: other flows paging at once must not age it.
    const age = (this.listsByFlow.get(flow.id) ?? 0) + 1;
    this.listsByFlow.set(flow.id, age);
    const flipped = page.reverse === true && this.quirks.reverseHonoured;
    const dir = (this.quirks.defaultOrder === "desc") !== flipped ? "desc" : "asc";
    let token: Token | undefined;
    if (page.pageToken) {
      token = JSON.parse(Buffer.from(page.pageToken, "base64url").toString()) as Token;
      if (this.quirks.tokenTtl !== undefined && age - token.t > this.quirks.tokenTtl) {
        throw new PageTokenRejectedError("model: page token expired (HTTP 400)");
      }
      this.onNextPage?.(flow);
    }
    const d = token?.d ?? dir;
    const limit = Math.min(page.limit, this.quirks.pageCap ?? 100);
    // A repeated page shows the runs of the page before once more; its token leads on to the real next one.
    const at = token?.rep ?? token;
    const { shown, more, position } = this.window(flow, d, at, limit);
    const here = position(0);
    let next: Token | undefined;
    if (this.endless.has(flow.id) && shown.length > 0) next = { d, t: age, rep: here };
    else if (token?.rep !== undefined) next = { ...token, rep: undefined, t: age };
    else if (more) {
      const repeat = this.quirks.repeatRate !== undefined && this.r.chance(this.quirks.repeatRate);
      next = { ...position(shown.length), d, t: age, ...(repeat ? { rep: here } : {}) };
    }
    const tokenText = next ? Buffer.from(JSON.stringify(next)).toString("base64url") : undefined;
    const end = this.r.pick([',"nextPageToken":""', ',"nextPageToken":null', ""]);
    return `{"results":[${shown.map((r) => r.text).join(this.r.chance(0.5) ? "," : ",\n  ")}]${tokenText ? `,"nextPageToken":"${tokenText}"` : end}}`;
  }

  /**
   * The runs of one page from a position (the start when undefined), and how to name the position `n`
   * runs further on: a keyset after the last of them, or an offset counted in the listing as it is now.
   */
  private window(flow: ModelFlow, d: "asc" | "desc", at: { k?: [number, string]; o?: number } | undefined, limit: number) {
    let runs = this.sorted(flow, d);
    const base = at?.o ?? 0;
    if (at?.k) {
      const [ms, id] = at.k;
      const tieAfter = (r: ModelRun) => (d === "asc" || this.quirks.tiesAscending ? r.id > id : r.id < id);
      runs = runs.filter((r) => (d === "asc" ? r.createdMs > ms : r.createdMs < ms) || (r.createdMs === ms && tieAfter(r)));
    } else runs = runs.slice(base);
    const shown = runs.slice(0, limit);
    const position = (n: number): { k?: [number, string]; o?: number } => {
      if (this.quirks.offsetTokens) return { o: base + n };
      const last = n === 0 ? undefined : shown[n - 1];
      if (last) return { k: [last.createdMs, last.id] };
      return at?.k ? { k: at.k } : { o: base };
    };
    return { shown, more: runs.length > limit && shown.length > 0, position };
  }

  async getRun(flowId: string, runId: string, ctx?: CallContext): Promise<RunAnswer | null> {
    await this.serve(ctx);
    const text = this.wrongAnswer(flowId, runId) ?? this.runText(flowId, runId);
    return text === undefined ? null : { record: JSON.parse(text), text };
  }

  /** Now and then (wrongGetRate) a GET answers another run of the flow, or the run under another flow's id. */
  private wrongAnswer(flowId: string, runId: string): string | undefined {
    const rate = this.quirks.wrongGetRate;
    if (rate === undefined || !this.r.chance(rate)) return undefined;
    const flow = this.flowByApiId(flowId);
    const run = flow && [...flow.runs.values()].find((r) => r.apiId === runId);
    const others = flow ? [...flow.runs.values()].filter((r) => r !== run) : [];
    if (run && this.r.chance(0.5)) {
      this.misanswered.add(run.id);
      return run.text.replace(
        `"approvalFlowId":"${flow!.apiId}"`,
        `"approvalFlowId":"${this.spell("0f0e0d0c-0000-4000-8000-00000000f10e")}"`,
      );
    }
    if (others.length === 0) return undefined;
    this.misanswered.add(run?.id ?? runId.toLowerCase());
    return this.r.pick(others).text;
  }

  /** A run's text when the flow and run ids are spelled exactly as this API sends them. */
  runText(flowId: string, runId: string): string | undefined {
    const flow = this.flowByApiId(flowId);
    return flow ? [...flow.runs.values()].find((r) => r.apiId === runId)?.text : undefined;
  }

  async listFlows(ctx?: CallContext): Promise<unknown[]> {
    await this.serve(ctx);
    const flows = [...this.flows.values()].map((f) => ({ id: f.apiId, name: `flow ${f.id.slice(0, 4)}` }));
    if (!this.quirks.flowsTwice) return flows;
    const other = (id: string) => (id === id.toLowerCase() ? id.toUpperCase() : id.toLowerCase());
    return [...flows, ...flows.map((f) => ({ ...f, id: other(f.id) }))];
  }
}
