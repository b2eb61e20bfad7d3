import { describe, expect, it } from "vitest";
import { prepareForCreate } from "./defaults.ts";
import { findResource } from "./registry.ts";
import { validateStatusUpdate } from "./validation-status.ts";

const RS = findResource("apps", "v1", "replicasets")!;
const RC = findResource("", "v1", "replicationcontrollers")!;
const DEPLOY = findResource("apps", "v1", "deployments")!;
const STS = findResource("apps", "v1", "statefulsets")!;
const DS = findResource("apps", "v1", "daemonsets")!;
const CM = findResource("", "v1", "configmaps")!;
const withStatus = (status: Record<string, unknown>) => ({ metadata: { name: "x" }, status });
const messages = (cs: { field: string; message: string }[]) => cs.map((c) => `${c.field}: ${c.message}`);

describe("workload status validation (writes to /status)", () => {
  it("ReplicaSets and ReplicationControllers start with replicas 0, which always serialises", () => {
    for (const info of [RS, RC]) {
      const obj: Record<string, unknown> = { metadata: { name: "x" }, status: { replicas: 5 } };
      prepareForCreate(info, obj);
      expect(obj["status"]).toEqual({ replicas: 0 });
    }
  });

  it("accepts a consistent status", () => {
    const ok = { replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 2, availableReplicas: 1, observedGeneration: 4 };
    expect(validateStatusUpdate(RS, withStatus(ok), withStatus({}))).toEqual([]);
    expect(validateStatusUpdate(RC, withStatus(ok), withStatus({}))).toEqual([]);
    expect(validateStatusUpdate(RS, withStatus({}), withStatus({}))).toEqual([]);
  });

  it("rejects negative counts and counts over replicas or readyReplicas, as kube words them", () => {
    const bad = { replicas: 1, fullyLabeledReplicas: -1, readyReplicas: 3, availableReplicas: 2, observedGeneration: -2 };
    const expected = [
      "status.fullyLabeledReplicas: Invalid value: -1: must be greater than or equal to 0",
      "status.observedGeneration: Invalid value: -2: must be greater than or equal to 0",
      "status.readyReplicas: Invalid value: 3: cannot be greater than status.replicas",
      "status.availableReplicas: Invalid value: 2: cannot be greater than status.replicas",
    ];
    expect(messages(validateStatusUpdate(RS, withStatus(bad), withStatus({})))).toEqual(expected);
    expect(messages(validateStatusUpdate(RC, withStatus(bad), withStatus({})))).toEqual(expected);
    expect(messages(validateStatusUpdate(RS, withStatus({ replicas: 3, readyReplicas: 1, availableReplicas: 2 }), withStatus({})))).toEqual([
      "status.availableReplicas: Invalid value: 2: cannot be greater than readyReplicas",
    ]);
  });

  it("checks Deployment counts and never lets collisionCount go down", () => {
    expect(messages(validateStatusUpdate(DEPLOY, withStatus({ replicas: 2, updatedReplicas: 3, unavailableReplicas: -1 }), withStatus({})))).toEqual([
      "status.unavailableReplicas: Invalid value: -1: must be greater than or equal to 0",
      "status.updatedReplicas: Invalid value: 3: cannot be greater than status.replicas",
    ]);
    expect(messages(validateStatusUpdate(DEPLOY, withStatus({ collisionCount: 1 }), withStatus({ collisionCount: 2 })))).toEqual([
      "status.collisionCount: Invalid value: 1: cannot be decremented",
    ]);
    expect(messages(validateStatusUpdate(DEPLOY, withStatus({}), withStatus({ collisionCount: 2 })))).toEqual([
      "status.collisionCount: Invalid value: 0: cannot be decremented",
    ]);
    expect(validateStatusUpdate(DEPLOY, withStatus({ collisionCount: 3 }), withStatus({ collisionCount: 2 }))).toEqual([]);
  });

  it("checks StatefulSet counts (availableReplicas over readyReplicas worded with status.) and its collisionCount", () => {
    expect(validateStatusUpdate(STS, withStatus({ replicas: 3, readyReplicas: 3, currentReplicas: 3, updatedReplicas: 3, availableReplicas: 3 }), withStatus({}))).toEqual([]);
    expect(messages(validateStatusUpdate(STS, withStatus({ replicas: 2, currentReplicas: -1, readyReplicas: 1, availableReplicas: 3 }), withStatus({})))).toEqual([
      "status.currentReplicas: Invalid value: -1: must be greater than or equal to 0",
      "status.availableReplicas: Invalid value: 3: cannot be greater than status.replicas",
      "status.availableReplicas: Invalid value: 3: cannot be greater than status.readyReplicas",
    ]);
    expect(messages(validateStatusUpdate(STS, withStatus({ collisionCount: 0 }), withStatus({ collisionCount: 1 })))).toEqual([
      "status.collisionCount: Invalid value: 0: cannot be decremented",
    ]);
  });

  it("checks only the signs of DaemonSet counts, and its collisionCount", () => {
    expect(validateStatusUpdate(DS, withStatus({ desiredNumberScheduled: 1, numberReady: 5, numberAvailable: 9 }), withStatus({}))).toEqual([]);
    expect(messages(validateStatusUpdate(DS, withStatus({ numberMisscheduled: -1, numberUnavailable: -2 }), withStatus({ collisionCount: 4 })))).toEqual([
      "status.numberMisscheduled: Invalid value: -1: must be greater than or equal to 0",
      "status.numberUnavailable: Invalid value: -2: must be greater than or equal to 0",
      "status.collisionCount: Invalid value: 0: cannot be decremented",
    ]);
  });

  it("leaves other kinds alone", () => {
    expect(validateStatusUpdate(CM, withStatus({ replicas: -1 }), withStatus({}))).toEqual([]);
  });
});
