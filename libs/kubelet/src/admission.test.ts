import { describe, expect, it } from "vitest";
import type { JsonObject } from "@kubeactor/bus";
import { admitPod } from "./admission.ts";

const node = (opts: { cpu?: string; memory?: string; pods?: string; labels?: Record<string, string>; taints?: unknown[]; extra?: Record<string, string> } = {}): JsonObject => ({
  apiVersion: "v1",
  kind: "Node",
  metadata: { name: "node-1", labels: { "kubernetes.io/os": "linux", "topology.kubernetes.io/zone": "zone-a", ...opts.labels } },
  spec: { ...(opts.taints ? { taints: opts.taints } : {}) },
  status: {
    allocatable: { cpu: opts.cpu ?? "4", memory: opts.memory ?? "8Gi", pods: opts.pods ?? "110", "ephemeral-storage": "100Gi", ...opts.extra },
  },
});

let seq = 0;
const pod = (requests: Record<string, string> = {}, spec: Record<string, unknown> = {}, labels: Record<string, string> = {}): JsonObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: `p${++seq}`, namespace: "default", uid: `u${seq}`, labels },
  spec: { nodeName: "node-1", containers: [{ name: "c", image: "nginx", resources: { requests } }], ...spec },
});

describe("admitPod", () => {
  it.each([
    ["fits", pod({ cpu: "1" }), [pod({ cpu: "2" })], node(), undefined, undefined],
    ["cpu", pod({ cpu: "3" }), [pod({ cpu: "2" })], node(), "OutOfcpu", "Node didn't have enough resource: cpu, requested: 3000, used: 2000, capacity: 4000"],
    ["memory", pod({ memory: "5Gi" }), [pod({ memory: "4Gi" })], node(), "OutOfmemory",
      "Node didn't have enough resource: memory, requested: 5368709120, used: 4294967296, capacity: 8589934592"],
    ["pods", pod(), [pod(), pod()], node({ pods: "2" }), "OutOfpods", "Node didn't have enough resource: pods, requested: 1, used: 2, capacity: 2"],
    // pods is checked first, then cpu before memory
    ["pods before cpu", pod({ cpu: "8", memory: "16Gi" }), [pod()], node({ pods: "1" }), "OutOfpods", undefined],
    ["cpu before memory", pod({ cpu: "8", memory: "16Gi" }), [], node(), "OutOfcpu", undefined],
    ["extended resource", pod({ "example.com/gpu": "2" }), [pod({ "example.com/gpu": "1" })], node({ extra: { "example.com/gpu": "2" } }), "OutOfexample.com/gpu",
      "Node didn't have enough resource: example.com/gpu, requested: 2, used: 1, capacity: 2"],
    // a cluster-level extended resource the node does not advertise is not the kubelet's to check
    ["unknown extended resource", pod({ "example.com/fpga": "1" }), [], node(), undefined, undefined],
    ["nodeSelector", pod({}, { nodeSelector: { disk: "ssd" } }), [], node(), "NodeAffinity", "Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector"],
    ["nodeSelector matches", pod({}, { nodeSelector: { "topology.kubernetes.io/zone": "zone-a" } }), [], node(), undefined, undefined],
    ["required node affinity", pod({}, {
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "topology.kubernetes.io/zone", operator: "In", values: ["zone-b"] }] }] } } },
    }), [], node(), "NodeAffinity", undefined],
    ["host port taken", pod({}, { containers: [{ name: "c", image: "nginx", ports: [{ containerPort: 80, hostPort: 8080 }] }] }),
      [pod({}, { containers: [{ name: "c", image: "nginx", ports: [{ containerPort: 80, hostPort: 8080 }] }] })], node(), "NodePorts",
      "Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports"],
    ["untolerated NoExecute taint", pod(), [], node({ taints: [{ key: "dedicated", value: "db", effect: "NoExecute" }] }), "TaintToleration",
      "Predicate TaintToleration failed: node(s) had taints that the pod didn't tolerate"],
    ["NoSchedule taints are the scheduler's business", pod(), [], node({ taints: [{ key: "dedicated", effect: "NoSchedule" }] }), undefined, undefined],
    ["tolerated NoExecute taint", pod({}, { tolerations: [{ key: "dedicated", operator: "Exists" }] }), [], node({ taints: [{ key: "dedicated", effect: "NoExecute" }] }), undefined, undefined],
    ["OS label", pod({}, {}, { "kubernetes.io/os": "windows" }), [], node(), "PodOSSelectorNodeLabelDoesNotMatch",
      "Failed to admit pod as the `kubernetes.io/os` label doesn't match node label"],
    ["spec.os", pod({}, { os: { name: "windows" } }), [], node(), "PodOSNotSupported", "Failed to admit pod as the OS field doesn't match node OS"],
    ["bad quantity", pod({ cpu: "lots" }), [], node(), "UnexpectedAdmissionError", undefined],
  ] as const)("%s", (_name, p, active, n, reason, message) => {
    const verdict = admitPod(p, n, active);
    if (reason === undefined) return expect(verdict).toEqual({ admit: true });
    expect(verdict).toMatchObject({ admit: false, reason });
    if (message !== undefined) expect((verdict as { message: string }).message).toBe(message);
  });

  it("counts init containers as the larger of their requests and the app containers' sum", () => {
    const p = pod({ cpu: "1" }, { initContainers: [{ name: "init", image: "busybox", resources: { requests: { cpu: "3500m" } } }] });
    expect(admitPod(p, node(), [pod({ cpu: "1" })])).toMatchObject({ reason: "OutOfcpu", message: "Node didn't have enough resource: cpu, requested: 3500, used: 1000, capacity: 4000" });
  });
});
