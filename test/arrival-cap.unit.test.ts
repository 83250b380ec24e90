// Issue 24: BIRD_MAX_RPS as the API counts it, by arrival. Requests do not reach the API the moment
// the gate lets them go: a busy event loop holds one before its socket write, a stalled path or server
// holds several and lets them in together. These tests run one process's gate on the fake clock against
// a modelled API whose path stalls now and then, with retries, and count arrivals over any sliding
// second (as the fake counts them): never more than the cap.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ARRIVAL_WINDOW_MS, ArrivalWindow } from "../src/bird/arrival-window.js";
import { RequestGate } from "../src/bird/request-gate.js";

// The gate sleeps with node:timers/promises, which fake timers do not reach: route it through the
// global setTimeout they do (as request-gate.unit does).
vi.mock("node:timers/promises", () => import("./helpers/fake-clock-sleep.js"));

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const after = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Most arrivals within any second [t, t + 1000), as the fake's counter (and a rate limit) sees them. */
const mostInAnySecond = (times: readonly number[]) => Math.max(0, ...times.map((t) => times.filter((u) => u >= t && u < t + 1000).length));

interface ModelledApi {
  /** When each request reached the API (fake clock, ms). */
  arrivals: number[];
  /** Answers 503, which the caller retries through the gate. */
  failed: number;
}

interface Traffic {
  streams: number;
  /** Demand stops at this instant (fake clock). */
  until: number;
  /** [from, to): the way to the API is stalled; a request that would arrive meanwhile arrives at `to`. */
  stalls?: ReadonlyArray<[number, number]>;
  /** Every n-th request is held 150 ms before its socket write (a busy event loop); 0 = none. */
  holdEvery?: number;
  /** ms on the way there, and back (plus the API's time). */
  way?: number;
  back?: number;
}

/**
 * `streams` callers, each sending a request again and again through `gate` until `until`; every fifth
 * arrival is answered 503, which the caller retries at once, through the gate, as the client does.
 */
function drive(gate: RequestGate, t: Traffic): Promise<ModelledApi> {
  const api: ModelledApi = { arrivals: [], failed: 0 };
  const { way = 1, back = 2, holdEvery = 0, stalls = [] } = t;
  let sent = 0;
  const oneRequest = async (): Promise<number> => {
    await gate.acquire();
    const grantedAt = Date.now();
    sent++;
    let arrival = grantedAt + way + (holdEvery > 0 && sent % holdEvery === 0 ? 150 : 0);
    for (const [from, to] of stalls) if (arrival >= from && arrival < to) arrival = to;
    await after(arrival - grantedAt);
    api.arrivals.push(Date.now());
    const status = api.arrivals.length % 5 === 0 ? 503 : 200;
    await after(back);
    if (status === 200) gate.recordLatency(Date.now() - grantedAt);
    gate.onAnswered(status);
    gate.release();
    return status;
  };
  const stream = async () => {
    while (Date.now() < t.until) {
      while ((await oneRequest()) === 503) api.failed++;
    }
  };
  return Promise.all(Array.from({ length: t.streams }, stream)).then(() => api);
}

describe("the cap as the API counts arrivals (one process)", () => {
  it("never lets more than the cap arrive within any second while the way to the API stalls, with retries", async () => {
    const gate = new RequestGate(20);
    const start = Date.now();
    const stalls = [1000, 2600, 4100, 5900, 7400].map((at, i): [number, number] => [start + at, start + at + 150 + 60 * i]);
    const run = drive(gate, { streams: 8, until: start + 9000, stalls, holdEvery: 7 });
    await vi.advanceTimersByTimeAsync(12_000);
    const api = await run;
    expect(api.failed).toBeGreaterThan(10); // retries went through the gate too
    expect(api.arrivals.length).toBeGreaterThan(140); // nine seconds near the cap: the cap was in use
    expect(mostInAnySecond(api.arrivals)).toBeLessThanOrEqual(20);
  });

  it("never lets more than the cap arrive within any second when some requests leave late (a busy event loop)", async () => {
    const gate = new RequestGate(20);
    const start = Date.now();
    const run = drive(gate, { streams: 8, until: start + 5000, holdEvery: 7 });
    await vi.advanceTimersByTimeAsync(7000);
    const api = await run;
    expect(mostInAnySecond(api.arrivals)).toBeLessThanOrEqual(20);
    expect(api.arrivals.length).toBeGreaterThanOrEqual(90); // 20 slots per 1,050 ms: 95 in five seconds
  });

  it("costs nothing when every round trip takes as long as the fastest, however long: the slots alone set the pace", async () => {
    const gate = new RequestGate(20);
    const start = Date.now();
    const run = drive(gate, { streams: 8, until: start + 5000, way: 150, back: 150 });
    await vi.advanceTimersByTimeAsync(7000);
    const api = await run;
    expect(mostInAnySecond(api.arrivals)).toBeLessThanOrEqual(20);
    // Counting each request until a second after its answer would allow 20 per 1.3 s: 77 in five seconds.
    expect(api.arrivals.length).toBeGreaterThanOrEqual(90);
  });
});

describe("ArrivalWindow", () => {
  it("counts a request as fast as the fastest for a second after its grant, a held one for as long as it was held more", () => {
    const w = new ArrivalWindow();
    for (const ms of [30, 10, 25]) w.roundTrip(ms);
    expect(w.fastestMs).toBe(10);
    w.requestEnded(110); // granted at 100, back after the fastest round trip
    w.requestEnded(400); // granted at 100, held 290 ms more on the way
    // The first may arrive until 100 + ARRIVAL_WINDOW_MS before a request sent then; the second until 390 + it.
    expect(w.mayArrive(100 + ARRIVAL_WINDOW_MS - 1, 2)).toBe(4);
    expect(w.nextRoomInMs(100 + ARRIVAL_WINDOW_MS - 1)).toBe(1);
    expect(w.mayArrive(100 + ARRIVAL_WINDOW_MS, 2)).toBe(3);
    expect(w.nextRoomInMs(100 + ARRIVAL_WINDOW_MS)).toBe(290);
    expect(w.mayArrive(390 + ARRIVAL_WINDOW_MS, 2)).toBe(2);
    // Only requests in flight count: room comes when one of them ends, not at a time.
    expect(w.nextRoomInMs(390 + ARRIVAL_WINDOW_MS)).toBeUndefined();
  });
});
