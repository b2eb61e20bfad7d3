import { describe, expect, it } from "vitest";
import { toScale } from "./scale.ts";

describe("toScale (the autoscaling/v1 Scale view)", () => {
  const metadata = { name: "web", namespace: "ns", uid: "u", resourceVersion: "7" };
  it("prints a LabelSelector as a selector string", () => {
    const rs = { apiVersion: "apps/v1", kind: "ReplicaSet", metadata, spec: { replicas: 2, selector: { matchLabels: { app: "web" }, matchExpressions: [{ key: "tier", operator: "In", values: ["a", "b"] }] } }, status: { replicas: 1 } };
    expect(toScale(rs)).toMatchObject({ kind: "Scale", apiVersion: "autoscaling/v1", spec: { replicas: 2 }, status: { replicas: 1, selector: "app=web,tier in (a,b)" } });
  });
  it("prints a ReplicationController's selector map as labels.SelectorFromSet does (sorted k=v)", () => {
    const rc = { apiVersion: "v1", kind: "ReplicationController", metadata, spec: { replicas: 3, selector: { tier: "front", app: "web" } }, status: { replicas: 3 } };
    expect(toScale(rc)).toMatchObject({ spec: { replicas: 3 }, status: { replicas: 3, selector: "app=web,tier=front" }, metadata: { name: "web", resourceVersion: "7" } });
  });
});
