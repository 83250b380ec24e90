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

describe("simulation: the tables equal a hostile model upstream after every full pass", () => {
  let db: Database;
  let config: Config;

  beforeAll(async () => {
    const url = await freshDatabaseUrl();
    config = loadConfig({
      env: { DATABASE_URL: url, BIRD_ACCESS_KEY: "sim", BIRD_ORGANIZATION_ID: "sim", LOG_LEVEL: "silent" },
      cwd: "/nonexistent",
      requireBird: true,
    });
    db = await openDatabase(config, pino({ level: "silent" }), { poolSize: 8 });
  });
  afterAll(async () => {
    await db?.close();
  });

  it(
    `holds on ${seeds.length} seed(s)${replay ? " (replay)" : ""}`,
    async () => {
      let requests = 0;
      for (const [i, seed] of seeds.entries()) {
        if (i > 0 && i % 250 === 0) process.stderr.write(`simulation: ${i} of ${seeds.length} seeds held\n`);
        try {
          requests += (await simulate({ seed, db, config })).requests;
        } catch (err) {
          const replayLine = `replay: npm run test:sim -- --seed ${seed}`;
          if (err instanceof SimulationFailure) throw new Error(`seed ${seed} failed. ${replayLine}\n${err.message}`);
          throw new Error(`seed ${seed} crashed. ${replayLine}\n${(err as Error).stack}`);
        }
      }
      expect(requests).toBeGreaterThan(seeds.length);
      // Seeds run one after another; a busy machine slows them, it must not fail them.
    },
    Math.max(900_000, seeds.length * 5_000),
  );
});
