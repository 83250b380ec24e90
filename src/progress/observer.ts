// Progress for `sync`/`backfill`: on a TTY an overall bar plus a bar per flow (runs, pages, rate) whose
// final state stays on screen; otherwise log lines — every 5 s, and one overall line per finished flow.
import cliProgress from "cli-progress";
import type { Logger } from "pino";
import type { PageProgress, PassKind } from "../sync/outcome.js";
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

export async function progressObserver(
  logger: Logger,
  stream: NodeJS.WriteStream = process.stderr,
  terminal?: TerminalStream,
): Promise<SyncObserver> {
  const flows = new Map<string, FlowProgress>();
  const overall = new Overall();
  const tty = stream.isTTY === true;
  const multibar = tty
    ? new cliProgress.MultiBar(
        {
          stream,
          clearOnComplete: false,
          hideCursor: true,
          format: " {flow} {kind} {spinner} {runs} runs · {pages} pages · {rate} runs/s · {state}",
          forceRedraw: true,
        },
        cliProgress.Presets.shades_grey,
      )
    : undefined;
  let overallBar: cliProgress.SingleBar | undefined;
  const payload = (flowId: string, f: FlowProgress, state: string) => {
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
  };
  const overallPayload = () => ({ runs: overall.runs, rate: overall.rate() });
  const ensureBars = () => {
    if (!multibar || overallBar) return;
    // Bars stay until the command's last flow finished: stopping when the running ones happen to
    // be done (fewer than SYNC_CONCURRENCY) made later bars redraw over earlier ones.
    overallBar = multibar.create(overall.total, overall.done, overallPayload(), {
      format: " all flows {bar} {value}/{total} flows · {runs} runs · {rate} runs/s",
    });
    terminal?.routeThrough(multibar);
  };
  const stopBars = () => {
    terminal?.routeThrough(undefined);
    if (!multibar || !overallBar) return;
    // stop() does not print lines still waiting in the bars' log buffer: one last redraw does.
    multibar.update();
    multibar.stop();
    overallBar = undefined;
  };
  let lastLog = Date.now();
  const logProgress = () => {
    if (tty || Date.now() - lastLog < LOG_EVERY_MS) return;
    lastLog = Date.now();
    for (const [flowId, f] of flows) logger.info({ flowId, kind: f.kind, runs: f.runs, pages: f.pages }, "sync progress");
    logger.info({ flowsDone: overall.done, flowsTotal: overall.total, runs: overall.runs, runsPerSecond: overall.rate() }, `sync progress: ${overall.text()}`);
  };
  return {
    cycleStarted(flowIds) {
      overall.total = flowIds.length;
      overallBar?.setTotal(overall.total);
    },
    passStarted(flowId, kind, resumed, expectedRuns) {
      ensureBars();
      const f: FlowProgress = { kind, started: Date.now(), runs: 0, pages: 0 };
      // With an expected total (a reconcile), a bar with percentage and ETA; otherwise a spinner with counts.
      const barOptions = expectedRuns
        ? { format: ` {flow} {kind} {bar} {percentage}% {runs} runs · {pages} pages · {rate} runs/s · ETA {eta_formatted} · {state}` }
        : {};
      if (multibar) f.bar = multibar.create(expectedRuns ?? 0, 0, payload(flowId, f, resumed ? "resumed" : "running"), barOptions);
      flows.set(flowId, f);
    },
    pageCommitted(flowId, _kind, p: PageProgress) {
      const f = flows.get(flowId);
      if (!f) return;
      f.runs += p.seen;
      f.pages += p.pages;
      overall.runs += p.seen;
      f.bar?.update(Math.min(f.runs, f.bar.getTotal() || 0), payload(flowId, f, "running"));
      overallBar?.update(overall.done, overallPayload());
      logProgress();
    },
    passFinished(flowId, _kind, outcome) {
      const f = flows.get(flowId);
      // The bar keeps its final state (outcome, runs, rate) on screen; only its updates end.
      if (f?.bar) f.bar.update(outcome === "completed" ? f.bar.getTotal() : Math.min(f.runs, f.bar.getTotal()), payload(flowId, f, outcome));
      flows.delete(flowId);
    },
    flowFinished(flowId) {
      overall.done++;
      overallBar?.update(overall.done, overallPayload());
      if (!tty) {
        logger.info(
          { flowFinished: flowId, flowsDone: overall.done, flowsTotal: overall.total, runs: overall.runs, runsPerSecond: overall.rate() },
          `sync progress: ${overall.text()}`,
        );
      }
    },
    cycleFinished() {
      stopBars();
    },
  };
}
