import type { PageProgress } from "../db/state.js";

export function emptyProgress(): PageProgress {
  return { pages: 0, requests: 0, seen: 0, inserted: 0, updated: 0, unchanged: 0, rejected: 0, deleted: 0 };
}

export function addProgress(into: PageProgress, d: PageProgress): void {
  for (const k of Object.keys(into) as Array<keyof PageProgress>) into[k] += d[k];
}
