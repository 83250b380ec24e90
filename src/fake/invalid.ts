// Raw records that break the ApprovalRun schema, one kind after another, mixed into a flow's listing
// so the worker's quarantine can be asserted. Each keeps the valid run it was made from, to be fixed later.
import type { ApprovalRun } from "./types.js";

export const INVALID_KINDS = ["badStatus", "badDate", "missingId", "nonUuidId", "wrongTypes", "badResult"] as const;
export type InvalidKind = (typeof INVALID_KINDS)[number];

export function invalidKindFor(ordinal: number): InvalidKind {
  return INVALID_KINDS[ordinal % INVALID_KINDS.length] as InvalidKind;
}

/**
 * Spreads the n-th invalid record of a flow over the listing (golden-ratio steps), independent of how many
 * there will be: a fraction in [0, 1) of the flow's current length.
 */
export function invalidPosition(ordinal: number): number {
  return (0.3 + ordinal * 0.6180339887) % 1;
}

/** `base` must be a decided run (it has results), so every kind has something to break. */
export function breakRun(base: ApprovalRun, kind: InvalidKind, label: string): Record<string, unknown> {
  const record: Record<string, unknown> = { ...base };
  switch (kind) {
    case "badStatus":
      record.status = "archived";
      break;
    case "badDate":
      record.createdAt = "not-a-date";
      break;
    case "missingId":
      delete record.id;
      break;
    case "nonUuidId":
      record.id = `run-${label}`;
      break;
    case "wrongTypes":
      record.activeStep = "two";
      record.tags = { key: "env", value: "prod" };
      break;
    case "badResult": {
      const results = base.results.length > 0 ? base.results : [{ result: "approved" as const }];
      record.results = results.map((r, i) => (i === 0 ? { ...r, result: "maybe" } : r));
      break;
    }
  }
  return record;
}
