// The `fake-api` command's running part: serves the fake Bird API until SIGINT/SIGTERM (flags: commands/fake-api.ts).
import { ConfigError } from "../errors.js";
import { parseFaults } from "./faults.js";
import { trapStopSignals } from "../stop-signals.js";
import { startFakeBirdApi } from "./server.js";
import type { Faults, ListOrder } from "./types.js";

export interface ServeFakeOptions {
  port: number;
  flows: number;
  runs: number;
  seed: number;
  /** JSON object of Faults keys, e.g. '{"rate429":0.05}'. */
  faults?: string;
  order?: ListOrder;
  /** Answer reverse=true like reverse=false (an API that ignores the parameter). */
  ignoreReverse?: boolean;
  host?: string;
  /** Stops the server like a signal would (for tests). */
  signal?: AbortSignal;
}

function faultsFromFlag(text: string | undefined): Partial<Faults> | undefined {
  if (text === undefined || text.trim() === "") return undefined;
  try {
    return parseFaults(JSON.parse(text));
  } catch (err) {
    throw new ConfigError(`--faults must be a JSON object of fault settings (see docs/fake-api-spec.md): ${(err as Error).message}`);
  }
}

function checkCount(flag: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new ConfigError(`${flag} must be an integer >= ${min}, got ${value}`);
}

export async function serveFakeApi(opts: ServeFakeOptions): Promise<void> {
  checkCount("--port", opts.port, 0);
  checkCount("--flows", opts.flows, 0);
  checkCount("--runs", opts.runs, 0);
  checkCount("--seed", opts.seed, 0);
  if (opts.order !== undefined && opts.order !== "asc" && opts.order !== "desc") {
    throw new ConfigError(`--order must be asc or desc, got ${String(opts.order)}`);
  }
  const faults = faultsFromFlag(opts.faults);
  // Generating is synchronous and takes seconds for large --runs (25 s for 3 x 200,000): say what is
  // happening before it starts, and how long it took after (issue 24: it printed nothing meanwhile).
  const host = opts.host ?? "127.0.0.1";
  const total = opts.flows * opts.runs;
  process.stderr.write(
    `fake Bird API: generating ${opts.flows} flows x ${opts.runs} runs (seed ${opts.seed}; ${total.toLocaleString("en-US")} runs in all), then listening on ${opts.port === 0 ? `a free port of ${host}` : `${host}:${opts.port}`} ...\n`,
  );
  const started = performance.now();
  const api = await startFakeBirdApi({
    port: opts.port,
    host,
    flows: opts.flows,
    runsPerFlow: opts.runs,
    seed: opts.seed,
    ...(opts.order ? { order: opts.order } : {}),
    ...(opts.ignoreReverse ? { ignoreReverse: true } : {}),
    ...(faults ? { faults } : {}),
  });
  const flowIds = api.store.flowIds();
  process.stdout.write(`${JSON.stringify({ url: api.url, organizationId: api.organizationId, accessKey: api.accessKey, flowIds })}\n`);
  process.stderr.write(
    [
      `fake Bird API on ${api.url}: ${flowIds.length} flows x ${opts.runs} runs, seed ${opts.seed} (generated in ${((performance.now() - started) / 1000).toFixed(1)} s)`,
      "point the worker at it:",
      `  BIRD_API_URL=${api.url} BIRD_ORGANIZATION_ID=${api.organizationId} BIRD_ACCESS_KEY=${api.accessKey} approvals-sync sync`,
      `control (no auth): GET ${api.url}/_fake/state, POST /_fake/faults, POST /_fake/mutate, POST /_fake/reset-counters`,
      "stop with Ctrl-C",
      "",
    ].join("\n"),
  );
  await serveUntilStopped(api, opts.signal);
}

/** Keeps a started fake serving until SIGINT/SIGTERM (or `signal`), then closes it. */
export async function serveUntilStopped(api: { close(): Promise<void> }, signal?: AbortSignal): Promise<void> {
  const stop = trapStopSignals(() => undefined, { also: signal });
  try {
    if (!stop.signal.aborted) await new Promise((resolve) => stop.signal.addEventListener("abort", resolve, { once: true }));
  } finally {
    stop.dispose();
  }
  await api.close();
}
