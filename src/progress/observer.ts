// Progress for `sync`/`backfill`: on a TTY an overall bar plus a bar per flow (runs, pages, rate) whose
// final state stays on screen; otherwise log lines — every 5 s, and one overall line per finished flow.
import cliProgress from "cli-progress";
import type { Logger } from "pino";
import type { PageProgress, PassKind, PassOutcome } from "../model.js";
import type { SyncObserver } from "../sync/observer.js";
import type { TerminalStream } from "./terminal.js";

interface FlowProgress {
  kind: PassKind;
  started: number;
  runs: number;
  pages: number;
  bar?: cliProgress.SingleBar;
}

const LOG_EVERY_MS = 5000;
const SPIN = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏";

/** Totals over every flow of the command, for the overall line. */
class Overall {
  readonly started = Date.now();
  total = 0;
  done = 0;
  runs = 0;
  rate(): number {
    return Math.round(this.runs / Math.max(0.001, (Date.now() - this.started) / 1000));
  }
  text(): string {
    return `${this.done}/${this.total || "?"} flows done, ${this.runs} runs, ${this.rate()} runs/s`;
  }
}

function newMultibar(stream: NodeJS.WriteStream): cliProgress.MultiBar {
  return new cliProgress.MultiBar(
    {
      stream,
      clearOnComplete: false,
      hideCursor: true,
      format: " {flow} {kind} {spinner} {runs} runs · {pages} pages · {rate} runs/s · {state}",
      forceRedraw: true,
    },
    cliProgress.Presets.shades_grey,
  );
}

function barPayload(flowId: string, f: FlowProgress, state: string) {
  const secs = Math.max(0.001, (Date.now() - f.started) / 1000);
  return {
    flow: flowId.slice(0, 8),
    kind: f.kind.padEnd(11),
    spinner: SPIN[f.pages % SPIN.length],
    runs: String(f.runs).padStart(7),
    pages: String(f.pages).padStart(5),
    rate: String(Math.round(f.runs / secs)).padStart(6),
    state,
  };
}

/** Bars on a TTY (`multibar`), log lines otherwise. */
class ProgressObserver implements SyncObserver {
  private readonly flows = new Map<string, FlowProgress>();
  private readonly overall = new Overall();
  private overallBar: cliProgress.SingleBar | undefined;
  private lastLog = Date.now();

  constructor(
    private readonly logger: Logger,
    private readonly multibar: cliProgress.MultiBar | undefined,
    private readonly terminal: TerminalStream | undefined,
  ) {}

  cycleStarted(flowIds: readonly string[]): void {
    this.overall.total = flowIds.length;
    this.overallBar?.setTotal(this.overall.total);
  }

  passStarted(flowId: string, kind: PassKind, resumed: boolean, expectedRuns?: number): void {
    this.ensureBars();
    const f: FlowProgress = { kind, started: Date.now(), runs: 0, pages: 0 };
    // With an expected total (a reconcile), a bar with percentage and ETA; otherwise a spinner with counts.
    const barOptions = expectedRuns
      ? { format: ` {flow} {kind} {bar} {percentage}% {runs} runs · {pages} pages · {rate} runs/s · ETA {eta_formatted} · {state}` }
      : {};
    if (this.multibar)
      f.bar = this.multibar.create(expectedRuns ?? 0, 0, barPayload(flowId, f, resumed ? "resumed" : "running"), barOptions);
    this.flows.set(flowId, f);
  }

  pageCommitted(flowId: string, _kind: PassKind, p: PageProgress): void {
    const f = this.flows.get(flowId);
    if (!f) return;
    f.runs += p.seen;
    f.pages += p.pages;
    this.overall.runs += p.seen;
    f.bar?.update(Math.min(f.runs, f.bar.getTotal() || 0), barPayload(flowId, f, "running"));
    this.overallBar?.update(this.overall.done, this.overallPayload());
    this.logProgress();
  }

  passFinished(flowId: string, _kind: PassKind, outcome: PassOutcome): void {
    const f = this.flows.get(flowId);
    // The bar keeps its final state (outcome, runs, rate) on screen; only its updates end.
    if (f?.bar)
      f.bar.update(outcome === "completed" ? f.bar.getTotal() : Math.min(f.runs, f.bar.getTotal()), barPayload(flowId, f, outcome));
    this.flows.delete(flowId);
  }

  flowFinished(flowId: string): void {
    this.overall.done++;
    this.overallBar?.update(this.overall.done, this.overallPayload());
    if (!this.multibar) this.logOverall({ flowFinished: flowId });
  }

  cycleFinished(): void {
    this.terminal?.routeThrough(undefined);
    if (!this.multibar || !this.overallBar) return;
    // stop() does not print lines still waiting in the bars' log buffer: one last redraw does.
    this.multibar.update();
    this.multibar.stop();
    this.overallBar = undefined;
  }

  private overallPayload() {
    return { runs: this.overall.runs, rate: this.overall.rate() };
  }

  private ensureBars(): void {
    if (!this.multibar || this.overallBar) return;
    // Bars stay until the command's last flow finished: stopping when the running ones happen to
    // be done (fewer than SYNC_CONCURRENCY) made later bars redraw over earlier ones.
    this.overallBar = this.multibar.create(this.overall.total, this.overall.done, this.overallPayload(), {
      format: " all flows {bar} {value}/{total} flows · {runs} runs · {rate} runs/s",
    });
    this.terminal?.routeThrough(this.multibar);
  }

  private logProgress(): void {
    if (this.multibar || Date.now() - this.lastLog < LOG_EVERY_MS) return;
    this.lastLog = Date.now();
    for (const [flowId, f] of this.flows) this.logger.info({ flowId, kind: f.kind, runs: f.runs, pages: f.pages }, "sync progress");
    this.logOverall();
  }

  private logOverall(extra: { flowFinished?: string } = {}): void {
    const o = this.overall;
    this.logger.info(
      { ...extra, flowsDone: o.done, flowsTotal: o.total, runs: o.runs, runsPerSecond: o.rate() },
      `sync progress: ${o.text()}`,
    );
  }
}

export async function progressObserver(
  logger: Logger,
  stream: NodeJS.WriteStream = process.stderr,
  terminal?: TerminalStream,
): Promise<SyncObserver> {
  return new ProgressObserver(logger, stream.isTTY === true ? newMultibar(stream) : undefined, terminal);
}
