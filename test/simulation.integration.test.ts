// Exactness by simulation (issue 12): seeded random upstream changes and syncs against a model Bird
// with quirks, the tables checked against the model after every sync. `npm run test:sim -- --seeds N`
// runs more seeds; a failure names the one-line command that replays its seed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pino from "pino";
import { loadConfig, type Config } from "../src/config.js";
import { openDatabase } from "../src/db/connect.js";
import type { Database } from "../src/db/database.js";
import { freshDatabaseUrl } from "./helpers/db.js";
import { SimulationFailure, seedsFrom, simulate } from "./sim/simulate.js";

const { seeds, replay } = seedsFrom(process.env, 200);
// Two flows of a seed interleave on a real database, so a seed's failure need not show on every run:
// a replay runs the seed again, each time on a fresh database, until it fails or SIM_REPEAT runs pass.
const attempts = replay ? Number(process.env.SIM_REPEAT ?? 20) : 1;

describe("simulation: the tables equal a hostile model upstream after every full pass", () => {
  let db: Database;
  let config: Config;

  const useFreshDatabase = async () => {
    await db?.close();
    const url = await freshDatabaseUrl();
    config = loadConfig({
      env: { DATABASE_URL: url, BIRD_ACCESS_KEY: "sim", BIRD_ORGANIZATION_ID: "sim", LOG_LEVEL: "silent" },
      cwd: "/nonexistent",
      requireBird: true,
    });
    db = await openDatabase(config, pino({ level: "silent" }), { poolSize: 8 });
  };
  beforeAll(useFreshDatabase);
  afterAll(async () => {
    await db?.close();
  });

  it(
    `holds on ${seeds.length} seed(s)${replay ? " (replay)" : ""}`,
    async () => {
      let requests = 0;
      for (const [i, seed] of seeds.entries()) {
        if (i > 0 && i % 250 === 0) process.stderr.write(`simulation: ${i} of ${seeds.length} seeds held\n`);
        for (let attempt = 1; attempt <= attempts; attempt++) {
          if (attempt > 1) await useFreshDatabase();
          const ran = replay ? ` (run ${attempt} of up to ${attempts})` : "";
          try {
            requests += (await simulate({ seed, db, config })).requests;
          } catch (err) {
            const replayLine = `replay: npm run test:sim -- --seed ${seed}`;
            if (err instanceof SimulationFailure) throw new Error(`seed ${seed} failed${ran}. ${replayLine}\n${err.message}`);
            throw new Error(`seed ${seed} crashed${ran}. ${replayLine}\n${(err as Error).stack}`);
          }
        }
      }
      expect(requests).toBeGreaterThan(seeds.length);
      // Seeds run one after another; a busy machine slows them, it must not fail them.
    },
    Math.max(900_000, seeds.length * 5_000),
  );
});
