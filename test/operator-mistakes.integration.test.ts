// Issue 15 (3, 6): the mistakes a new operator makes are named, with the fix, through the built CLI.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliEnv, logLines, runCli } from "./helpers/cli.js";
import { freshDatabaseUrl } from "./helpers/db.js";
import { closedPort } from "./helpers/ports.js";

describe("misspelled settings", () => {
  let url: string;
  let dir: string;
  beforeAll(async () => {
    url = await freshDatabaseUrl();
    dir = mkdtempSync(join(tmpdir(), "bas-typo-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("an unknown variable with our prefix, in .env or the environment, is warned about with the closest name", async () => {
    writeFileSync(join(dir, ".env"), "DATABASE_ULR=postgres://nowhere/db\nSYNC_CONCURENCY=8\n");
    const r = await runCli(
      ["status", "--json"],
      cliEnv({ DATABASE_URL: url, BIRD_MAX_RSP: "0", HTTP_PROXY: "http://proxy:3128", NODE_ENV: "x" }),
      { cwd: dir },
    );
    expect(r.code).toBe(0);
    const warnings = logLines(r.stderr)
      .filter((l) => l.level === 40)
      .map((l) => l.msg);
    expect(warnings).toEqual(
      expect.arrayContaining([
        "unknown setting DATABASE_ULR in .env is ignored; did you mean DATABASE_URL?",
        "unknown setting SYNC_CONCURENCY in .env is ignored; did you mean SYNC_CONCURRENCY?",
        "unknown setting BIRD_MAX_RSP in the environment is ignored; did you mean BIRD_MAX_RPS?",
      ]),
    );
    // Other programs' variables are not ours to judge.
    expect(r.stderr).not.toMatch(/HTTP_PROXY|NODE_ENV/);
    expect(warnings).toHaveLength(3);
  });

  it("a misspelt DATABASE_URL in .env stops the run with exit 2 instead of syncing into an embedded database", async () => {
    const own = mkdtempSync(join(tmpdir(), "bas-typo-"));
    try {
      writeFileSync(join(own, ".env"), "DATABASE_ULR=postgres://db.example/bird\n");
      const env = cliEnv({ BIRD_API_URL: "http://127.0.0.1:9", BIRD_ACCESS_KEY: "k-1234567890", BIRD_ORGANIZATION_ID: "org" });
      for (const args of [["sync", "--no-progress"], ["status"]]) {
        const r = await runCli(args, env, { cwd: own });
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(/DATABASE_ULR in \.env is no setting; did you mean DATABASE_URL\? DATABASE_URL is not set/);
      }
      expect(existsSync(join(own, ".data"))).toBe(false);
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });

  it("a required variable that is missing next to its misspelling says which one was meant", async () => {
    const r = await runCli(["sync"], cliEnv({ DATABASE_URL: url, BIRD_ACESS_KEY: "k-1234567890", BIRD_ORGANIZATION_ID: "org" }), {
      cwd: dir,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/BIRD_ACCESS_KEY is required .*did you mean BIRD_ACCESS_KEY\?/);
    expect(r.stderr).toContain("BIRD_ACESS_KEY");
    expect(r.stderr).not.toContain("k-1234567890");
  });
});

describe("status and report without a database", () => {
  it("exit 2 saying what to do, and create no embedded database", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bas-nodb-"));
    try {
      for (const args of [["status"], ["status", "--json"], ["report", "summary"]]) {
        const r = await runCli(args, cliEnv({}), { cwd: dir });
        expect(r.code).toBe(2);
        expect(r.stdout).toBe("");
        expect(r.stderr).toMatch(
          /^approvals-sync (status|report): no database yet: DATABASE_URL is not set and there is no embedded database at .*\.data\/pglite — set DATABASE_URL/,
        );
      }
      expect(existsSync(join(dir, ".data"))).toBe(false);
      // An empty folder where the database would be is not a database either, and stays empty.
      mkdirSync(join(dir, ".data", "pglite"), { recursive: true });
      expect((await runCli(["status"], cliEnv({}), { cwd: dir })).code).toBe(2);
      expect(readdirSync(join(dir, ".data", "pglite"))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("an embedded database folder that cannot be created", () => {
  it("exits 2 naming the folder and the two ways out", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bas-ro-"));
    try {
      writeFileSync(join(dir, "not-a-folder"), "");
      // `migrate` creates the embedded database (status and report never do).
      const r = await runCli(["migrate"], cliEnv({ PGLITE_DIR: join(dir, "not-a-folder", "pglite") }), { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /cannot create the embedded database folder .*not-a-folder\/pglite \(ENOTDIR\): set PGLITE_DIR to a writable folder, or DATABASE_URL/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("a BIRD_API_URL nothing answers at", () => {
  it("check and sync name the variable and the cause, exit 2, and never call it an auth error", async () => {
    const url = await freshDatabaseUrl();
    const port = await closedPort();
    const env = cliEnv({
      DATABASE_URL: url,
      BIRD_API_URL: `http://127.0.0.1:${port}`,
      BIRD_ACCESS_KEY: "k-1234567890",
      BIRD_ORGANIZATION_ID: "org",
    });
    const cannotReach = new RegExp(`cannot reach BIRD_API_URL=http://127\\.0\\.0\\.1:${port}: ECONNREFUSED`);
    const check = await runCli(["check"], env);
    expect(check.code).toBe(2);
    expect(check.stdout).toMatch(new RegExp(`\\[error\\] +${cannotReach.source}`));
    expect(check.stdout + check.stderr).not.toMatch(/auth/);
    const json = await runCli(["check", "--json"], env);
    const checks = (JSON.parse(json.stdout) as { checks: Array<{ id: string; status: string }> }).checks;
    expect(checks.find((c) => c.status === "error")?.id).toBe("api");

    const sync = await runCli(["sync", "--no-progress"], env);
    expect(sync.code).toBe(2);
    expect(sync.stderr).toMatch(cannotReach);
    // Three tries, not the whole retry budget (7).
    expect(sync.stderr).not.toMatch(/attempt 3 of 7/);
  });
});
