// Every variable of DESIGN §3 is validated: a bad value names the variable and the accepted form.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDuration } from "../src/config-forms.js";
import { loadConfig } from "../src/config.js";
import { ConfigError } from "../src/errors.js";

const base = { BIRD_ACCESS_KEY: "key-1234567890", BIRD_ORGANIZATION_ID: "org-1" };
const load = (env: Record<string, string>, requireBird = true) =>
  loadConfig({ env: { ...base, ...env }, requireBird, cwd: "/nonexistent" });

function errorOf(env: Record<string, string>, requireBird = true): string {
  try {
    load(env, requireBird);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).exitCode).toBe(2);
    return (err as Error).message;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("applies the documented defaults", () => {
    const c = load({});
    expect(c).toMatchObject({
      databaseUrl: undefined,
      apiUrl: "https://api.bird.com",
      pageSize: 100,
      concurrency: 4,
      schedule: "*/5 * * * *",
      fullEveryMs: 86_400_000,
      autoMigrate: true,
      maxRps: 50,
      httpTimeoutMs: 30_000,
      maxRetries: 6,
      metricsPort: 9464,
      metricsHost: "0.0.0.0",
      statusAuth: undefined,
      logLevel: "info",
      approvalIds: undefined,
    });
  });

  it.each([
    ["SYNC_PAGE_SIZE", "0", /SYNC_PAGE_SIZE must be an integer 1\.\.100/],
    ["SYNC_PAGE_SIZE", "101", /SYNC_PAGE_SIZE must be an integer 1\.\.100/],
    ["SYNC_PAGE_SIZE", "ten", /SYNC_PAGE_SIZE must be an integer 1\.\.100/],
    ["SYNC_CONCURRENCY", "0", /SYNC_CONCURRENCY must be an integer/],
    ["SYNC_SCHEDULE", "every minute", /SYNC_SCHEDULE must be a cron expression/],
    ["SYNC_SCHEDULE", "* * * *", /SYNC_SCHEDULE must be a cron expression/],
    ["SYNC_FULL_EVERY", "daily", /SYNC_FULL_EVERY must be a duration like 90s/],
    ["SYNC_AUTO_MIGRATE", "maybe", /SYNC_AUTO_MIGRATE must be true or false/],
    ["BIRD_MAX_RPS", "-1", /BIRD_MAX_RPS must be an integer >= 0/],
    ["HTTP_TIMEOUT_MS", "fast", /HTTP_TIMEOUT_MS must be an integer 100\.\.600000/],
    ["SYNC_MAX_RETRIES", "x", /SYNC_MAX_RETRIES must be an integer 0\.\.100/],
    ["METRICS_PORT", "70000", /METRICS_PORT must be an integer 0\.\.65535/],
    ["LOG_LEVEL", "loud", /LOG_LEVEL must be one of/],
    ["LOG_FORMAT", "xml", /LOG_FORMAT must be pretty or json/],
    ["BIRD_API_URL", "api.bird.com", /BIRD_API_URL must be an http\(s\) URL/],
    ["BIRD_APPROVAL_IDS", "abc,def", /BIRD_APPROVAL_IDS must be comma-separated uuids/],
    ["DATABASE_URL", "mysql://x", /DATABASE_URL must be a postgres:\/\//],
    ["SYNC_LEASE_TTL", "forever", /SYNC_LEASE_TTL must be a duration/],
  ])("%s=%s is rejected with a message naming it", (name, value, message) => {
    expect(errorOf({ [name]: value })).toMatch(message);
  });

  it("names missing required variables, and never echoes a secret", () => {
    const msg = errorOf({ BIRD_ACCESS_KEY: "", BIRD_ORGANIZATION_ID: "" });
    expect(msg).toMatch(/BIRD_ACCESS_KEY is required/);
    expect(msg).toMatch(/BIRD_ORGANIZATION_ID is required/);
    const bad = errorOf({ DATABASE_URL: "postgresx://u:hunter2-secret@db/x", SYNC_PAGE_SIZE: "0" });
    expect(bad).toMatch(/DATABASE_URL must be a postgres/);
    expect(bad).not.toContain("hunter2-secret");
  });

  it("STATUS_AUTH is user:password, a secret: a bad one is named but never echoed; METRICS_HOST is validated", () => {
    expect(load({ STATUS_AUTH: "ops:pa:ss word" }).statusAuth).toEqual({ user: "ops", password: "pa:ss word" });
    for (const bad of ["no-colon-secret-x", ":only-password-x", "only-user-x:"]) {
      const msg = errorOf({ STATUS_AUTH: bad });
      expect(msg).toMatch(/STATUS_AUTH must be user:password/);
      expect(msg).not.toContain(bad);
    }
    expect(load({ METRICS_HOST: "127.0.0.1" }).metricsHost).toBe("127.0.0.1");
    expect(errorOf({ METRICS_HOST: "http://x/" })).toMatch(/METRICS_HOST must be an IP address or host name/);
  });

  it("lists every bad variable at once", () => {
    const msg = errorOf({ SYNC_PAGE_SIZE: "0", SYNC_CONCURRENCY: "-3", METRICS_PORT: "port" });
    expect(msg).toMatch(/SYNC_PAGE_SIZE/);
    expect(msg).toMatch(/SYNC_CONCURRENCY/);
    expect(msg).toMatch(/METRICS_PORT/);
  });

  it("accepts 6-field schedules, durations, and flag overrides over the environment", () => {
    const c = loadConfig({
      env: {
        ...base,
        SYNC_SCHEDULE: "*/2 * * * * *",
        SYNC_FULL_EVERY: "90m",
        BIRD_APPROVAL_IDS: "A1B2C3D4-0000-4000-8000-000000000001, a1b2c3d4-0000-4000-8000-000000000001",
      },
      overrides: { SYNC_PAGE_SIZE: "25" },
      cwd: "/nonexistent",
    });
    expect(c.schedule).toBe("*/2 * * * * *");
    expect(c.fullEveryMs).toBe(90 * 60_000);
    expect(c.pageSize).toBe(25);
    // Kept as written (requests use the spelling given), one per uuid.
    expect(c.approvalIds).toEqual(["A1B2C3D4-0000-4000-8000-000000000001"]);
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("7d")).toBe(7 * 86_400_000);
  });

  it("reads ./.env for what the environment lacks; the environment and flags win", () => {
    const dir = mkdtempSync(join(tmpdir(), "bas-env-"));
    try {
      writeFileSync(join(dir, ".env"), "SYNC_PAGE_SIZE=7\nSYNC_CONCURRENCY=3\nBIRD_ORGANIZATION_ID=from-dotenv\n");
      const c = loadConfig({
        env: { BIRD_ACCESS_KEY: "k-123456", SYNC_CONCURRENCY: "5" },
        overrides: { SYNC_PAGE_SIZE: "9" },
        cwd: dir,
        requireBird: true,
      });
      expect(c).toMatchObject({ pageSize: 9, concurrency: 5, organizationId: "from-dotenv" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a likely misspelling of a setting that decides where data goes stops the run when that setting is unset", () => {
    const dir = mkdtempSync(join(tmpdir(), "bas-env-"));
    try {
      writeFileSync(join(dir, ".env"), "DATABASE_ULR=postgres://db.example/bird\n");
      const fromDotEnv = () => loadConfig({ env: { ...base }, cwd: dir });
      expect(fromDotEnv).toThrow(ConfigError);
      expect(fromDotEnv).toThrow(
        /DATABASE_ULR in \.env is no setting; did you mean DATABASE_URL\? DATABASE_URL is not set, so this run would use the embedded database/,
      );
      // With the setting itself given, the data goes where it says: a warning is enough.
      const c = loadConfig({ env: { ...base, DATABASE_URL: "postgres://db.example/bird" }, cwd: dir });
      expect(c.unknownVariables.map((v) => [v.name, v.suggestion])).toEqual([["DATABASE_ULR", "DATABASE_URL"]]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(errorOf({ BIRD_API_ULR: "http://127.0.0.1:4010" })).toMatch(/BIRD_API_ULR in the environment .*did you mean BIRD_API_URL\?/);
    expect(errorOf({ BIRD_APROVAL_IDS: "0b6c2f9e-5a1d-4c3b-9e8f-1a2b3c4d5e6f" })).toMatch(/did you mean BIRD_APPROVAL_IDS\?/);
    // Too far for a typo, but PGLITE_ has one setting only: it can only have meant that one.
    expect(errorOf({ PGLITE_PATH: "/var/lib/bird" })).toMatch(/PGLITE_PATH in the environment is no setting; did you mean PGLITE_DIR\?/);
    // A misspelling of a setting that does not move data is still only a warning.
    expect(load({ SYNC_CONCURENCY: "8" }).unknownVariables.map((v) => v.suggestion)).toEqual(["SYNC_CONCURRENCY"]);
  });

  it("reports every configuration problem in one error: bad values, missing settings and misdirecting typos", () => {
    const msg = errorOf({ BIRD_ACCESS_KEY: "", SYNC_PAGE_SIZE: "0", DATABASE_ULR: "postgres://x/y" });
    const lines = msg.split("\n").slice(1);
    expect(lines).toHaveLength(3);
    expect(msg).toMatch(/SYNC_PAGE_SIZE must be an integer 1\.\.100/);
    expect(msg).toMatch(/BIRD_ACCESS_KEY is required/);
    expect(msg).toMatch(/DATABASE_ULR in the environment is no setting; did you mean DATABASE_URL\?/);
  });
});
