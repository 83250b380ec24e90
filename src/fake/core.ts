// The fake Bird API without its socket: the store, the fault planner, the counters and the routes' context,
// wired as server.ts serves them. Tests call routes.ts's handleApi on it directly (no port, no HTTP).
import { CounterBook } from "./counters.js";
import { FaultPlanner } from "./faults.js";
import type { ApiContext, ApiSettings } from "./routes.js";
import { FakeStore } from "./store.js";
import { TokenSigner } from "./tokens.js";
import type { FakeOptions, Faults } from "./types.js";

export interface FakeCore {
  store: FakeStore;
  faults: FaultPlanner;
  book: CounterBook;
  settings: ApiSettings;
  ctx: ApiContext;
  accessKey: string;
  /** Replaces the listed keys, keeps the others. */
  setFaults(patch: Partial<Faults>): void;
  setOptions(o: Partial<Pick<FakeOptions, "order" | "lastPageToken" | "ignoreReverse">>): void;
}

function checkOptions(o: FakeOptions): void {
  const wholeAtLeast = (name: string, v: number | undefined, min: number) => {
    if (v !== undefined && (!Number.isInteger(v) || v < min)) throw new RangeError(`${name} must be an integer >= ${min}`);
  };
  wholeAtLeast("flows", o.flows, 0);
  wholeAtLeast("runsPerFlow", o.runsPerFlow, 0);
  wholeAtLeast("maxLimit", o.maxLimit, 1);
  wholeAtLeast("seed", o.seed, 0);
  if (o.pendingFraction !== undefined && !(o.pendingFraction >= 0 && o.pendingFraction <= 1)) {
    throw new RangeError("pendingFraction must be between 0 and 1");
  }
}

function storeOf(opts: FakeOptions, seed: number): FakeStore {
  return new FakeStore({
    seed,
    flows: opts.flows ?? 3,
    runsPerFlow: opts.runsPerFlow ?? 1050,
    pendingFraction: opts.pendingFraction ?? 0.04,
    olderPendingFraction: opts.olderPendingFraction,
    endAtNow: opts.endAtNow,
    ...(opts.organizationId === undefined ? {} : { organizationId: opts.organizationId }),
  });
}

export function createFakeCore(opts: FakeOptions = {}): FakeCore {
  checkOptions(opts);
  const seed = opts.seed ?? 1;
  const store = storeOf(opts, seed);
  const faults = new FaultPlanner(seed);
  const book = new CounterBook();
  const settings: ApiSettings = {
    order: opts.order ?? "asc",
    ignoreReverse: opts.ignoreReverse ?? false,
    lastPageToken: opts.lastPageToken ?? "empty",
    maxLimit: opts.maxLimit ?? 100,
  };
  const ctx: ApiContext = { store, signer: new TokenSigner(), faults, settings, onFault: (kind) => book.fault(kind) };
  const setFaults = (patch: Partial<Faults>): void => {
    const before = faults.faults.invalidRecordsPerFlow;
    faults.update(patch);
    if (faults.faults.invalidRecordsPerFlow !== before) store.setInvalidRecordsPerFlow(faults.faults.invalidRecordsPerFlow);
  };
  if (opts.faults) setFaults(opts.faults);
  const setOptions: FakeCore["setOptions"] = (o) => {
    if (o.order !== undefined) settings.order = o.order;
    if (o.lastPageToken !== undefined) settings.lastPageToken = o.lastPageToken;
    if (o.ignoreReverse !== undefined) settings.ignoreReverse = o.ignoreReverse;
  };
  return { store, faults, book, settings, ctx, accessKey: opts.accessKey ?? "fake-access-key", setFaults, setOptions };
}
