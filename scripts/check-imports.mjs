// npm run lint: imports run one way (DESIGN §8) and no module imports itself back through others.
// Each top-level part of src/ has a rank; a module may import its own part or a part of higher rank.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const RANK = {
  cli: 0,
  commands: 1,
  app: 2,
  daemon: 2,
  check: 2,
  progress: 2,
  ui: 3,
  report: 3,
  status: 3,
  health: 4,
  sync: 5,
  bird: 6,
  db: 6,
  fake: 6,
  config: 7,
  log: 7,
  "config-forms": 8,
  "unknown-variables": 8,
  "stop-signals": 8,
  "process-alive": 8,
  "text-table": 8,
  memory: 8,
  duration: 9,
  model: 9,
  errors: 9,
  uuid: 9,
};

const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (path.endsWith(".ts")) files.push(path);
  }
};
walk("src");

const part = (file) => relative("src", file).split("/")[0].replace(/\.ts$/, "");
const imports = new Map();
for (const file of files) {
  const text = readFileSync(file, "utf8");
  const targets = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?from\s+["'](\.{1,2}\/[^"']+)["']/g)].map((m) =>
    relative(".", resolve(dirname(file), m[1]).replace(/\.js$/, ".ts")),
  );
  imports.set(file, targets);
}

const problems = [];
for (const [file, targets] of imports) {
  const from = part(file);
  if (!(from in RANK)) problems.push(`${file}: src/${from} has no rank in scripts/check-imports.mjs; give it one`);
  for (const target of targets) {
    const to = part(target);
    if (to === from || !(to in RANK) || !(from in RANK)) continue;
    if (RANK[to] < RANK[from]) problems.push(`${file} imports ${target}: ${from}/ may not import ${to}/ (imports run one way)`);
    if (RANK[to] === RANK[from] && (imports.get(target) ?? []).some((t) => part(t) === from)) {
      problems.push(`${file} imports ${target}, and ${to}/ imports ${from}/ back`);
    }
  }
}

// File-level cycles (depth-first, colouring).
const state = new Map();
const stack = [];
const visit = (file) => {
  state.set(file, "open");
  stack.push(file);
  for (const target of imports.get(file) ?? []) {
    if (!imports.has(target)) continue;
    if (state.get(target) === "open") problems.push(`import cycle: ${[...stack.slice(stack.indexOf(target)), target].join(" -> ")}`);
    else if (!state.has(target)) visit(target);
  }
  stack.pop();
  state.set(file, "done");
};
for (const file of imports.keys()) if (!state.has(file)) visit(file);

if (problems.length > 0) {
  console.error(`check-imports: ${problems.length} problem(s)\n  ${[...new Set(problems)].join("\n  ")}`);
  process.exit(1);
}
console.log(`check-imports: ${files.length} modules, imports run one way, no cycles`);
