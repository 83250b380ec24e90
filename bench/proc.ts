// Linux /proc readers: a process's memory and CPU time, the machine's CPU busy share.
import { readFileSync } from "node:fs";

// USER_HZ: 100 on every mainstream Linux build (sysconf(_SC_CLK_TCK)); /proc/<pid>/stat counts in it.
const CLK_TCK = 100;

function read(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

export interface MemStatus {
  /** Resident set now, KiB. */
  rssKb: number;
  /** Peak resident set so far (high-water mark), KiB. */
  hwmKb: number;
}

export function memStatus(pid: number): MemStatus | undefined {
  const text = read(`/proc/${pid}/status`);
  if (!text) return undefined;
  const field = (name: string): number => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(text);
    return m ? Number(m[1]) : 0;
  };
  return { rssKb: field("VmRSS"), hwmKb: field("VmHWM") };
}

/** User + system CPU seconds the process has used so far (undefined once it is gone). */
export function cpuSeconds(pid: number): number | undefined {
  const text = read(`/proc/${pid}/stat`);
  if (!text) return undefined;
  // Fields after the command name (which may contain spaces) start at field 3; utime, stime are 14, 15.
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / CLK_TCK : undefined;
}

/** Direct children of a process (needs CONFIG_PROC_CHILDREN, standard on current kernels). */
export function childPids(pid: number): number[] {
  const text = read(`/proc/${pid}/task/${pid}/children`);
  if (!text) return [];
  return text.trim().split(/\s+/).filter(Boolean).map(Number);
}

export interface CpuSnapshot {
  busy: number;
  total: number;
}

export function machineCpu(): CpuSnapshot {
  const line = (read("/proc/stat") ?? "").split("\n")[0] ?? "";
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest counted inside user)
  const total = v.slice(0, 8).reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busy: total - idle, total };
}

/** Share of all cores that was busy between two snapshots, 0..1. */
export function busyShare(from: CpuSnapshot, to: CpuSnapshot): number {
  const total = to.total - from.total;
  return total > 0 ? (to.busy - from.busy) / total : 0;
}
