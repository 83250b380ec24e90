// The one way commands trap SIGINT/SIGTERM: the first signal aborts an AbortSignal (shutdown is a
// signal, not a flag — Nango's scheduler does the same), a second one means "stop waiting".

import { AbortedError } from "./errors.js";

export const STOP_SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM"];

export interface StopSignals {
  /** Aborted (with an AbortedError) by the first stop signal, or by `also`. */
  signal: AbortSignal;
  /** Removes the handlers; call it in a `finally`. */
  dispose(): void;
}

export interface TrapOptions {
  /**
   * A second stop signal. Without it, the handlers are removed and the signal raised again, so the
   * default action (the process ends at once) happens, as if nothing had been trapped.
   */
  onSecond?(sig: NodeJS.Signals): void;
  /** Stops too when this aborts (a test or an embedding caller ending the run). */
  also?: AbortSignal | undefined;
}

export function trapStopSignals(onFirst: (sig: NodeJS.Signals) => void, opts: TrapOptions = {}): StopSignals {
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => {
    if (!controller.signal.aborted) {
      onFirst(sig);
      controller.abort(new AbortedError(`received ${sig}`));
    } else if (opts.onSecond) {
      opts.onSecond(sig);
    } else {
      dispose();
      process.kill(process.pid, sig);
    }
  };
  const onAlso = () => controller.abort(opts.also?.reason);
  const dispose = (): void => {
    for (const sig of STOP_SIGNALS) process.off(sig, onSignal);
    opts.also?.removeEventListener("abort", onAlso);
  };
  for (const sig of STOP_SIGNALS) process.on(sig, onSignal);
  if (opts.also?.aborted) onAlso();
  else opts.also?.addEventListener("abort", onAlso, { once: true });
  return { signal: controller.signal, dispose };
}
