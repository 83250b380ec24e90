// What a running fake Bird API offers its caller and its control routes (/_fake/...).
import type { FakeStore } from "./store.js";
import type { FakeCounters, FakeOptions, Faults } from "./types.js";

export interface FakeBirdApi {
  /** e.g. http://127.0.0.1:43123 (BIRD_API_URL) */
  url: string;
  port: number;
  organizationId: string;
  accessKey: string;
  store: FakeStore;
  counters: FakeCounters;
  /** Replaces the listed keys, keeps the others. */
  setFaults(f: Partial<Faults>): void;
  currentFaults(): Faults;
  setOptions(o: Partial<Pick<FakeOptions, "order" | "lastPageToken" | "ignoreReverse">>): void;
  resetCounters(): void;
  /** Closes the server and every open (keep-alive) socket. */
  close(): Promise<void>;
}
