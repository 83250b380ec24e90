// Upstream changes the simulation makes between syncs, each what a real Bird organization may do.
import type { ModelFlow, ModelRun, ModelUpstream } from "./model-upstream.js";
import { SCHEMA_INVALID, UNSTORABLE, dateTimeText, hostileObject } from "./values.js";

export type Mutation =
  | "add"
  | "decide"
  | "edit"
  | "delete"
  | "move"
  | "backdate"
  | "futureDate"
  | "invalid"
  | "unstorable"
  | "fix"
  | "sameMs";

export const MUTATIONS: readonly Mutation[] = [
  "add",
  "add",
  "add",
  "decide",
  "edit",
  "delete",
  "move",
  "backdate",
  "futureDate",
  "invalid",
  "unstorable",
  "fix",
  "sameMs",
];

/** The model's clock: runs are created in the past, a little later each time (sometimes on the same ms). */
export class Clock {
  constructor(public ms: number) {}
  tick(m: ModelUpstream): number {
    this.ms += m.r.chance(0.2) ? 0 : m.r.int(1, 5000);
    return this.ms;
  }
}

function anyRun(m: ModelUpstream, flow: ModelFlow, filter: (r: ModelRun) => boolean = () => true): ModelRun | undefined {
  const runs = [...flow.runs.values()].filter(filter);
  return runs.length ? m.r.pick(runs) : undefined;
}

function touch(m: ModelUpstream, run: ModelRun, clock: Clock): void {
  run.fields.updatedAt = JSON.stringify(dateTimeText(m.r, clock.tick(m)));
  m.render(run);
}

/** Decides a pending run (approved or denied, with one reviewer's result); returns a line for the log. */
export function mutateRun(m: ModelUpstream, clock: Clock, run: ModelRun, what: "decide"): string {
  const r = m.r;
  const approved = r.chance(0.5);
  run.fields.status = approved ? '"approved"' : '"denied"';
  run.fields.results = `[{"reviewer":{"type":"user","id":"${m.spell("3f0c5b8e-0000-4000-8000-000000000001")}"},"result":"${approved ? "approved" : "rejected"}","comment":${JSON.stringify(r.pick(["ok", "n\u00e9e", ""]))}}]`;
  touch(m, run, clock);
  return `${what} ${run.id}`;
}

/** Applies one mutation to a random flow; returns a line for the replay log. */
export function mutate(m: ModelUpstream, clock: Clock, what: Mutation): string {
  const r = m.r;
  const flows = [...m.flows.values()];
  const flow = r.pick(flows);
  switch (what) {
    case "add": {
      const n = r.int(1, 6);
      for (let i = 0; i < n; i++) m.newRun(flow, clock.tick(m), true);
      return `add ${n} to ${flow.id}`;
    }
    case "sameMs": {
      // Many runs on one millisecond, more than a page holds.
      const at = clock.tick(m);
      const n = r.int(3, 12);
      for (let i = 0; i < n; i++) m.newRun(flow, at, true);
      return `add ${n} on one ms to ${flow.id}`;
    }
    case "futureDate": {
      m.newRun(flow, Date.now() + 50 * 365 * 86_400_000 + r.int(0, 1e9), true);
      return `future-dated run in ${flow.id}`;
    }
    case "backdate": {
      const oldest = Math.min(...[...flow.runs.values()].map((x) => x.createdMs), clock.ms);
      m.newRun(flow, oldest - r.int(1, 86_400_000), false);
      return `backdated run in ${flow.id}`;
    }
    case "decide": {
      const run = anyRun(m, flow, (x) => x.kind === "valid" && x.fields.status === '"pending"');
      if (!run) return "decide: nothing pending";
      return mutateRun(m, clock, run, "decide");
    }
    case "edit": {
      const run = anyRun(m, flow, (x) => x.kind === "valid");
      if (!run) return "edit: nothing";
      run.fields.object = hostileObject(r);
      touch(m, run, clock);
      return `edit ${run.id}`;
    }
    case "delete": {
      const run = anyRun(m, flow);
      if (!run) return "delete: nothing";
      flow.runs.delete(run.id);
      return `delete ${run.id}`;
    }
    case "move": {
      const to = r.pick(flows);
      const run = anyRun(m, flow, (x) => x.kind === "valid");
      if (!run || to === flow) return "move: nothing";
      flow.runs.delete(run.id);
      run.flowId = to.id;
      run.incrementalVisible = false;
      to.runs.set(run.id, run);
      m.render(run);
      return `move ${run.id} from ${flow.id} to ${to.id}`;
    }
    case "invalid":
    case "unstorable": {
      const breakers = what === "invalid" ? SCHEMA_INVALID : UNSTORABLE;
      // Either a new bad record, or a stored run whose new version is bad (it stays live).
      const run = r.chance(0.5) ? anyRun(m, flow, (x) => x.kind === "valid") : undefined;
      const target = run ?? m.newRun(flow, clock.tick(m), true);
      r.pick(breakers)(target.fields);
      target.kind = what;
      touch(m, target, clock);
      return `${what} ${target.id}${run ? " (was valid)" : ""}`;
    }
    case "fix": {
      const run = anyRun(m, flow, (x) => x.kind !== "valid");
      if (!run) return "fix: nothing";
      const fresh = m.newRun(flow, run.createdMs, false);
      flow.runs.delete(fresh.id);
      run.fields = fresh.fields;
      run.kind = "valid";
      run.incrementalVisible = false;
      touch(m, run, clock);
      return `fix ${run.id}`;
    }
  }
}
