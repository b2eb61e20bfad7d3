import { describe, expect, it } from "vitest";
import { ordinalOf, planStatefulSet, statefulClaimsFor, statefulPodFor, statefulSetStatus, templateOfRevision } from "./statefulset-util.ts";
import type { Obj } from "./util.ts";

const T0 = Date.parse("2025-01-01T00:00:00Z");
const at = (s: number) => new Date(T0 + s * 1000).toISOString().replace(".000Z", "Z");

const set = (spec: Record<string, unknown> = {}): Obj =>
  ({
    metadata: { name: "web", namespace: "default", uid: "set-uid", generation: 1 },
    spec: {
      replicas: 3,
      serviceName: "web",
      podManagementPolicy: "OrderedReady",
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 0 } },
      selector: { matchLabels: { app: "web" } },
      template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "nginx" }] } },
      ...spec,
    },
  }) as Obj;

const pod = (name: string, revision: string, opts: { ready?: boolean; readySince?: number; phase?: string; deleting?: boolean } = {}): Obj =>
  ({
    metadata: { name, namespace: "default", uid: `uid-${name}`, labels: { app: "web", "controller-revision-hash": revision }, ...(opts.deleting ? { deletionTimestamp: at(1) } : {}) },
    status: { phase: opts.phase ?? "Running", conditions: opts.ready === false ? [] : [{ type: "Ready", status: "True", lastTransitionTime: at(opts.readySince ?? 0) }] },
  }) as Obj;

const describeSteps = (steps: ReturnType<typeof planStatefulSet>) =>
  steps.map((s) => (s.op === "create" ? `create ${s.ordinal}@${s.revision}` : `delete ${s.pod.metadata.name} (${s.reason})`));

describe("planStatefulSet", () => {
  it("OrderedReady creates one ordinal at a time, each after its predecessor is ready", () => {
    expect(describeSteps(planStatefulSet(set(), [], "r1", T0))).toEqual(["create 0@update"]);
    expect(describeSteps(planStatefulSet(set(), [pod("web-0", "r1", { ready: false })], "r1", T0))).toEqual([]);
    expect(describeSteps(planStatefulSet(set(), [pod("web-0", "r1")], "r1", T0))).toEqual(["create 1@update"]);
    // minReadySeconds: ready is not enough until it has lasted
    const slow = set({ minReadySeconds: 10 });
    expect(planStatefulSet(slow, [pod("web-0", "r1", { readySince: 0 })], "r1", T0 + 5000)).toEqual([]);
    expect(describeSteps(planStatefulSet(slow, [pod("web-0", "r1", { readySince: 0 })], "r1", T0 + 11_000))).toEqual(["create 1@update"]);
  });

  it("Parallel creates every missing ordinal at once and replaces finished pods", () => {
    const par = set({ podManagementPolicy: "Parallel" });
    expect(describeSteps(planStatefulSet(par, [pod("web-1", "r1", { ready: false })], "r1", T0))).toEqual(["create 0@update", "create 2@update"]);
    expect(describeSteps(planStatefulSet(par, [pod("web-0", "r1"), pod("web-1", "r1", { phase: "Failed" }), pod("web-2", "r1")], "r1", T0))).toEqual(["delete web-1 (finished)"]);
  });

  it("scales down from the highest ordinal, one at a time, waiting for terminations", () => {
    const two = set({ replicas: 2 });
    const pods = ["web-0", "web-1", "web-2", "web-3"].map((n) => pod(n, "r1"));
    expect(describeSteps(planStatefulSet(two, pods, "r1", T0))).toEqual(["delete web-3 (scale-down)"]);
    const terminating = [...pods.slice(0, 3), pod("web-3", "r1", { deleting: true })];
    expect(planStatefulSet(two, terminating, "r1", T0)).toEqual([]);
    // an unhealthy pod below blocks the scale-down unless it is the one to go
    expect(planStatefulSet(two, [pod("web-0", "r1"), pod("web-1", "r1", { ready: false }), pod("web-2", "r1")], "r1", T0)).toEqual([]);
    expect(describeSteps(planStatefulSet(two, [pod("web-0", "r1"), pod("web-1", "r1"), pod("web-2", "r1", { ready: false })], "r1", T0))).toEqual(["delete web-2 (scale-down)"]);
    expect(describeSteps(planStatefulSet(set({ replicas: 1, podManagementPolicy: "Parallel" }), pods, "r1", T0))).toEqual(["delete web-3 (scale-down)", "delete web-2 (scale-down)", "delete web-1 (scale-down)"]);
  });

  it("rolls the highest out-of-date ordinal first, waits for it, and stops at the partition", () => {
    const old = ["web-0", "web-1", "web-2"].map((n) => pod(n, "r1"));
    expect(describeSteps(planStatefulSet(set(), old, "r2", T0))).toEqual(["delete web-2 (update)"]);
    const updating = [old[0]!, old[1]!, pod("web-2", "r2", { ready: false })];
    expect(planStatefulSet(set(), updating, "r2", T0)).toEqual([]);
    expect(describeSteps(planStatefulSet(set(), [old[0]!, old[1]!, pod("web-2", "r2")], "r2", T0))).toEqual(["delete web-1 (update)"]);
    const partitioned = set({ updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 2 } } });
    expect(planStatefulSet(partitioned, [old[0]!, old[1]!, pod("web-2", "r2")], "r2", T0)).toEqual([]);
    // below the partition a missing pod comes back at the current revision
    expect(describeSteps(planStatefulSet(partitioned, [old[1]!, pod("web-2", "r2")], "r2", T0))).toEqual(["create 0@current"]);
    // OnDelete never deletes for an update; a deleted pod comes back at the update revision
    const onDelete = set({ updateStrategy: { type: "OnDelete" } });
    expect(planStatefulSet(onDelete, old, "r2", T0)).toEqual([]);
    expect(describeSteps(planStatefulSet(onDelete, [old[0]!, old[2]!], "r2", T0))).toEqual(["create 1@update"]);
  });
});

describe("stateful pods and status", () => {
  it("gives each ordinal its name, hostname, subdomain and labels", () => {
    const body = statefulPodFor(set(), templateOfRevision({ data: { spec: { template: { $patch: "replace", metadata: { labels: { app: "web" } }, spec: { containers: [] } } } } } as unknown as Obj), "web-abc", 2, { kind: "StatefulSet" });
    expect(body.metadata).toEqual({
      name: "web-2", namespace: "default", ownerReferences: [{ kind: "StatefulSet" }],
      labels: { app: "web", "controller-revision-hash": "web-abc", "statefulset.kubernetes.io/pod-name": "web-2", "apps.kubernetes.io/pod-index": "2" },
    });
    expect(body.spec).toEqual({ containers: [], hostname: "web-2", subdomain: "web" });
    expect(ordinalOf(set(), body)).toBe(2);
    expect(ordinalOf(set(), { metadata: { name: "web-02" } } as Obj)).toBeUndefined();
    expect(ordinalOf(set(), { metadata: { name: "webby-1" } } as Obj)).toBeUndefined();
  });

  it("makes a claim per template and ordinal, and mounts it in place of a template volume of the same name", () => {
    const withClaims = set({ volumeClaimTemplates: [{ metadata: { name: "data", labels: { tier: "db" } }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } }] });
    expect(statefulClaimsFor(withClaims, 1)).toEqual([
      {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: { name: "data-web-1", namespace: "default", labels: { tier: "db", app: "web" } },
        spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
      },
    ]);
    const template = { metadata: { labels: { app: "web" } }, spec: { containers: [], volumes: [{ name: "data", emptyDir: {} }, { name: "tmp", emptyDir: {} }] } };
    expect(statefulPodFor(withClaims, template, "web-abc", 1, { kind: "StatefulSet" }).spec.volumes).toEqual([
      { name: "tmp", emptyDir: {} },
      { name: "data", persistentVolumeClaim: { claimName: "data-web-1" } },
    ]);
  });

  it("counts replicas, ready, available, current and updated, and completes the rollout", () => {
    const pods = [pod("web-0", "r1"), pod("web-1", "r2", { ready: false }), pod("web-2", "r2")];
    expect(statefulSetStatus(set(), pods, "r1", "r2", T0)).toEqual({ replicas: 3, readyReplicas: 2, availableReplicas: 2, currentReplicas: 1, updatedReplicas: 2, currentRevision: "r1", updateRevision: "r2" });
    const done = [pod("web-0", "r2"), pod("web-1", "r2"), pod("web-2", "r2")];
    expect(statefulSetStatus(set(), done, "r1", "r2", T0)).toMatchObject({ currentReplicas: 3, updatedReplicas: 3, currentRevision: "r2" });
  });
});
