// The one way a duration is shown to people (status page, reports, log lines): the two largest units,
// the second zero-padded, so flows compare at a glance: 850ms, 42s, 4m 05s, 3h 20m, 2d 04h.

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return "-";
  const sign = ms < 0 && Math.abs(ms) >= 500 ? "-" : "";
  const v = Math.abs(ms);
  if (v < 1000 && sign === "") return `${Math.round(v)}ms`;
  const s = Math.round(v / 1000);
  const two = (n: number) => String(n).padStart(2, "0");
  if (s < 60) return `${sign}${s}s`;
  if (s < 3600) return `${sign}${Math.floor(s / 60)}m ${two(s % 60)}s`;
  if (s < 86_400) return `${sign}${Math.floor(s / 3600)}h ${two(Math.floor((s % 3600) / 60))}m`;
  return `${sign}${Math.floor(s / 86_400)}d ${two(Math.floor((s % 86_400) / 3600))}h`;
}
