// Which records are written and which are quarantined, with a reason that says why.
import { describe, expect, it } from "vitest";
import { checkRun as checkRunText } from "../src/bird/schema.js";

/** The product checks a record together with its own text. */
const checkRun = (raw: unknown) => checkRunText(raw, () => JSON.stringify(raw));
import { parseRetryAfter } from "../src/bird/retry-after.js";

const good = {
  id: "123e4567-e89b-12d3-a456-426614174000",
  approvalFlowId: "223e4567-e89b-12d3-a456-426614174000",
  status: "approved",
  tags: [{ key: "k", value: "v" }],
  results: [
    {
      reviewer: { type: "user", id: "323e4567-e89b-12d3-a456-426614174000" },
      userId: "323e4567-e89b-12d3-a456-426614174000",
      result: "approved",
    },
  ],
  createdAt: "2025-07-10T03:10:22.747Z",
  updatedAt: "2025-07-10T03:10:22.747Z",
};

const reasonOf = (raw: unknown) => {
  const c = checkRun(raw);
  if (c.ok) throw new Error("expected a reject");
  return c.reject;
};

describe("checkRun", () => {
  it("accepts a valid run with a null invoker, nulls for optional fields and unknown fields", () => {
    const c = checkRun({ ...good, id: good.id.toUpperCase(), invoker: null, object: null, activeStep: null, brandNew: { x: 1 } });
    expect(c).toEqual({ ok: true, id: good.id, apiId: good.id.toUpperCase() });
  });

  it.each([
    "2025-07-10T03:10:22.7470001Z",
    "2025-07-10T03:10:22.74700012z",
    "2025-07-10 03:10:22.123999600Z",
    "2025-07-10T03:10:22.999999999+23:59",
  ])("accepts createdAt %s (7-9 fraction digits: PostgreSQL stores the microsecond)", (createdAt) => {
    expect(checkRun({ ...good, createdAt, updatedAt: createdAt })).toMatchObject({ ok: true });
  });

  it.each([
    [{ ...good, status: "archived" }, /status/],
    [{ ...good, createdAt: "not-a-date" }, /createdAt: must be an RFC 3339 date-time$/],
    [{ ...good, createdAt: "2025-02-30T00:00:00Z" }, /createdAt: must be an RFC 3339 date-time$/],
    [{ ...good, id: "run-123" }, /id: must be a uuid/],
    [{ ...good, activeStep: "two" }, /activeStep/],
    [{ ...good, tags: "x" }, /tags/],
    [{ ...good, results: [{ result: "maybe" }] }, /results\.0\.result/],
    [{ ...good, invoker: { type: "robot", id: good.id } }, /invoker\.type/],
    [{ ...good, object: { note: "nul\u0000byte" } }, /NUL character/],
    [{ ...good, object: { note: "lone \ud800 surrogate" } }, /lone UTF-16 surrogate/],
  ])("quarantines %j", (raw, reason) => {
    expect(reasonOf(raw).reason).toMatch(reason);
  });

  it("fingerprints records without an id by their payload, so a re-seen one updates in place", () => {
    const { id: _id, ...noId } = good;
    const a = reasonOf(noId);
    const b = reasonOf({ ...noId });
    expect(a.runId).toBeNull();
    expect(a.fingerprint).toMatch(/^sha256:/);
    expect(b.fingerprint).toBe(a.fingerprint);
    expect(reasonOf({ ...good, status: "x" }).fingerprint).toBe(good.id);
  });
});

describe("parseRetryAfter", () => {
  it("reads delta-seconds and HTTP dates", () => {
    expect(parseRetryAfter("1")).toBe(1000);
    expect(parseRetryAfter("0.5")).toBe(500);
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:03 GMT", now)).toBe(4000);
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});
