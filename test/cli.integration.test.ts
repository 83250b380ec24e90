// Issue 9 (6) and issue 7: the command line as users meet it — help, usage errors, bad settings.
import { describe, expect, it } from "vitest";
import { cliEnv, runCli } from "./helpers/cli.js";

const env = cliEnv({
  BIRD_ACCESS_KEY: "k-123456789",
  BIRD_ORGANIZATION_ID: "org",
  DATABASE_URL: "postgres://postgres@127.0.0.1:5432/postgres",
});

describe("approvals-sync command line", () => {
  it.each([
    "",
    "migrate",
    "sync",
    "backfill",
    "status",
    "reset",
    "forget",
    "fake-api",
    "demo",
    "report",
    "daemon",
    "check",
    "ui",
  ])("`%s --help` prints usage with an example and exits 0", async (cmd) => {
    const r = await runCli([...(cmd ? [cmd] : []), "--help"], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Usage: approvals-sync${cmd ? ` ${cmd}` : ""}`);
    expect(r.stdout).toMatch(/Example/);
  });

  it("an unknown command exits 2 with usage", async () => {
    const r = await runCli(["frobnicate"], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'frobnicate'/);
    expect(r.stderr).toMatch(/--help/);
  });

  it("an unknown flag exits 2 with usage", async () => {
    const r = await runCli(["sync", "--fulll"], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--fulll'/);
  });

  it("no command exits 2 and lists the commands", async () => {
    const r = await runCli([], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Commands:/);
  });

  it.each([
    ["SYNC_PAGE_SIZE", "500", /SYNC_PAGE_SIZE must be an integer 1\.\.100 \(got "500"\)/],
    ["SYNC_SCHEDULE", "soon", /SYNC_SCHEDULE must be a cron expression/],
    ["BIRD_API_URL", "ftp://x", /BIRD_API_URL must be an http\(s\) URL/],
    ["HTTP_TIMEOUT_MS", "0", /HTTP_TIMEOUT_MS must be an integer/],
  ])("%s=%s exits 2 naming the variable before touching anything", async (name, value, message) => {
    const r = await runCli(["sync"], { ...env, [name]: value });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it("a missing access key exits 2 naming it; a bad key value is never echoed", async () => {
    const r = await runCli(["sync"], { ...env, BIRD_ACCESS_KEY: "" });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/BIRD_ACCESS_KEY is required/);
  });

  it("fake-api rejects a bad --runs value with exit 2", async () => {
    const r = await runCli(["fake-api", "--runs", "many"], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--runs/);
  });
});
