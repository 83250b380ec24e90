// Summarizes a V8 .cpuprofile (node --cpu-prof): self time per function and per area (package, node
// internals, product module, GC), so the bench can say where the sync process spends its CPU.
import { readFileSync } from "node:fs";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  ms: number;
  share: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** Time not idle: the process was running JS, natives or GC. */
  busyMs: number;
  topFunctions: SelfTime[];
  areas: SelfTime[];
}

function shortUrl(url: string): string {
  if (!url) return "";
  const path = url.replace(/^file:\/\//, "");
  const nm = path.lastIndexOf("/node_modules/");
  if (nm >= 0) return path.slice(nm + "/node_modules/".length);
  const dist = path.lastIndexOf("/dist/");
  if (dist >= 0) return path.slice(dist + 1);
  return path;
}

/** Where a frame belongs: a package, a product folder, node internals, or V8's pseudo-frames. */
function areaOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) {
    if (functionName.startsWith("(")) return functionName; // (garbage collector), (program), (idle)
    return "(native/builtin)";
  }
  if (url.startsWith("node:")) {
    const mod = url.slice(5);
    return mod.startsWith("internal/deps/undici") ? "node:undici (fetch)" : `node:${mod.split("/").slice(0, 2).join("/")}`;
  }
  const path = url.replace(/^file:\/\//, "");
  const nm = path.lastIndexOf("/node_modules/");
  if (nm >= 0) {
    const rest = path.slice(nm + "/node_modules/".length).split("/");
    return `npm:${rest[0]?.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  const dist = path.lastIndexOf("/dist/");
  if (dist >= 0) {
    const rest = path.slice(dist + "/dist/".length).split("/");
    return `product:${rest.length > 1 ? rest[0] : rest[0]?.replace(/\.js$/, "")}`;
  }
  return path;
}

export function summarizeProfile(file: string, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const fn = new Map<string, number>();
  const area = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    total += us;
    const f = node.callFrame;
    if (f.functionName === "(idle)") idle += us;
    const name = f.url ? `${f.functionName || "(anonymous)"} ${shortUrl(f.url)}:${f.lineNumber + 1}` : f.functionName || "(anonymous)";
    fn.set(name, (fn.get(name) ?? 0) + us);
    const a = areaOf(f);
    area.set(a, (area.get(a) ?? 0) + us);
  }
  const busy = total - idle;
  const rank = (m: Map<string, number>, n: number): SelfTime[] =>
    [...m.entries()]
      .filter(([name]) => name !== "(idle)")
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, ms: us / 1000, share: busy > 0 ? us / busy : 0 }));
  return { file, totalMs: total / 1000, busyMs: busy / 1000, topFunctions: rank(fn, top), areas: rank(area, 15) };
}
