// Wire shapes served by the fake Bird API (seed OpenAPI for runs, Bird's published ApprovalFlow) and its options.
import type { ListOrder } from "../model.js";

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export type RunStatus = "pending" | "approved" | "denied";
export type DecisionResult = "approved" | "rejected";

export interface ApprovalStepReviewer {
  type: "user";
  id: string;
}

export interface ApprovalRunInvoker {
  type: "user" | "accesskey" | "contact";
  id: string;
}

export interface ApprovalTag {
  key: string;
  value: string;
}

export interface ApprovalRunDecision {
  reviewer?: ApprovalStepReviewer;
  /** Deprecated upstream; same as reviewer.id when present. */
  userId?: string;
  result: DecisionResult;
  comment?: string;
}

/**
 * One approval run exactly as the API sends it: omitted fields are absent keys, never null (except invoker).
 * A type alias, not an interface, so it is assignable to Record<string, unknown>.
 */
export type ApprovalRun = {
  id: string;
  approvalFlowId: string;
  organizationId?: string;
  workspaceId?: string;
  status: RunStatus;
  activeStep?: number;
  previousObject?: JsonObject;
  object?: JsonObject;
  invoker?: ApprovalRunInvoker | null;
  tags: ApprovalTag[];
  results: ApprovalRunDecision[];
  createdAt: string;
  updatedAt: string;
};

export interface ApprovalFlowStep {
  type: string;
  reviewers: ApprovalStepReviewer[];
  message: string;
}

export type ApprovalFlow = {
  id: string;
  organizationId: string;
  workspaceId: string;
  ownerId: string;
  name: string;
  description: string;
  objectType: string;
  objectAction: string;
  steps: ApprovalFlowStep[];
  tags: ApprovalTag[];
  createdAt: string;
  updatedAt: string;
};

export interface Faults {
  /** Probability per request (0..1) of a 429. */
  rate429: number;
  /**
   * A rate limit, as an API counts arrivals: a request arriving when this many already arrived within
   * the last second (sliding; 429'd ones count too) is answered 429 with Retry-After. 0 = no limit.
   */
  maxPerSecond: number;
  retryAfter: "seconds" | "http-date" | "none";
  retryAfterSeconds: number;
  /** 500/502/503 at random. */
  rate5xx: number;
  /** 200 with the full Content-Length but only half the body written, then the socket is destroyed. */
  rateTruncated: number;
  /** Socket destroyed before any response byte. */
  rateReset: number;
  /** 200 with an HTML body. */
  rateNotJson: number;
  /** 200 with {"items": []} or {"results": "x"} (list endpoints only; GET by id is served normally). */
  rateWrongShape: number;
  latencyMs: number;
  latencyJitterMs: number;
  /** 0 = tokens never expire; else an older token answers 400 InvalidPageToken. */
  tokenTtlMs: number;
  invalidRecordsPerFlow: number;
  emptyPageWithToken: boolean;
  repeatTokenFlowIds: string[];
  duplicateAcrossPages: boolean;
  failFlowIds: string[];
}

export type { ListOrder };
export type LastPageToken = "empty" | "absent" | "null";

export interface FakeOptions {
  flows?: number;
  runsPerFlow?: number;
  seed?: number;
  organizationId?: string;
  accessKey?: string;
  order?: ListOrder;
  /** Serve `reverse=true` like `reverse=false`, as an API that ignores the parameter would (`check` must notice). */
  ignoreReverse?: boolean;
  pendingFraction?: number;
  /** Of the older runs, this fraction stay pending (forgotten approvals). */
  olderPendingFraction?: number;
  /** Timestamps end a minute ago instead of starting on 2025-01-01. */
  endAtNow?: boolean;
  lastPageToken?: LastPageToken;
  maxLimit?: number;
  faults?: Partial<Faults>;
}

export interface FakeCounters {
  requests: number;
  byStatus: Record<string, number>;
  listRequests: number;
  getRequests: number;
  flowListRequests: number;
  /** `${flowId}|${reverse}|${pageToken ?? ""}` -> times that page was served with a 200. */
  pageFetches: Record<string, number>;
  refetchedPages: number;
  retryAfterViolations: number;
  maxInFlight: number;
  /** Most requests that arrived within any 1 s window (sliding). */
  maxPerSecond: number;
  maxInFlightPerFlow: Record<string, number>;
  authFailures: number;
  listRequestsPerFlow: Record<string, number>;
  getRequestsPerFlow: Record<string, number>;
  /** Injected faults by kind ("429", "rateLimit" (over maxPerSecond), "5xx", "truncated", "reset", "notJson", "wrongShape", "failFlow", "emptyPage", "repeatToken"). */
  faults: Record<string, number>;
}
