// Public surface of the built-in fake Bird API (DESIGN §7, docs/fake-api-spec.md).
export { serveFakeApi, type ServeFakeOptions } from "./serve.js";
export { type ReplayApi, type ReplayOptions, startReplayApi } from "./replay.js";
export { DEFAULT_FAULTS, FaultsError, parseFaults } from "./faults.js";
export { type FakeBirdApi, type StartFakeOptions, startFakeBirdApi } from "./server.js";
export { FakeStore, FakeStoreError } from "./store.js";
export type {
  ApprovalFlow,
  ApprovalFlowStep,
  ApprovalRun,
  ApprovalRunDecision,
  ApprovalRunInvoker,
  ApprovalStepReviewer,
  ApprovalTag,
  FakeCounters,
  FakeOptions,
  Faults,
  JsonObject,
  JsonValue,
  LastPageToken,
  ListOrder,
  RunStatus,
} from "./types.js";
