// Issue 24: `status`'s terse columns (cursor, debt, rechecked, pages/reqs, …) are explained by a
// legend under the table, after a blank line, so the table itself stays parseable by its rule line.
import { describe, expect, it } from "vitest";
import type { FlowStatus } from "../src/db/status.js";
import { formatStatusTable } from "../src/commands/status.js";

const flow: FlowStatus = {
  flowId: "0b6c2f9e-5a1d-4c3b-9e8f-1a2b3c4d5e6f",
  name: "Invoices",
  organizationId: null,
  missingSince: null,
  mode: "incremental",
  runs: 120,
  pending: 4,
  recheckDebt: 3,
  listOrder: "asc",
  deletedRuns: 0,
  rejects: 0,
  cursorHeld: true,
  leaseOwner: null,
  leaseExpiresAt: null,
  lastFullPassAt: null,
  lastIncrementalPassAt: null,
  lastSuccessAt: null,
  lagSeconds: 75,
  highWaterMark: null,
  reverseWorks: true,
  consecutiveFailures: 0,
  nextAttemptAt: null,
  lastError: null,
  lastPass: null,
};

describe("status table", () => {
  it("ends with a legend for the columns whose title cannot say what they mean", () => {
    const [table, legend] = formatStatusTable([flow]).split("\n\n");
    expect(table!.split("\n")[0]).toMatch(/^flow +mode +runs +pending +last pass +pages\/reqs +rechecked +debt +order +cursor +lease +lag/);
    expect(table!.split("\n")).toHaveLength(3);
    const explained = legend!
      .trimEnd()
      .split("\n")
      .map((l) => l.split(/\s{2,}/)[0]);
    expect(explained).toEqual(expect.arrayContaining(["cursor", "debt", "rechecked", "pages/reqs", "order", "lag"]));
    expect(legend).toMatch(/^debt +.*SYNC_MAX_REQUESTS_PER_HOUR/m);
    expect(legend).toMatch(/^cursor +yes: a pass is under way or will resume from its stored page token/m);
  });

  it("says there is nothing yet, without a legend, when no flow was synced", () => {
    expect(formatStatusTable([])).toBe("No flows synced yet. Run `approvals-sync sync` first.\n");
  });
});
