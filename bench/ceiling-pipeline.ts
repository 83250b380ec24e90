// Ceiling C (informative, not in the ratio): A and B at once, the way an ideal product would run —
// `concurrency` flows at a time, each paged with the bare client (next page prefetched while the current
// one is sent) and streamed straight into one COPY per flow. No validation, no upsert, no per-page
// transaction. On a machine with few cores A and B compete for the same CPU, so this is what "bounded only
// by the API and PostgreSQL" can mean here; min(A, B) measures each with the machine to itself.
import type pg from "pg";
import { fetchRunsPage, forEachFlow, type PagingOptions, type RunsPage } from "./ceiling-fetch.js";
import { COPY_SQL, copyIn, copyLine, openCopyTarget } from "./ceiling-copy.js";
import type { FakeProcess } from "./fake-process.js";
import type { PgAdmin } from "./pg-admin.js";
import { busyShare, machineCpu } from "./proc.js";

export interface PipelineCeilingResult {
  runs: number;
  seconds: number;
  runsPerSec: number;
  requests: number;
  cpu: { client: number; fake: number; postgres: number };
  machineBusy: number;
}

/** A flow's pages as COPY text, one chunk per page, the next page already requested. */
async function* flowAsCopyText(fake: FakeProcess, flowId: string, pageSize: number, counted: { runs: number }): AsyncGenerator<Buffer> {
  let pending: Promise<RunsPage> = fetchRunsPage(fake.info, flowId, pageSize, undefined);
  for (;;) {
    const page = await pending;
    if (page.next) {
      pending = fetchRunsPage(fake.info, flowId, pageSize, page.next);
      pending.catch(() => undefined);
    }
    counted.runs += page.results.length;
    let text = "";
    for (const record of page.results) text += `${copyLine(record)}\n`;
    if (text) yield Buffer.from(text, "utf8");
    if (!page.next) return;
  }
}

export async function measurePipelineCeiling(
  admin: PgAdmin,
  fake: FakeProcess,
  opts: PagingOptions & { cliPath: string; cwd: string },
): Promise<PipelineCeilingResult> {
  const flows = fake.info.flowIds;
  const n = Math.max(1, Math.min(opts.concurrency, flows.length));
  const target = await openCopyTarget(admin, { kind: "pipe", connections: n, cliPath: opts.cliPath, cwd: opts.cwd });
  try {
    await fake.resetCounters();
    const counted = { runs: 0 };
    let copied = 0;
    target.mark();
    const fakeCpu0 = fake.cpuSeconds();
    const cpu0 = process.cpuUsage();
    const m0 = machineCpu();
    const t0 = performance.now();
    await forEachFlow(flows, n, async (flowId, worker) => {
      const rows = await copyIn(target.clients[worker] as pg.Client, COPY_SQL, flowAsCopyText(fake, flowId, opts.pageSize, counted));
      copied += rows;
    });
    const seconds = (performance.now() - t0) / 1000;
    const m1 = machineCpu();
    const client = process.cpuUsage(cpu0);
    const fakeCpu = fake.cpuSeconds() - fakeCpu0;
    const pgCpu = target.pgCpuSinceMark();
    const stored = await target.countRuns();
    if (copied !== counted.runs || stored !== fake.runs) {
      throw new Error(`pipeline ceiling stored ${stored} rows (COPY reported ${copied}, fetched ${counted.runs}), expected ${fake.runs}`);
    }
    const state = await fake.state();
    return {
      runs: stored,
      seconds,
      runsPerSec: stored / seconds,
      requests: state.requests,
      cpu: { client: (client.user + client.system) / 1e6, fake: fakeCpu, postgres: pgCpu },
      machineBusy: busyShare(m0, m1),
    };
  } finally {
    await target.close();
  }
}
