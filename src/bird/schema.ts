// Payload schemas from the seed's OpenAPI (ApprovalRun, ApprovalRunInvoker, ApprovalStepReviewer)
// and Bird's published ApprovalFlow. A run that fails them is quarantined, never written.
import { createHash } from "node:crypto";
import { z } from "zod";
import { hasStorableYear, isRfc3339DateTime } from "./date-time.js";

// Bird ids are uuid-shaped; Postgres accepts any 8-4-4-4-12 hex, so we do not insist on an RFC variant.
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const uuid = z.string().regex(UUID_RE, "must be a uuid");
const dateTime = z
  .string()
  .refine(isRfc3339DateTime, "must be an RFC 3339 date-time")
  .refine(hasStorableYear, "year 0000 is legal RFC 3339 but PostgreSQL cannot store it");
// A JSON object, checked without copying it (object/previousObject can be large and are stored verbatim).
const jsonObject = z.custom<Record<string, unknown>>(
  (v) => v !== null && typeof v === "object" && !Array.isArray(v),
  "Invalid input: expected a JSON object",
);

// Any JSON number: one beyond a double's range parses to ±Infinity here, yet the numeric column holds it
// exactly (1e400); what PostgreSQL cannot hold (1e999999) it refuses, and the run is quarantined.
const jsonNumber = z.custom<number>((v) => typeof v === "number", "Invalid input: expected number");

const reviewer = z.strictObject({ type: z.enum(["user"]), id: uuid });
const invoker = z.strictObject({ type: z.enum(["user", "accesskey", "contact"]), id: uuid });
// Only validity matters (the database stores the API's own JSON text), so unknown keys are not copied.
const tag = z.object({ key: z.string(), value: z.string() });
const decision = z.object({
  reviewer: reviewer.optional(),
  userId: uuid.optional(),
  result: z.enum(["approved", "rejected"]),
  comment: z.string().optional(),
});

// Unknown top-level fields pass (and are kept in `extra`): a field Bird adds must not quarantine every run.
export const approvalRunSchema = z.object({
  id: uuid,
  approvalFlowId: uuid,
  // Optional fields may also come as null (stored as NULL, like an omitted field).
  organizationId: uuid.nullish(),
  workspaceId: uuid.nullish(),
  status: z.enum(["pending", "approved", "denied"]),
  activeStep: jsonNumber.nullish(),
  previousObject: jsonObject.nullish(),
  object: jsonObject.nullish(),
  invoker: invoker.nullable().optional(),
  tags: z.array(tag),
  results: z.array(decision),
  createdAt: dateTime,
  updatedAt: dateTime,
});
export type ApprovalRun = z.infer<typeof approvalRunSchema>;

export const approvalFlowSchema = z.looseObject({
  id: uuid,
  organizationId: z.string().nullish(),
  workspaceId: z.string().nullish(),
  ownerId: z.string().nullish(),
  name: z.string().nullish(),
  description: z.string().nullish(),
  objectType: z.string().nullish(),
  objectAction: z.string().nullish(),
  steps: z.array(z.unknown()).nullish(),
  tags: z.array(z.unknown()).nullish(),
  createdAt: dateTime.nullish(),
  updatedAt: dateTime.nullish(),
});
export type ApprovalFlow = z.infer<typeof approvalFlowSchema>;

/** The list envelope; records stay unknown here because each one is validated on its own. */
export const listPageSchema = z.looseObject({
  results: z.array(z.unknown(), { message: "`results` must be an array" }),
  nextPageToken: z.string().nullish(),
});

export interface Rejected {
  runId: string | null;
  fingerprint: string;
  reason: string;
  /** The record's own text, as Bird sent it. */
  payload: string;
}

/** A record that may be written: its id as the database keys it and as Bird sent it. */
export type Checked = { ok: true; id: string; apiId: string } | { ok: false; reject: Rejected };

/** jsonb cannot hold NUL characters or lone UTF-16 surrogates (checked on parsed values, escapes resolved). */
export function findUnstorable(value: unknown, path: string): string | undefined {
  if (typeof value === "string") {
    if (value.includes("\u0000")) return `${path} contains a NUL character, which PostgreSQL cannot store`;
    if (!value.isWellFormed()) return `${path} contains a lone UTF-16 surrogate, which PostgreSQL cannot store`;
    return undefined;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const bad = findUnstorable(value[i], `${path}[${i}]`);
      if (bad) return bad;
    }
  } else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      const bad = findUnstorable(k, `${path} key`) ?? findUnstorable(v, `${path}.${k}`);
      if (bad) return bad;
    }
  }
  return undefined;
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join(".") : "record"}: ${i.message}`)
    .join("; ");
}

/** The uuid a record claims, lower-cased, when it has one: quarantine and the seen set key on it. */
export function recordUuid(raw: unknown): string | undefined {
  const id = raw !== null && typeof raw === "object" ? (raw as { id?: unknown }).id : undefined;
  return typeof id === "string" && UUID_RE.test(id) ? id.toLowerCase() : undefined;
}

export function rejectOf(raw: unknown, text: string, reason: string, knownId?: string): Rejected {
  const rawId = knownId ?? (raw !== null && typeof raw === "object" ? (raw as { id?: unknown }).id : undefined);
  const runId = typeof rawId === "string" && rawId.length > 0 ? rawId.slice(0, 200) : null;
  const fingerprint = runId?.toLowerCase() ?? `sha256:${createHash("sha256").update(text).digest("hex")}`;
  return { runId, fingerprint, reason, payload: text };
}

/**
 * Validates one record from the API against the OpenAPI schema: its id when it may be written, or a
 * reject to quarantine. `checkStorable` is off when the text holds no escape that could decode to a NUL
 * or a surrogate. What else PostgreSQL refuses (float8 range, offsets, depth) the page write finds.
 * `text` gives the record's own text, asked for only when the record is rejected.
 */
export function checkRun(raw: unknown, text: () => string, checkStorable = true): Checked {
  const parsed = approvalRunSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, reject: rejectOf(raw, text(), describeIssues(parsed.error)) };
  const unstorable = checkStorable ? findUnstorable(raw, "record") : undefined;
  if (unstorable) return { ok: false, reject: rejectOf(raw, text(), unstorable) };
  return { ok: true, id: parsed.data.id.toLowerCase(), apiId: parsed.data.id };
}
