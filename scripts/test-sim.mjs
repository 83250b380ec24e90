// npm run test:sim -- [--seeds N] [--seed S] [--base B]: the exactness simulation on more seeds, or one seed replayed.
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { seeds: { type: "string" }, seed: { type: "string" }, base: { type: "string" } } });
const env = { ...process.env };
if (values.seeds) env.SIM_SEEDS = values.seeds;
if (values.seed) env.SIM_SEED = values.seed;
if (values.base) env.SIM_BASE = values.base;
const started = Date.now();
const run = spawnSync("npx", ["vitest", "run", "test/simulation.integration.test.ts", "--testTimeout=0"], { stdio: "inherit", env });
console.log(`simulation finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(run.status ?? 1);
