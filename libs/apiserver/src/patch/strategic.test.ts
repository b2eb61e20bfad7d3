import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyMergePatch, applyStrategicMergePatch, listStrategy, normalizeKind } from "./index.ts";
import { patchError } from "./test-helpers.ts";

type Obj = Record<string, unknown>;

function deployment(containers: Obj[], extra: Obj = {}): Obj {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "default", finalizers: ["a.example/x", "b.example/y"], labels: { app: "web" } },
    spec: {
      replicas: 2,
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } },
      template: { metadata: { labels: { app: "web" } }, spec: { containers, ...extra } },
    },
  };
}
const containersOf = (d: Obj) => ((d.spec as Obj).template as Obj & { spec: { containers: Obj[] } }).spec.containers;
const podSpecOf = (d: Obj) => ((d.spec as Obj).template as Obj).spec as Obj;

const web = { name: "web", image: "nginx:1", env: [{ name: "A", value: "1" }, { name: "X", value: "x" }, { name: "B", value: "2" }] };
const sidecar = { name: "sidecar", image: "envoy:1" };

describe("kubectl set image / edit (containers merge by name)", () => {
  it("changes one container's image only", () => {
    const out = applyStrategicMergePatch(
      deployment([web, sidecar]),
      { spec: { template: { spec: { containers: [{ name: "web", image: "nginx:2" }] } } } },
      "Deployment",
    );
    expect(containersOf(out)).toEqual([{ ...web, image: "nginx:2" }, sidecar]);
  });
  it("keeps the live order when the patched container is not first", () => {
    const out = applyStrategicMergePatch(
      deployment([sidecar, web]),
      { spec: { template: { spec: { containers: [{ name: "web", image: "nginx:2" }] } } } },
      "apps/v1, Kind=Deployment",
    );
    expect(containersOf(out).map((c) => c.name)).toEqual(["sidecar", "web"]);
  });
  it("the patch kubectl set image actually sends (with $setElementOrder)", () => {
    const out = applyStrategicMergePatch(
      deployment([web, sidecar]),
      {
        spec: {
          template: {
            spec: {
              "$setElementOrder/containers": [{ name: "web" }, { name: "sidecar" }],
              containers: [{ image: "envoy:2", name: "sidecar" }],
            },
          },
        },
      },
      "Deployment",
    );
    expect(containersOf(out)).toEqual([web, { ...sidecar, image: "envoy:2" }]);
  });
  it("$setElementOrder/containers reorders", () => {
    const out = applyStrategicMergePatch(
      deployment([web, sidecar]),
      { spec: { template: { spec: { "$setElementOrder/containers": [{ name: "sidecar" }, { name: "web" }] } } } },
      "Deployment",
    );
    expect(containersOf(out)).toEqual([sidecar, web]);
  });
  it("a new container without $setElementOrder is put first (upstream mergeSortedSlice behaviour)", () => {
    const out = applyStrategicMergePatch(deployment([web]), { spec: { template: { spec: { containers: [sidecar] } } } }, "Deployment");
    expect(containersOf(out).map((c) => c.name)).toEqual(["sidecar", "web"]);
  });
  it("pod template rules also apply to ReplicaSet, StatefulSet, DaemonSet, Job, CronJob, Pod", () => {
    const patch = { spec: { template: { spec: { containers: [{ name: "web", image: "nginx:2" }] } } } };
    for (const kind of ["ReplicaSet", "StatefulSet", "DaemonSet", "Job", "ReplicationController"]) {
      expect(containersOf(applyStrategicMergePatch(deployment([web, sidecar]), patch, kind))).toHaveLength(2);
    }
    const cj = { spec: { jobTemplate: { spec: { template: { spec: { containers: [web, sidecar] } } } } } };
    const out = applyStrategicMergePatch(
      cj,
      { spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: "web", image: "x" }] } } } } } },
      "batch/v1/CronJob",
    );
    expect(JSON.stringify(out)).toContain("sidecar");
    const pod = applyStrategicMergePatch({ spec: { containers: [web, sidecar] } }, { spec: { containers: [{ name: "web", image: "nginx:2" }] } }, "Pod");
    expect((pod.spec as { containers: Obj[] }).containers).toEqual([{ ...web, image: "nginx:2" }, sidecar]);
  });
});

describe("list element directives", () => {
  it('deletes an env var with {"name":"X","$patch":"delete"}', () => {
    const out = applyStrategicMergePatch(
      deployment([web, sidecar]),
      { spec: { template: { spec: { containers: [{ name: "web", env: [{ name: "X", $patch: "delete" }] }] } } } },
      "Deployment",
    );
    expect(containersOf(out)[0]!.env).toEqual([
      { name: "A", value: "1" },
      { name: "B", value: "2" },
    ]);
    expect(containersOf(out)[1]).toEqual(sidecar);
  });
  it("adds and updates env vars by name", () => {
    const out = applyStrategicMergePatch(
      deployment([web]),
      {
        spec: {
          template: {
            spec: {
              containers: [
                {
                  name: "web",
                  "$setElementOrder/env": [{ name: "A" }, { name: "X" }, { name: "B" }, { name: "C" }],
                  env: [
                    { name: "X", value: "changed" },
                    { name: "C", value: "3" },
                  ],
                },
              ],
            },
          },
        },
      },
      "Deployment",
    );
    expect(containersOf(out)[0]!.env).toEqual([
      { name: "A", value: "1" },
      { name: "X", value: "changed" },
      { name: "B", value: "2" },
      { name: "C", value: "3" },
    ]);
  });
  it("$patch: replace inside a list replaces the whole list", () => {
    const out = applyStrategicMergePatch(
      deployment([web, sidecar]),
      { spec: { template: { spec: { containers: [{ name: "only", image: "busybox" }, { $patch: "replace" }] } } } },
      "Deployment",
    );
    expect(containersOf(out)).toEqual([{ name: "only", image: "busybox" }]);
  });
  it("$patch: merge on a list element is rejected like upstream", () => {
    const e = patchError(() =>
      applyStrategicMergePatch(deployment([web]), { spec: { template: { spec: { containers: [{ $patch: "merge" }] } } } }, "Deployment"),
    );
    expect(e.message).toBe("merging lists cannot yet be specified in the patch");
  });
  it("a list item without its merge key is a 422 with the upstream message", () => {
    const e = patchError(() =>
      applyStrategicMergePatch(deployment([web]), { spec: { template: { spec: { containers: [{ image: "x" }] } } } }, "Deployment"),
    );
    expect(e.code).toBe(422);
    expect(e.message).toBe("map: map[image:x] does not contain declared merge key: name");
  });
  it("volumeMounts merge by mountPath, ports by containerPort", () => {
    const pod = {
      spec: {
        containers: [
          {
            name: "c",
            volumeMounts: [{ name: "v", mountPath: "/a" }],
            ports: [{ containerPort: 80, name: "http" }],
          },
        ],
      },
    };
    const out = applyStrategicMergePatch(
      pod,
      { spec: { containers: [{ name: "c", volumeMounts: [{ name: "w", mountPath: "/a", readOnly: true }], ports: [{ containerPort: 443 }] }] } },
      "Pod",
    );
    const c = (out.spec as { containers: Obj[] }).containers[0]!;
    expect(c.volumeMounts).toEqual([{ name: "w", mountPath: "/a", readOnly: true }]);
    expect(c.ports).toEqual([{ containerPort: 443 }, { containerPort: 80, name: "http" }]);
  });
});

describe("metadata", () => {
  it("finalizers merge as a primitive list", () => {
    const out = applyStrategicMergePatch(deployment([web]), { metadata: { finalizers: ["c.example/z", "a.example/x"] } }, "Deployment");
    expect((out.metadata as Obj).finalizers).toEqual(["c.example/z", "a.example/x", "b.example/y"]);
  });
  it("$deleteFromPrimitiveList/finalizers removes entries", () => {
    const out = applyStrategicMergePatch(
      deployment([web]),
      { metadata: { "$deleteFromPrimitiveList/finalizers": ["a.example/x", "nope"] } },
      "Deployment",
    );
    expect((out.metadata as Obj).finalizers).toEqual(["b.example/y"]);
  });
  it("finalizers: null removes the field", () => {
    const out = applyStrategicMergePatch(deployment([web]), { metadata: { finalizers: null } }, "ConfigMap");
    expect(out.metadata).not.toHaveProperty("finalizers");
  });
  it("ownerReferences merge by uid; labels merge; null deletes a label", () => {
    const cm = { metadata: { labels: { a: "1", b: "2" }, ownerReferences: [{ uid: "u1", name: "one" }] }, data: { k: "v" } };
    const out = applyStrategicMergePatch(
      cm,
      { metadata: { labels: { b: null, c: "3" }, ownerReferences: [{ uid: "u2", name: "two" }] } },
      "ConfigMap",
    );
    expect(out).toEqual({
      metadata: { labels: { a: "1", c: "3" }, ownerReferences: [{ uid: "u2", name: "two" }, { uid: "u1", name: "one" }] },
      data: { k: "v" },
    });
  });
  it("$patch: delete on a map empties it; $patch: replace replaces it", () => {
    const cm = { metadata: { annotations: { a: "1" }, labels: { x: "1", y: "2" } } };
    const out = applyStrategicMergePatch(
      cm,
      { metadata: { annotations: { $patch: "delete" }, labels: { $patch: "replace", z: "3" } } },
      "ConfigMap",
    );
    expect(out).toEqual({ metadata: { annotations: {}, labels: { z: "3" } } });
  });
  it("$patch: merge on a map is rejected like upstream", () => {
    expect(patchError(() => applyStrategicMergePatch({ a: {} }, { a: { $patch: "merge" } }, "ConfigMap")).message).toBe(
      "unknown patch type: merge in map: map[$patch:merge]",
    );
  });
});

describe("deployment strategy ($retainKeys)", () => {
  it("switching to Recreate with $retainKeys clears rollingUpdate", () => {
    const out = applyStrategicMergePatch(
      deployment([web]),
      { spec: { strategy: { $retainKeys: ["type"], type: "Recreate", rollingUpdate: null } } },
      "Deployment",
    );
    expect((out.spec as Obj).strategy).toEqual({ type: "Recreate" });
  });
  it("$retainKeys alone drops every other key", () => {
    const out = applyStrategicMergePatch(deployment([web]), { spec: { strategy: { $retainKeys: ["type"], type: "Recreate" } } }, "Deployment");
    expect((out.spec as Obj).strategy).toEqual({ type: "Recreate" });
  });
  it("a patch key missing from $retainKeys is a 400", () => {
    const e = patchError(() =>
      applyStrategicMergePatch(deployment([web]), { spec: { strategy: { $retainKeys: ["type"], type: "Recreate", foo: 1 } } }, "Deployment"),
    );
    expect([e.code, e.message]).toEqual([400, "invalid patch format of retainKeys"]);
  });
  it("volumes (merge,retainKeys): switching a volume source", () => {
    const dep = deployment([web], { volumes: [{ name: "data", emptyDir: {} }, { name: "cfg", configMap: { name: "c" } }] });
    const out = applyStrategicMergePatch(
      dep,
      {
        spec: {
          template: {
            spec: { volumes: [{ $retainKeys: ["name", "persistentVolumeClaim"], name: "data", persistentVolumeClaim: { claimName: "pvc" } }] },
          },
        },
      },
      "Deployment",
    );
    expect(podSpecOf(out).volumes).toEqual([
      { name: "data", persistentVolumeClaim: { claimName: "pvc" } },
      { name: "cfg", configMap: { name: "c" } },
    ]);
  });
});

describe("atomic lists", () => {
  it("kubectl taint: Node spec.taints is replaced wholesale", () => {
    const node = { spec: { unschedulable: false, taints: [{ key: "a", effect: "NoSchedule" }], podCIDRs: ["10.0.0.0/24"] } };
    const out = applyStrategicMergePatch(
      node,
      { spec: { taints: [{ key: "b", value: "1", effect: "NoExecute" }] } },
      "Node",
    );
    expect((out.spec as Obj).taints).toEqual([{ key: "b", value: "1", effect: "NoExecute" }]);
  });
  it("kubectl cordon / uncordon", () => {
    const node = { metadata: { name: "n1" }, spec: { podCIDR: "10.0.0.0/24" } };
    const cordoned = applyStrategicMergePatch(node, { spec: { unschedulable: true } }, "Node");
    expect(cordoned).toEqual({ metadata: { name: "n1" }, spec: { podCIDR: "10.0.0.0/24", unschedulable: true } });
    expect(applyStrategicMergePatch(cordoned, { spec: { unschedulable: null } }, "Node")).toEqual(node);
  });
  it("tolerations, Endpoints subsets and container args are atomic", () => {
    expect(listStrategy("Pod", ["spec", "tolerations"])).toEqual({ strategy: "replace" });
    expect(listStrategy("Endpoints", ["subsets"])).toEqual({ strategy: "replace" });
    expect(listStrategy("Pod", ["spec", "containers", "args"])).toEqual({ strategy: "replace" });
    const pod = { spec: { tolerations: [{ key: "a", operator: "Exists" }] } };
    const out = applyStrategicMergePatch(pod, { spec: { tolerations: [{ key: "b", operator: "Exists" }] } }, "Pod");
    expect(out).toEqual({ spec: { tolerations: [{ key: "b", operator: "Exists" }] } });
  });
  it("Service ports merge by port", () => {
    const svc = { spec: { ports: [{ port: 80, targetPort: 8080, name: "http" }, { port: 443, name: "https" }] } };
    const out = applyStrategicMergePatch(svc, { spec: { ports: [{ port: 80, targetPort: 9090 }] } }, "Service");
    expect((out.spec as Obj).ports).toEqual([{ port: 80, targetPort: 9090, name: "http" }, { port: 443, name: "https" }]);
  });
  it("status conditions merge by type", () => {
    const node = { status: { conditions: [{ type: "Ready", status: "True" }, { type: "MemoryPressure", status: "False" }] } };
    const out = applyStrategicMergePatch(node, { status: { conditions: [{ type: "Ready", status: "False" }] } }, "Node");
    expect((out.status as Obj).conditions).toEqual([
      { type: "Ready", status: "False" },
      { type: "MemoryPressure", status: "False" },
    ]);
  });
});

describe("unknown kinds", () => {
  it("behave like a merge patch (lists atomic) but honour $patch directives", () => {
    const w = { spec: { items: [{ name: "a" }, { name: "b" }], m: { x: 1, y: 2 }, n: { z: 1 } } };
    const out = applyStrategicMergePatch(
      w,
      { spec: { items: [{ name: "c" }], m: { y: null }, n: { $patch: "replace", q: 2 } } },
      "example.com/v1/Widget",
    );
    expect(out).toEqual({ spec: { items: [{ name: "c" }], m: { x: 1 }, n: { q: 2 } } });
  });
  it("match RFC 7386 for directive-free patches without nulls inside lists", () => {
    const scalar = fc.oneof(fc.string({ maxLength: 3 }), fc.integer(), fc.boolean());
    const k = fc.constantFrom("a", "b", "c", "d");
    const { tree } = fc.letrec((tie) => ({
      tree: fc.oneof({ depthSize: "small" }, scalar, fc.array(scalar, { maxLength: 3 }), tie("obj")),
      obj: fc.dictionary(k, fc.oneof(fc.constant(null), tie("tree")), { maxKeys: 4 }),
    }));
    const obj = fc.dictionary(k, tree, { maxKeys: 4 }) as fc.Arbitrary<Obj>;
    const patch = fc.dictionary(k, fc.oneof(fc.constant(null), tree), { maxKeys: 4 }) as fc.Arbitrary<Obj>;
    fc.assert(
      fc.property(obj, patch, (d, p) => {
        expect(applyStrategicMergePatch(d, p, "Widget")).toEqual(applyMergePatch(d, p));
      }),
    );
  });
});

describe("errors and purity", () => {
  it("$setElementOrder without slash / bad $deleteFromPrimitiveList are 400", () => {
    expect(patchError(() => applyStrategicMergePatch({ metadata: {} }, { metadata: { $deleteFromPrimitiveList: ["x"] } }, "Pod")).code).toBe(400);
  });
  it("$setElementOrder inconsistent with the patch list", () => {
    const e = patchError(() =>
      applyStrategicMergePatch(
        deployment([web, sidecar]),
        { spec: { template: { spec: { "$setElementOrder/containers": [{ name: "web" }], containers: [{ name: "sidecar", image: "x" }] } } } },
        "Deployment",
      ),
    );
    expect(e.message).toContain("doesn't match $setElementOrder list");
  });
  it("lists of lists are a 422", () => {
    expect(patchError(() => applyStrategicMergePatch({ metadata: { finalizers: [["a"]] } }, { metadata: { finalizers: [["b"]] } }, "Pod")).code).toBe(422);
  });
  it("does not mutate its inputs", () => {
    const doc = deployment([web, sidecar]);
    const patch = { spec: { template: { spec: { containers: [{ name: "web", env: [{ name: "X", $patch: "delete" }] }] } } } };
    const [d0, p0] = [structuredClone(doc), structuredClone(patch)];
    applyStrategicMergePatch(doc, patch, "Deployment");
    expect([doc, patch]).toEqual([d0, p0]);
  });
  it("an empty patch is the identity", () => {
    expect(applyStrategicMergePatch(deployment([web, sidecar]), {}, "Deployment")).toEqual(deployment([web, sidecar]));
  });
  it("__proto__ keys are plain data", () => {
    const out = applyStrategicMergePatch({}, JSON.parse('{"__proto__":{"polluted":1}}') as Obj, "ConfigMap");
    expect(Object.keys(out)).toEqual(["__proto__"]);
    expect(({} as Obj).polluted).toBeUndefined();
  });
});

describe("listStrategy", () => {
  it("walks paths by field name across kinds", () => {
    expect(listStrategy("Pod", ["spec", "containers"])).toEqual({ mergeKey: "name", strategy: "merge" });
    expect(listStrategy("Deployment", ["spec", "template", "spec", "containers"])).toEqual({ mergeKey: "name", strategy: "merge" });
    expect(listStrategy("Deployment", ["spec", "template", "spec", "containers", "0", "env"])).toEqual({ mergeKey: "name", strategy: "merge" });
    expect(listStrategy("Pod", ["spec", "containers", "volumeMounts"])).toEqual({ mergeKey: "mountPath", strategy: "merge" });
    expect(listStrategy("Pod", ["spec", "containers", "ports"])).toEqual({ mergeKey: "containerPort", strategy: "merge" });
    expect(listStrategy("Pod", ["spec", "ephemeralContainers", "env"])).toEqual({ mergeKey: "name", strategy: "merge" });
    expect(listStrategy("Pod", ["spec", "hostAliases"])).toEqual({ mergeKey: "ip", strategy: "merge" });
    expect(listStrategy("Pod", ["spec", "topologySpreadConstraints"])).toEqual({ mergeKey: "topologyKey", strategy: "merge" });
    expect(listStrategy("Pod", ["spec", "volumes"])).toEqual({ mergeKey: "name", strategy: "merge" });
    expect(listStrategy("Pod", ["spec", "imagePullSecrets"])).toEqual({ mergeKey: "name", strategy: "merge" });
    expect(listStrategy("Service", ["spec", "ports"])).toEqual({ mergeKey: "port", strategy: "merge" });
    expect(listStrategy("ServiceAccount", ["secrets"])).toEqual({ mergeKey: "name", strategy: "merge" });
    expect(listStrategy("Node", ["spec", "taints"])).toEqual({ strategy: "replace" });
    expect(listStrategy("Node", ["spec", "podCIDRs"])).toEqual({ strategy: "merge-primitive" });
    expect(listStrategy("Node", ["status", "addresses"])).toEqual({ mergeKey: "type", strategy: "merge" });
    expect(listStrategy("Lease", ["metadata", "finalizers"])).toEqual({ strategy: "merge-primitive" });
    expect(listStrategy("Event", ["metadata", "ownerReferences"])).toEqual({ mergeKey: "uid", strategy: "merge" });
    expect(listStrategy("Namespace", ["spec", "finalizers"])).toEqual({ strategy: "replace" });
    expect(listStrategy("Widget", ["spec", "containers"])).toEqual({ strategy: "replace" });
    expect(listStrategy("Pod", ["spec", "constructor"])).toEqual({ strategy: "replace" });
  });
  it("normalizes kind spellings", () => {
    for (const k of ["Deployment", "apps/v1/Deployment", "apps/v1, Kind=Deployment", "Deployment.apps", "Deployment.v1.apps"]) {
      expect(normalizeKind(k)).toBe("Deployment");
    }
  });
});
