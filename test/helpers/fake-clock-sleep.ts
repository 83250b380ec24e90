// node:timers/promises' setTimeout, routed through the global setTimeout that vitest's fake timers
// replace (they do not reach node:timers/promises), so code that sleeps runs on the fake clock.
// Use: vi.mock("node:timers/promises", () => import("./helpers/fake-clock-sleep.js"));
export function setTimeout<T>(ms: number, value?: T, opts?: { signal?: AbortSignal }): Promise<T | undefined> {
  return new Promise<T | undefined>((resolve, reject) => {
    const timer = globalThis.setTimeout(() => resolve(value), ms);
    opts?.signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(opts.signal?.reason);
      },
      { once: true },
    );
  });
}
