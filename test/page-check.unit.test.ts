// What one page sends to the database: one position per run id (the last copy), the risky-escape fallback.
import { describe, expect, it } from "vitest";
import { checkPage } from "../src/sync/page-commit.js";

const run = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  approvalFlowId: "223e4567-e89b-12d3-a456-426614174000",
  status: "pending",
  tags: [],
  results: [],
  createdAt: "2025-07-10T03:10:22.747Z",
  updatedAt: "2025-07-10T03:10:22.747Z",
  ...extra,
});
const A = "123e4567-e89b-12d3-a456-426614174001";
const B = "123e4567-e89b-12d3-a456-426614174002";

describe("checkPage", () => {
  it("keeps the last copy of a run listed twice, and sends the API's own text", () => {
    const records = [run(A, { activeStep: 1 }), run(B), run(A, { activeStep: 2 })];
    const text = JSON.stringify({ results: records, nextPageToken: "t" });
    const page = checkPage(records, text);
    expect(page.positions).toEqual([2, 3]);
    expect(page.source).toBe(text);
    expect(page.hasExtra).toBe(false);
    expect(page.seen).toBe(3);
  });

  it("a run valid and invalid on the same page is written, not quarantined", () => {
    const records = [run(A, { status: "archived" }), run(A)];
    const page = checkPage(records, JSON.stringify({ results: records }));
    expect(page.positions).toEqual([2]);
    expect(page.rejects).toEqual([]);
  });

  it("a page with NUL or surrogate escapes sends only its storable runs, re-serialized", () => {
    const records = [run(A, { object: { note: "nul\u0000" } }), run(B, { brandNew: 1 })];
    const page = checkPage(records, JSON.stringify({ results: records }));
    expect(page.rejects.map((r) => r.runId)).toEqual([A]);
    expect(JSON.parse(page.source)).toEqual([records[1]]);
    expect(page.positions).toEqual([1]);
    expect(page.hasExtra).toBe(true);
  });
});
