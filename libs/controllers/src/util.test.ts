import { describe, expect, it } from "vitest";
import { Expectations } from "./expectations.ts";
import { canonicalJson, jsonEqual, type Obj, rankPodsForDeletion, slowStartBatch } from "./util.ts";

const pod = (name: string, o: { node?: string; phase?: string; ready?: boolean; created?: string; restarts?: number } = {}): Obj =>
  ({
    metadata: { name, uid: name, creationTimestamp: o.created ?? "2024-01-01T00:00:00Z" },
    spec: o.node ? { nodeName: o.node } : {},
    status: {
      phase: o.phase ?? "Pending",
      conditions: [{ type: "Ready", status: o.ready ? "True" : "False", lastTransitionTime: "2024-01-01T00:00:10Z" }],
      containerStatuses: [{ restartCount: o.restarts ?? 0 }],
    },
  }) as unknown as Obj;

describe("deletion ranking", () => {
  it("unscheduled < pending < not ready < ready, then newest first", () => {
    const pods = [
      pod("ready-old", { node: "n1", phase: "Running", ready: true, created: "2024-01-01T00:00:00Z" }),
      pod("ready-new", { node: "n2", phase: "Running", ready: true, created: "2024-01-02T00:00:00Z" }),
      pod("notready", { node: "n3", phase: "Running" }),
      pod("pending", { node: "n4", phase: "Pending" }),
      pod("unscheduled"),
    ];
    expect(rankPodsForDeletion(pods).map((p) => p.metadata.name)).toEqual(["unscheduled", "pending", "notready", "ready-new", "ready-old"]);
  });
  it("prefers doubled-up nodes and more restarts", () => {
    const pods = [pod("alone", { node: "a", phase: "Running" }), pod("twin1", { node: "b", phase: "Running" }), pod("twin2", { node: "b", phase: "Running", restarts: 3 })];
    expect(rankPodsForDeletion(pods).map((p) => p.metadata.name)).toEqual(["twin2", "twin1", "alone"]);
  });
});

describe("helpers", () => {
  it("slowStartBatch runs 1, 2, 4, ... and stops at the first failing batch", async () => {
    let calls = 0;
    expect(await slowStartBatch(10, 1, async () => void calls++)).toEqual({ successes: 10 });
    expect(calls).toBe(10);
    let n = 0;
    const r = await slowStartBatch(10, 1, async () => {
      if (++n > 2) throw new Error("quota");
    });
    expect(r).toMatchObject({ successes: 2 }); // batch 1: ok; batch 2: one ok, one fails; no batch 3
    expect(n).toBe(3);
  });
  it("jsonEqual and canonicalJson ignore key order", () => {
    expect(jsonEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 2 })).toBe(false);
    expect(canonicalJson({ b: 1, a: 2 })).toBe('{"a":2,"b":1}');
  });
  it("expectations are satisfied once every create and delete was observed", () => {
    const e = new Expectations();
    expect(e.satisfied("ns/rs")).toBe(true);
    e.expectCreations("ns/rs", 2);
    e.creationObserved("ns/rs");
    expect(e.satisfied("ns/rs")).toBe(false);
    e.creationObserved("ns/rs");
    expect(e.satisfied("ns/rs")).toBe(true);
    e.expectDeletions("ns/rs", ["ns/a"]);
    e.deletionObserved("ns/rs", "ns/b");
    expect(e.satisfied("ns/rs")).toBe(false);
    e.deletionObserved("ns/rs", "ns/a");
    expect(e.satisfied("ns/rs")).toBe(true);
  });
});
