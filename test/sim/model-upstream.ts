// A model of Bird's approval-runs API for the simulation: byte-exact run texts, keyset paging with
// opaque tokens, and the quirks a real upstream may have (order, ignored `reverse`, page-size caps,
// expiring tokens, id casing, faults). It serves the engine in-process through the Upstream seam.
import type { CallContext, RunAnswer, RunsPage, Upstream } from "../../src/bird/client.js";
import { runsPageFromText } from "../../src/bird/client.js";
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
  k: [number, string];
  d: "asc" | "desc";
  t: number;
}

export class ModelUpstream implements Upstream {
  readonly flows = new Map<string, ModelFlow>();
  requests = 0;
  private readonly listsByFlow = new Map<string, number>();
  /** Called before each request is answered: the simulation aborts or crashes workers here. */
  onRequest: ((n: number) => void) | undefined;

  constructor(
    readonly r: Rng,
    readonly quirks: Quirks,
    readonly orgId: string,
  ) {}

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
    let runs = this.sorted(flow, dir);
    if (page.pageToken) {
      const token = JSON.parse(Buffer.from(page.pageToken, "base64url").toString()) as Token;
      if (this.quirks.tokenTtl !== undefined && age - token.t > this.quirks.tokenTtl) {
        throw new PageTokenRejectedError("model: page token expired (HTTP 400)");
      }
      const [ms, id] = token.k;
      const tieAfter = (r: ModelRun) => (token.d === "asc" || this.quirks.tiesAscending ? r.id > id : r.id < id);
      const after = (r: ModelRun) => (token.d === "asc" ? r.createdMs > ms : r.createdMs < ms) || (r.createdMs === ms && tieAfter(r));
      runs = this.sorted(flow, token.d).filter(after);
    }
    const limit = Math.min(page.limit, this.quirks.pageCap ?? 100);
    const shown = runs.slice(0, limit);
    const last = shown.at(-1);
    const more = runs.length > limit && last !== undefined;
    const tokenText = more
      ? Buffer.from(
          JSON.stringify({
            k: [last.createdMs, last.id],
            d: page.pageToken ? (JSON.parse(Buffer.from(page.pageToken, "base64url").toString()) as Token).d : dir,
            t: age,
          } satisfies Token),
        ).toString("base64url")
      : undefined;
    const end = this.r.pick([',"nextPageToken":""', ',"nextPageToken":null', ""]);
    return `{"results":[${shown.map((r) => r.text).join(this.r.chance(0.5) ? "," : ",\n  ")}]${tokenText ? `,"nextPageToken":"${tokenText}"` : end}}`;
  }

  async getRun(flowId: string, runId: string, ctx?: CallContext): Promise<RunAnswer | null> {
    await this.serve(ctx);
    const text = this.runText(flowId, runId);
    return text === undefined ? null : { record: JSON.parse(text), text };
  }

  /** A run's text when the flow and run ids are spelled exactly as this API sends them. */
  runText(flowId: string, runId: string): string | undefined {
    const flow = this.flowByApiId(flowId);
    return flow ? [...flow.runs.values()].find((r) => r.apiId === runId)?.text : undefined;
  }

  async listFlows(ctx?: CallContext): Promise<unknown[]> {
    await this.serve(ctx);
    return [...this.flows.values()].map((f) => ({ id: f.apiId, name: `flow ${f.id.slice(0, 4)}` }));
  }
}
