// Ceiling A: a bare client paging every flow with the product's concurrency and page size — global fetch
// (undici, as the product uses), JSON.parse of each page, no validation, no database. Pages of one flow are
// fetched one after another; `concurrency` flows at a time, like SYNC_CONCURRENCY.
import type { FakeInfo, FakeProcess } from "./fake-process.js";
import { busyShare, machineCpu } from "./proc.js";

export interface PagingOptions {
  concurrency: number;
  pageSize: number;
}

export interface PagingTotals {
  runs: number;
  pages: number;
  bytes: number;
}

/** Pages every flow; `onPage` sees each parsed page's records (synchronously, before the next fetch). */
export interface RunsPage {
  results: unknown[];
  next: string | undefined;
  bytes: number;
}

/** One list request, as a bare client makes it: fetch, read the body, JSON.parse. */
export async function fetchRunsPage(info: FakeInfo, flowId: string, pageSize: number, token: string | undefined): Promise<RunsPage> {
  const q = new URLSearchParams({ limit: String(pageSize) });
  if (token) q.set("pageToken", token);
  const url = `${info.url}/organizations/${encodeURIComponent(info.organizationId)}/approvals/${encodeURIComponent(flowId)}/runs?${q}`;
  const res = await fetch(url, { headers: { authorization: `AccessKey ${info.accessKey}`, accept: "application/json" } });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`list runs of ${flowId} answered HTTP ${res.status}: ${text.slice(0, 200)}`);
  const page = JSON.parse(text) as { results: unknown[]; nextPageToken?: string | null };
  if (!Array.isArray(page.results)) throw new Error(`list runs of ${flowId}: no results array`);
  return { results: page.results, next: page.nextPageToken || undefined, bytes: text.length };
}

/** Runs `work` for every flow, `concurrency` flows at a time (like SYNC_CONCURRENCY). */
export async function forEachFlow(
  flowIds: readonly string[],
  concurrency: number,
  work: (flowId: string, worker: number) => Promise<void>,
): Promise<void> {
  const queue = [...flowIds];
  const workers = Math.max(1, Math.min(concurrency, flowIds.length));
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      for (let flowId = queue.shift(); flowId !== undefined; flowId = queue.shift()) await work(flowId, worker);
    }),
  );
}

/** Pages every flow; `onPage` sees each parsed page's records (synchronously, before the next fetch). */
export async function pageAllFlows(
  info: FakeInfo,
  opts: PagingOptions,
  onPage?: (flowId: string, records: unknown[]) => void,
): Promise<PagingTotals> {
  const totals: PagingTotals = { runs: 0, pages: 0, bytes: 0 };
  await forEachFlow(info.flowIds, opts.concurrency, async (flowId) => {
    let token: string | undefined;
    do {
      const page = await fetchRunsPage(info, flowId, opts.pageSize, token);
      totals.runs += page.results.length;
      totals.pages++;
      totals.bytes += page.bytes;
      onPage?.(flowId, page.results);
      token = page.next;
    } while (token);
  });
  return totals;
}

export interface FetchCeilingResult {
  runs: number;
  seconds: number;
  runsPerSec: number;
  pages: number;
  requests: number;
  megabytes: number;
  /** CPU seconds: this (bench) process and the fake API process, during the measurement. */
  cpu: { client: number; fake: number };
  /** Share of all cores busy during the measurement (0..1), whoever used them. */
  machineBusy: number;
}

export async function measureFetchCeiling(fake: FakeProcess, opts: PagingOptions): Promise<FetchCeilingResult> {
  await fake.resetCounters();
  const fakeCpu0 = fake.cpuSeconds();
  const cpu0 = process.cpuUsage();
  const m0 = machineCpu();
  const t0 = performance.now();
  const totals = await pageAllFlows(fake.info, opts);
  const seconds = (performance.now() - t0) / 1000;
  const m1 = machineCpu();
  const cpu = process.cpuUsage(cpu0);
  const fakeCpu = fake.cpuSeconds() - fakeCpu0;
  const state = await fake.state();
  return {
    runs: totals.runs,
    seconds,
    runsPerSec: totals.runs / seconds,
    pages: totals.pages,
    requests: state.requests,
    megabytes: totals.bytes / 1e6,
    cpu: { client: (cpu.user + cpu.system) / 1e6, fake: fakeCpu },
    machineBusy: busyShare(m0, m1),
  };
}
