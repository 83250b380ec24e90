// The status page's pass history grouped into cycles.
export interface PassTime {
  startedAt: string;
  finishedAt: string | null;
  requests: number;
}

export interface Cycle {
  startedAt: string;
  passes: number;
  requests: number;
}

/**
 * Groups pass segments (oldest first) into cycles: the database has no cycle id, but a cycle's
 * passes start together or back to back (the next flow starts as soon as a slot frees), so a pass
 * that starts after every earlier one finished, with 250 ms of slack, opens a new cycle.
 */
export function groupIntoCycles(passes: readonly PassTime[]): Cycle[] {
  const cycles: Cycle[] = [];
  let openUntil = Number.NEGATIVE_INFINITY;
  for (const p of passes) {
    const start = Date.parse(p.startedAt);
    const end = p.finishedAt ? Date.parse(p.finishedAt) : start;
    const current = cycles[cycles.length - 1];
    if (!current || start > openUntil + 250) {
      cycles.push({ startedAt: p.startedAt, passes: 1, requests: Number(p.requests) });
      openUntil = end;
    } else {
      current.passes++;
      current.requests += Number(p.requests);
      openUntil = Math.max(openUntil, end);
    }
  }
  return cycles;
}
