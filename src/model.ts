// Shared vocabulary every layer may import (DESIGN §8): the shapes db/ returns and sync/ decides on.
// Nothing here imports anything of the project.

export type PassKind = "full" | "incremental";
/** How a pass segment ended, as bird.sync_passes.outcome records it. */
export type PassOutcome = "completed" | "interrupted" | "failed";
/** The createdAt order a listing returns runs in. */
export type ListOrder = "asc" | "desc";

/** Where a flow's pass stands (bird.sync_state), as the engine reads it when it takes the lease. */
export interface FlowState {
  flowId: string;
  passId: number | null;
  passKind: PassKind | null;
  passStartedAt: string | null;
  cursor: string | null;
  /** The reverse stream's cursor of a two-ended full pass (null: that stream has not begun). */
  reverseCursor: string | null;
  listOrder: ListOrder | null;
  /** Whether the API honours `reverse` for this flow; null until probed. */
  reverseWorks: boolean | null;
  lastFullPassAt: string | null;
  consecutiveFailures: number;
  nextAttemptAt: string | null;
}

/** Counts of one page, and (summed) of a pass, a flow or a cycle. */
export interface PageProgress {
  pages: number;
  requests: number;
  seen: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
  deleted: number;
  /** Runs a completed full listing did not show that a GET proved live: Bird's paging is unstable. */
  skippedLive: number;
}

export function emptyProgress(): PageProgress {
  return { pages: 0, requests: 0, seen: 0, inserted: 0, updated: 0, unchanged: 0, rejected: 0, deleted: 0, skippedLive: 0 };
}

export function addProgress(into: PageProgress, d: PageProgress): void {
  for (const k of Object.keys(into) as Array<keyof PageProgress>) into[k] += d[k];
}

/**
 * When one read of Bird happened, on this process's clock in µs since the epoch: its request was sent
 * no later than `sentUs` and its answer had arrived by `receivedUs`. What the answer showed was true
 * at some instant in between: the bounds of every version window (issue 22).
 */
export interface ReadWindow {
  sentUs: number;
  receivedUs: number;
}

/** This process's clock in µs (sub-millisecond: a change and a read within one millisecond stay ordered). */
export function localClockUs(): number {
  return (performance.timeOrigin + performance.now()) * 1000;
}

/** Times `read` and returns its result with the window it was made in. */
export async function timedRead<T>(read: () => Promise<T>): Promise<{ value: T; read: ReadWindow }> {
  const sentUs = localClockUs();
  const value = await read();
  return { value, read: { sentUs, receivedUs: localClockUs() } };
}
