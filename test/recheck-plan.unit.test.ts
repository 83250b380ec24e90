// The re-check planner alone (issue 13): budget order, and the cheapest route per due run.
import { describe, expect, it } from "vitest";
import type { DueRun } from "../src/db/runs.js";
import { planRecheck } from "../src/sync/recheck-plan.js";
import { instantUs } from "../src/bird/date-time.js";

const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();
const run = (minute: number, overdueSeconds = 1): DueRun => ({
  id: `r${minute}`,
  apiId: `R${minute}`,
  createdAt: at(minute),
  overdueSeconds,
});
const base = { allowance: Infinity, coveredFrom: Date.parse(at(1000)), reachedEnd: false, storedPages: [] };

describe("planRecheck", () => {
  it("takes the most overdue first within the allowance and leaves the rest as debt", async () => {
    const due = [run(5, 30), run(6, 20), run(7, 10)];
    const plan = await planRecheck({ ...base, due, allowance: 2.9, pagesDownTo: async () => 99 });
    expect(plan.runs.map((r) => r.id)).toEqual(["r5", "r6"]);
    expect(plan.debt).toBe(1);
  });

  it("lists on from where the listing stopped only when that takes fewer requests than GETs", async () => {
    const due = [run(5), run(6), run(7)];
    expect((await planRecheck({ ...base, due, pagesDownTo: async () => 2 })).relistDownTo).toBe(instantUs(at(5)));
    expect((await planRecheck({ ...base, due, pagesDownTo: async () => 3 })).relistDownTo).toBeUndefined();
  });

  it("re-lists a stored page holding two or more due runs, and GETs a lone one", async () => {
    const due = [run(5), run(6), run(50)];
    const page = (from: number, to: number) => ({
      token: `t${from}`,
      reverse: false,
      oldestUs: instantUs(at(from)),
      newestUs: instantUs(at(to)),
    });
    const plan = await planRecheck({ ...base, due, pagesDownTo: async () => 99, storedPages: [page(0, 9), page(10, 60)] });
    expect(plan.tokenPages.map((p) => p.token)).toEqual(["t0"]);
  });

  it("plans nothing below a listing that reached its end", async () => {
    const plan = await planRecheck({ ...base, due: [run(5), run(6)], reachedEnd: true, pagesDownTo: async () => 0 });
    expect(plan).toMatchObject({ relistDownTo: undefined, tokenPages: [], debt: 0 });
  });
});
