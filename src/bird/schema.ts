// Payload schemas from the seed's OpenAPI (ApprovalRun, ApprovalRunInvoker, ApprovalStepReviewer)
// and Bird's published ApprovalFlow. A run that fails them is quarantined, never written.
import { createHash } from "node:crypto";
import { z } from "zod";

// Bird ids are uuid-shaped; Postgres accepts any 8-4-4-4-12 hex, so we do not insist on an RFC variant.
const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, "must be a uuid");
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/;

/** Date.parse accepts 2025-02-30 (as March 2); PostgreSQL rejects it and would fail the whole page. */
function isRealDateTime(text: string): boolean {
  const m = DATE_TIME.exec(text);
  if (!m) return false;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const daysInMonth = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  return y >= 1 && mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth && h <= 23 && mi <= 59 && s <= 59;
}

const dateTime = z
  .string()
  .regex(DATE_TIME, { message: "must be an RFC 3339 date-time", abort: true })
  .refine(isRealDateTime, "must be a real calendar date-time");
const jsonObject = z.record(z.string(), z.unknown());

const reviewer = z.strictObject({ type: z.enum(["user"]), id: uuid });
const invoker = z.strictObject({ type: z.enum(["user", "accesskey", "contact"]), id: uuid });
const tag = z.looseObject({ key: z.string(), value: z.string() });
const decision = z.looseObject({
  reviewer: reviewer.optional(),
  userId: uuid.optional(),
  result: z.enum(["approved", "rejected"]),
  comment: z.string().optional(),
});

export const KNOWN_RUN_FIELDS = [
  "id",
  "approvalFlowId",
  "organizationId",
  "workspaceId",
  "status",
  "activeStep",
  "previousObject",
  "object",
  "invoker",
  "tags",
  "results",
  "createdAt",
  "updatedAt",
] as const;

// Unknown top-level fields pass (and are kept in `extra`): a field Bird adds must not quarantine every run.
export const approvalRunSchema = z.looseObject({
  id: uuid,
  approvalFlowId: uuid,
  organizationId: uuid.optional(),
  workspaceId: uuid.optional(),
  status: z.enum(["pending", "approved", "denied"]),
  activeStep: z.number().finite().optional(),
  previousObject: jsonObject.optional(),
  object: jsonObject.optional(),
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

/** A run row as the database stores it (DESIGN §4). */
export interface RunRow {
  id: string;
  approval_flow_id: string;
  organization_id: string | null;
  workspace_id: string | null;
  status: string;
  active_step: number | null;
  invoker_type: string | null;
  invoker_id: string | null;
  object: unknown;
  previous_object: unknown;
  tags: unknown;
  results: unknown;
  extra: Record<string, unknown> | null;
  created_at: string;
  updated_at: string;
}

export interface Rejected {
  runId: string | null;
  fingerprint: string;
  reason: string;
  payload: string;
}

export type Checked = { ok: true; row: RunRow } | { ok: false; reject: Rejected };

/** jsonb cannot hold NUL characters or lone UTF-16 surrogates: such a record would fail the whole page. */
function findUnstorable(value: unknown, path: string): string | undefined {
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

function rejectOf(raw: unknown, reason: string): Rejected {
  const payload = safeStringify(raw);
  const rawId = raw !== null && typeof raw === "object" ? (raw as { id?: unknown }).id : undefined;
  const runId = typeof rawId === "string" && rawId.length > 0 ? rawId.slice(0, 200) : null;
  const fingerprint = runId ?? `sha256:${createHash("sha256").update(payload).digest("hex")}`;
  return { runId, fingerprint, reason, payload };
}

function safeStringify(raw: unknown): string {
  try {
    return JSON.stringify(raw) ?? "null";
  } catch {
    return String(raw);
  }
}

/** Validates one record from the API: a row to write, or a reject to quarantine. */
export function checkRun(raw: unknown): Checked {
  const parsed = approvalRunSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, reject: rejectOf(raw, describeIssues(parsed.error)) };
  const unstorable = findUnstorable(raw, "record");
  if (unstorable) return { ok: false, reject: rejectOf(raw, unstorable) };
  const r = parsed.data;
  // jsonb values come from the raw record, not zod's copy: verbatim is the contract.
  const src = raw as Record<string, unknown>;
  let extra: Record<string, unknown> | null = null;
  for (const [k, v] of Object.entries(src)) {
    if ((KNOWN_RUN_FIELDS as readonly string[]).includes(k)) continue;
    (extra ??= {})[k] = v;
  }
  return {
    ok: true,
    row: {
      id: r.id.toLowerCase(),
      approval_flow_id: r.approvalFlowId.toLowerCase(),
      organization_id: r.organizationId ?? null,
      workspace_id: r.workspaceId ?? null,
      status: r.status,
      active_step: r.activeStep ?? null,
      invoker_type: r.invoker?.type ?? null,
      invoker_id: r.invoker?.id ?? null,
      object: src.object ?? null,
      previous_object: src.previousObject ?? null,
      tags: src.tags,
      results: src.results,
      extra,
      created_at: r.createdAt,
      updated_at: r.updatedAt,
    },
  };
}
