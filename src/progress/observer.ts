// Progress for `sync`/`backfill`: per-flow bars on a TTY (runs, pages, rate), periodic log lines otherwise.
import cliProgress from "cli-progress";
import type { Logger } from "pino";
import type { PageProgress, PassKind } from "../sync/outcome.js";
import type { SyncObserver } from "../sync/observer.js";

interface FlowProgress {
  kind: PassKind;
  started: number;
  runs: number;
  pages: number;
  bar?: cliProgress.SingleBar;
}

const LOG_EVERY_MS = 5000;

export async function progressObserver(logger: Logger, stream: NodeJS.WriteStream = process.stderr): Promise<SyncObserver> {
  const flows = new Map<string, FlowProgress>();
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
  const spin = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏";
  const payload = (flowId: string, f: FlowProgress, state: string) => {
    const secs = Math.max(0.001, (Date.now() - f.started) / 1000);
    return {
      flow: flowId.slice(0, 8),
      kind: f.kind.padEnd(11),
      spinner: spin[f.pages % spin.length],
      runs: String(f.runs).padStart(7),
      pages: String(f.pages).padStart(5),
      rate: String(Math.round(f.runs / secs)).padStart(6),
      state,
    };
  };
  let lastLog = Date.now();
  const logProgress = () => {
    if (tty || Date.now() - lastLog < LOG_EVERY_MS) return;
    lastLog = Date.now();
    for (const [flowId, f] of flows) logger.info({ flowId, kind: f.kind, runs: f.runs, pages: f.pages }, "sync progress");
  };
  return {
    passStarted(flowId, kind, resumed, expectedRuns) {
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
      f.bar?.update(Math.min(f.runs, f.bar.getTotal() || 0), payload(flowId, f, "running"));
      logProgress();
    },
    passFinished(flowId, _kind, outcome) {
      const f = flows.get(flowId);
      if (f?.bar) f.bar.update(outcome === "completed" ? f.bar.getTotal() : Math.min(f.runs, f.bar.getTotal()), payload(flowId, f, outcome));
      flows.delete(flowId);
      if (flows.size === 0) multibar?.stop();
    },
  };
}
