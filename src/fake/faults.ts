// Fault settings and the per-request fault draw. The draw uses its own seeded stream (not the data's),
// so the same seed and request sequence reproduce the same faults.
import { mixSeed, Rng } from "./random.js";
import type { Faults } from "./types.js";

export const DEFAULT_FAULTS: Readonly<Faults> = Object.freeze({
  rate429: 0,
  maxPerSecond: 0,
  retryAfter: "seconds",
  retryAfterSeconds: 1,
  rate5xx: 0,
  rateTruncated: 0,
  rateReset: 0,
  rateNotJson: 0,
  rateWrongShape: 0,
  latencyMs: 0,
  latencyJitterMs: 0,
  tokenTtlMs: 0,
  invalidRecordsPerFlow: 0,
  emptyPageWithToken: false,
  repeatTokenFlowIds: [],
  duplicateAcrossPages: false,
  failFlowIds: [],
});

const RATES = ["rate429", "rate5xx", "rateTruncated", "rateReset", "rateNotJson", "rateWrongShape"] as const;
const DURATIONS = ["retryAfterSeconds", "latencyMs", "latencyJitterMs", "tokenTtlMs"] as const;
const FLAGS = ["emptyPageWithToken", "duplicateAcrossPages"] as const;
const ID_LISTS = ["repeatTokenFlowIds", "failFlowIds"] as const;

export class FaultsError extends Error {
  override readonly name = "FaultsError";
}

/** Checks a faults patch from JSON (CLI flag or POST /_fake/faults); throws FaultsError naming the bad key. */
export function parseFaults(input: unknown): Partial<Faults> {
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    throw new FaultsError("faults must be a JSON object");
  }
  const known = new Set<string>(Object.keys(DEFAULT_FAULTS));
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (!known.has(key)) throw new FaultsError(`unknown fault "${key}" (known: ${[...known].join(", ")})`);
    out[key] = checkFault(key, value);
  }
  return out as Partial<Faults>;
}

function checkFault(key: string, value: unknown): unknown {
  const fail = (form: string) => new FaultsError(`fault "${key}" must be ${form}, got ${JSON.stringify(value)}`);
  if ((RATES as readonly string[]).includes(key)) {
    if (typeof value !== "number" || !(value >= 0 && value <= 1)) throw fail("a probability between 0 and 1");
  } else if ((DURATIONS as readonly string[]).includes(key)) {
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) throw fail("a number >= 0");
  } else if (key === "invalidRecordsPerFlow" || key === "maxPerSecond") {
    if (!Number.isInteger(value) || (value as number) < 0) throw fail("an integer >= 0");
  } else if ((FLAGS as readonly string[]).includes(key)) {
    if (typeof value !== "boolean") throw fail("true or false");
  } else if ((ID_LISTS as readonly string[]).includes(key)) {
    if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) throw fail("an array of flow ids");
  } else if (key === "retryAfter") {
    if (value !== "seconds" && value !== "http-date" && value !== "none") throw fail('"seconds", "http-date" or "none"');
  }
  return Array.isArray(value) ? [...value] : value;
}

export type FaultKind = "reset" | "429" | "5xx" | "truncated" | "notJson" | "wrongShape";

export interface FaultDraw {
  kind: FaultKind | undefined;
  latencyMs: number;
  /** Picks the 5xx status and the wrong-shape body. */
  variant: number;
}

export class FaultPlanner {
  private current: Faults = { ...DEFAULT_FAULTS, repeatTokenFlowIds: [], failFlowIds: [] };
  private readonly rng: Rng;

  constructor(seed: number) {
    this.rng = new Rng(mixSeed(seed, "faults"));
  }

  get faults(): Readonly<Faults> {
    return this.current;
  }

  /** Replaces the listed keys and keeps the others. */
  update(patch: Partial<Faults>): void {
    this.current = { ...this.current, ...parseFaults(patch) };
  }

  /** One draw per API request; always consumes three numbers so one setting does not shift the others. */
  draw(): FaultDraw {
    const roll = this.rng.next();
    const jitter = this.rng.next();
    const variant = this.rng.next();
    const f = this.current;
    const latencyMs = f.latencyMs + jitter * f.latencyJitterMs;
    const order: Array<[FaultKind, number]> = [
      ["reset", f.rateReset],
      ["429", f.rate429],
      ["5xx", f.rate5xx],
      ["truncated", f.rateTruncated],
      ["notJson", f.rateNotJson],
      ["wrongShape", f.rateWrongShape],
    ];
    let threshold = 0;
    for (const [kind, rate] of order) {
      threshold += rate;
      if (roll < threshold) return { kind, latencyMs, variant };
    }
    return { kind: undefined, latencyMs, variant };
  }
}
