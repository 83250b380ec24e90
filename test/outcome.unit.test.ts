// One outcome model: how a command ended maps to its exit code in exactly one function, and database
// errors are classified by their code (SQLSTATE or errno), never by their message text.
import { describe, expect, it } from "vitest";
import { classifyPgError } from "../src/db/pg-errors.js";
import { AuthError, CommandError, ConfigError, DatabaseConnectionError, FlowNotFoundError } from "../src/errors.js";
import { emptyProgress } from "../src/model.js";
import { type FlowOutcome, type FlowResult, exitCodeOf, isFatalError } from "../src/sync/outcome.js";

const flow = (outcome: FlowOutcome): FlowResult => ({ flowId: "f", outcome, totals: emptyProgress(), durationMs: 0 });
const pgError = (code: string, message = "x") => Object.assign(new Error(message), { code });

describe("exitCodeOf", () => {
  it.each<[FlowOutcome[], number]>([
    [[], 0],
    [["completed", "completed"], 0],
    // Exactness rule 6: a flow another process holds was not synced by this run.
    [["completed", "skipped-leased"], 1],
    [["completed", "failed"], 1],
    [["missing"], 1],
    [["completed", "interrupted"], 1],
  ])("a cycle whose flows ended %j exits %i", (outcomes, code) => {
    expect(exitCodeOf({ flows: outcomes.map(flow) })).toBe(code);
  });

  it("a command that returned nothing exits 0", () => expect(exitCodeOf(undefined)).toBe(0));

  it.each<[string, unknown, number]>([
    ["config", new ConfigError("BIRD_ORGANIZATION_ID is required"), 2],
    ["auth", new AuthError("401"), 2],
    ["database connection", new DatabaseConnectionError("down"), 2],
    ["usage", new CommandError("report", "unknown report"), 2],
    ["flow not found", new FlowNotFoundError("404"), 1],
    ["an unknown error", new Error("boom"), 1],
    ["a refused connection (errno)", pgError("ECONNREFUSED"), 2],
    ["a wrong password (28P01)", pgError("28P01"), 2],
    ["a missing database (3D000)", pgError("3D000"), 2],
    ["a serialization failure (40001): retryable work, not a dead database", pgError("40001"), 1],
  ])("an error: %s → %i", (_, error, code) => {
    expect(exitCodeOf({ error })).toBe(code);
  });
});

describe("classifyPgError", () => {
  it("reads the code, not the message", () => {
    expect(classifyPgError(new Error("password authentication failed for user x"))).toBeUndefined();
    expect(classifyPgError(pgError("28P01", "anything"))).toBe("auth");
    expect(classifyPgError(pgError("42501"))).toBe("permission");
    expect(classifyPgError(pgError("57P03"))).toBe("server-unavailable");
  });

  it("follows causes and the errors of an AggregateError (every address of a host refused)", () => {
    expect(classifyPgError(new Error("wrapped", { cause: pgError("ENOTFOUND") }))).toBe("connection");
    const all = Object.assign(new AggregateError([pgError("ECONNREFUSED"), pgError("ECONNREFUSED")]), { code: undefined });
    expect(classifyPgError(all)).toBe("connection");
    expect(isFatalError(all)).toBe(true);
  });
});
