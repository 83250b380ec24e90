// One duration format everywhere people read one (issue 21): the status page, reports and log lines.
import { describe, expect, it } from "vitest";
import { formatDuration } from "../src/duration.js";

describe("formatDuration", () => {
  it.each([
    [0, "0ms"],
    [850, "850ms"],
    [59_400, "59s"],
    [59_600, "1m 00s"],
    [92_000, "1m 32s"],
    [4_500_000, "1h 15m"],
    [62_640_000, "17h 24m"],
    [86_400_000, "1d 00h"],
    [(3 * 86_400 + 5 * 3600 + 59) * 1000, "3d 05h"],
    [-30_000, "-30s"],
    [Number.NaN, "-"],
  ])("%d ms -> %s", (ms, text) => expect(formatDuration(ms)).toBe(text));
});
