import { describe, expect, it } from "vitest";
import { humanDuration, parseTime, translateTimestampSince } from "./duration.ts";

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const DAY = 24 * H;

describe("humanDuration (duration.HumanDuration)", () => {
  const cases: [number, string][] = [
    // clock-skew tolerance: down to -1.999s is "0s", -2s is invalid
    [-2 * S, "<invalid>"],
    [-1999, "0s"],
    [-1 * S, "0s"],
    [0, "0s"],
    [999, "0s"],
    [S, "1s"],
    [59 * S, "59s"],
    [70 * S, "70s"],
    [119 * S, "119s"],
    [2 * M, "2m"],
    [190 * S, "3m10s"],
    [9 * M + 59 * S, "9m59s"],
    [10 * M, "10m"],
    [10 * M + 30 * S, "10m"],
    [70 * M, "70m"],
    [179 * M, "179m"],
    [3 * H, "3h"],
    [3 * H + 4 * M, "3h4m"],
    [7 * H + 59 * M, "7h59m"],
    [8 * H, "8h"],
    [47 * H, "47h"],
    [48 * H, "2d"],
    [49 * H, "2d1h"],
    [7 * DAY + 23 * H, "7d23h"],
    [8 * DAY + 2 * H, "8d"],
    [367 * DAY, "367d"],
    [729 * DAY, "729d"],
    [730 * DAY, "2y"],
    [365 * 2 * DAY + 25 * H, "2y1d"],
    [3 * 365 * DAY, "3y"],
    [3 * 365 * DAY + 10 * DAY, "3y10d"],
    [365 * 8 * DAY + 2 * H, "8y"],
    [10 * 365 * DAY + 100 * DAY, "10y"],
  ];
  it.each(cases)("%d ms → %s", (ms, want) => {
    expect(humanDuration(ms)).toBe(want);
  });
});

describe("translateTimestampSince", () => {
  const now = new Date("2024-06-01T12:00:00Z");
  it("is <unknown> for an absent, null, zero or unparsable timestamp", () => {
    expect(translateTimestampSince(undefined, now)).toBe("<unknown>");
    expect(translateTimestampSince(null, now)).toBe("<unknown>");
    expect(translateTimestampSince("0001-01-01T00:00:00Z", now)).toBe("<unknown>");
    expect(translateTimestampSince("not a time", now)).toBe("<unknown>");
  });
  it("formats the time since", () => {
    expect(translateTimestampSince("2024-06-01T11:55:00Z", now)).toBe("5m");
    expect(translateTimestampSince("2024-06-01T11:59:15Z", now)).toBe("45s");
    expect(translateTimestampSince("2024-05-30T12:00:00Z", now)).toBe("2d");
  });
  it("accepts MicroTime", () => {
    expect(parseTime("2024-06-01T11:55:00.123456Z")).toBe(Date.parse("2024-06-01T11:55:00.123Z"));
    expect(translateTimestampSince("2024-06-01T11:55:00.000000Z", now)).toBe("5m");
  });
});
