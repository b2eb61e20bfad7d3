import { describe, expect, it } from "vitest";
import { parseFlags } from "./flags.ts";
import { leaderElectionFlags, leaderElectionFromFlags, parseDuration } from "./leader-election-flags.ts";

describe("leader election flags", () => {
  it("parses Go durations", () => {
    expect(parseDuration("15s")).toBe(15_000);
    expect(parseDuration("1m30s")).toBe(90_000);
    expect(parseDuration("1.5s")).toBe(1_500);
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("0")).toBe(0);
    for (const bad of ["", "15", "s", "1x", "-1s"]) expect(() => parseDuration(bad)).toThrow(`time: invalid duration "${bad}"`);
  });

  it("defaults to kube-controller-manager's 15s / 10s / 2s in kube-system, off with --leader-elect=false", () => {
    expect(leaderElectionFromFlags(parseFlags(leaderElectionFlags, [], {}).values)).toEqual({
      leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, namespace: "kube-system",
    });
    expect(leaderElectionFromFlags(parseFlags(leaderElectionFlags, ["--leader-elect=false"], {}).values)).toBeUndefined();
    expect(leaderElectionFromFlags(parseFlags(leaderElectionFlags, ["--leader-elect-lease-duration", "30s"], {}).values)?.leaseDurationMs).toBe(30_000);
    expect(() => leaderElectionFromFlags(parseFlags(leaderElectionFlags, ["--leader-elect-retry-period=2"], {}).values)).toThrow(
      'invalid value "2" for flag --leader-elect-retry-period: time: invalid duration "2"',
    );
  });
});
