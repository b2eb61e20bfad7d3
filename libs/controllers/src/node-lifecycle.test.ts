import { describe, expect, it } from "vitest";
import {
  evictionDelayMs, markConditionsUnknown, reconcileTaints, TAINT_NODE_NOT_READY as NR, TAINT_NODE_UNREACHABLE as UR, toleratesTaint,
} from "./node-lifecycle.ts";

const unreachable = { key: UR, effect: "NoExecute", timeAdded: "2024-01-01T00:00:00Z" };
const t0 = Date.parse(unreachable.timeAdded);
const added = () => t0;

describe("toleratesTaint", () => {
  it("matches like v1.Toleration.ToleratesTaint", () => {
    expect(toleratesTaint({ operator: "Exists" }, unreachable)).toBe(true);
    expect(toleratesTaint({ key: UR, operator: "Exists", effect: "NoExecute" }, unreachable)).toBe(true);
    expect(toleratesTaint({ key: UR, operator: "Exists", effect: "NoSchedule" }, unreachable)).toBe(false);
    expect(toleratesTaint({ key: NR, operator: "Exists" }, unreachable)).toBe(false);
    expect(toleratesTaint({ key: "k", value: "v" }, { key: "k", value: "v", effect: "NoExecute" })).toBe(true);
    expect(toleratesTaint({ key: "k", operator: "Equal", value: "w" }, { key: "k", value: "v", effect: "NoExecute" })).toBe(false);
    expect(toleratesTaint({ operator: "Equal" }, unreachable)).toBe(false);
  });
});

describe("evictionDelayMs", () => {
  it("evicts untolerated pods at once, tolerated ones after tolerationSeconds, never when tolerated forever", () => {
    expect(evictionDelayMs([], [unreachable], t0, added)).toBe(0);
    expect(evictionDelayMs([], [{ key: "x", effect: "NoSchedule" }], t0, added)).toBeUndefined();
    expect(evictionDelayMs([{ key: UR, operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 }], [unreachable], t0 + 1000, added)).toBe(299_000);
    expect(evictionDelayMs([{ key: UR, operator: "Exists", effect: "NoExecute", tolerationSeconds: 1 }], [unreachable], t0 + 5000, added)).toBe(0);
    expect(evictionDelayMs([{ key: UR, operator: "Exists", tolerationSeconds: 0 }], [unreachable], t0, added)).toBe(0);
    expect(evictionDelayMs([{ operator: "Exists" }], [unreachable], t0, added)).toBeUndefined();
    // the shortest matching toleration wins
    expect(evictionDelayMs([{ operator: "Exists" }, { key: UR, operator: "Exists", tolerationSeconds: 10 }], [unreachable], t0, added)).toBe(10_000);
    // a second, untolerated NoExecute taint evicts at once
    expect(evictionDelayMs([{ key: UR, operator: "Exists" }], [unreachable, { key: "other", effect: "NoExecute" }], t0, added)).toBe(0);
  });
});

describe("reconcileTaints", () => {
  const at = "2024-01-01T00:01:00Z";
  it("adds the unreachable / not-ready taints, swaps them, removes them on Ready=True, keeps others", () => {
    const other = { key: "dedicated", value: "x", effect: "NoSchedule" };
    const unknown = reconcileTaints([other], "Unknown", at);
    expect(unknown).toEqual([other, { key: UR, effect: "NoSchedule" }, { key: UR, effect: "NoExecute", timeAdded: at }]);
    expect(reconcileTaints(unknown, "Unknown", "later")).toEqual(unknown);
    expect(reconcileTaints(unknown, "False", at)).toEqual([other, { key: NR, effect: "NoSchedule" }, { key: NR, effect: "NoExecute", timeAdded: at }]);
    expect(reconcileTaints(unknown, "True", at)).toEqual([other]);
    expect(reconcileTaints([], undefined, at).map((t) => t.key)).toEqual([UR, UR]);
  });
});

describe("markConditionsUnknown", () => {
  it("sets the kubelet conditions Unknown, keeps heartbeats and other conditions, fills missing ones", () => {
    const status = {
      conditions: [
        { type: "Ready", status: "True", reason: "KubeletReady", lastHeartbeatTime: "h", lastTransitionTime: "t" },
        { type: "NetworkUnavailable", status: "False" },
      ],
    };
    const out = markConditionsUnknown(status, "c", "now");
    expect(out.conditions[0]).toEqual({
      type: "Ready", status: "Unknown", reason: "NodeStatusUnknown", message: "Kubelet stopped posting node status.", lastHeartbeatTime: "h", lastTransitionTime: "now",
    });
    expect(out.conditions[1]).toEqual({ type: "NetworkUnavailable", status: "False" });
    expect(out.conditions.map((c) => `${c.type}=${c.status}`)).toEqual(["Ready=Unknown", "NetworkUnavailable=False", "MemoryPressure=Unknown", "DiskPressure=Unknown", "PIDPressure=Unknown"]);
    expect(out.conditions[2]).toMatchObject({ reason: "NodeStatusNeverUpdated", lastHeartbeatTime: "c" });
    expect(status.conditions[0]!.status).toBe("True"); // input untouched
    expect(markConditionsUnknown(out, "c", "later")).toEqual(out);
  });
});
