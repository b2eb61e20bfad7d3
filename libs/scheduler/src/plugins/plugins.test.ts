import { describe, expect, it } from "vitest";
import { CycleState, NodeInfo, podInfoOf, podRequests } from "../framework.ts";
import { makeNode, makePod } from "../test-helpers.ts";
import { balancedAllocation } from "./balanced-allocation.ts";
import { nodeAffinityFilter, nodeAffinityScore } from "./node-affinity.ts";
import { nodeName } from "./node-name.ts";
import { nodePorts } from "./node-ports.ts";
import { nodeResourcesFitFilter, nodeResourcesFitScore } from "./node-resources-fit.ts";
import { nodeUnschedulable } from "./node-unschedulable.ts";
import { taintTolerationFilter, taintTolerationScore } from "./taint-toleration.ts";

const info = (node = makeNode("n1"), pods: ReturnType<typeof makePod>[] = []) => {
  const i = new NodeInfo(node);
  for (const p of pods) i.addPod(podInfoOf(p));
  return i;
};
const s = () => new CycleState();

describe("NodeName", () => {
  it("passes pods without nodeName and pods naming this node; rejects others", () => {
    expect(nodeName.filter(s(), makePod("p"), info()).code).toBe("Success");
    expect(nodeName.filter(s(), makePod("p", { nodeName: "n1" }), info()).code).toBe("Success");
    expect(nodeName.filter(s(), makePod("p", { nodeName: "n2" }), info())).toEqual({
      code: "UnschedulableAndUnresolvable",
      reasons: ["node(s) didn't match the requested node name"],
    });
  });
});

describe("NodeUnschedulable", () => {
  const cordoned = info(makeNode("n1", { unschedulable: true }));
  it("rejects cordoned nodes unless the pod tolerates the unschedulable taint", () => {
    expect(nodeUnschedulable.filter(s(), makePod("p"), cordoned)).toEqual({ code: "UnschedulableAndUnresolvable", reasons: ["node(s) were unschedulable"] });
    const tolerant = makePod("p", { spec: { tolerations: [{ key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoSchedule" }] } });
    expect(nodeUnschedulable.filter(s(), tolerant, cordoned).code).toBe("Success");
    expect(nodeUnschedulable.filter(s(), makePod("p"), info()).code).toBe("Success");
  });
});

describe("NodeResourcesFit", () => {
  it("reports every shortage with kube's reasons", () => {
    const node = info(makeNode("n1", { cpu: "1", memory: "1Gi", pods: "1" }), [makePod("a", { cpu: "500m", memory: "512Mi", nodeName: "n1" })]);
    const st = nodeResourcesFitFilter.filter(s(), makePod("p", { cpu: "600m", memory: "600Mi" }), node);
    expect(st).toEqual({ code: "Unschedulable", reasons: ["Too many pods", "Insufficient cpu", "Insufficient memory"] });
  });
  it("is unresolvable when the request exceeds allocatable", () => {
    expect(nodeResourcesFitFilter.filter(s(), makePod("p", { cpu: "5" }), info()).code).toBe("UnschedulableAndUnresolvable");
  });
  it("checks ephemeral-storage and extended resources", () => {
    const node = info(makeNode("n1", { extra: { "ephemeral-storage": "10Gi", "example.com/gpu": "1" } }));
    expect(nodeResourcesFitFilter.filter(s(), makePod("p", { requests: { "ephemeral-storage": "20Gi", "example.com/gpu": "2" } }), node).reasons).toEqual([
      "Insufficient ephemeral-storage",
      "Insufficient example.com/gpu",
    ]);
    expect(nodeResourcesFitFilter.filter(s(), makePod("p", { requests: { "example.com/gpu": "1" } }), node).code).toBe("Success");
    expect(nodeResourcesFitFilter.filter(s(), makePod("p", { requests: { "example.com/fpga": "1" } }), node).reasons).toEqual(["Insufficient example.com/fpga"]);
  });
  it("counts init containers' max, sidecars and overhead", () => {
    const pod = makePod("p", {
      cpu: "1",
      spec: {
        initContainers: [
          { name: "i1", image: "x", resources: { requests: { cpu: "3" } } },
          { name: "side", image: "x", restartPolicy: "Always", resources: { requests: { cpu: "500m" } } },
          { name: "i2", image: "x", resources: { requests: { cpu: "2" } } },
        ],
        overhead: { cpu: "250m" },
      },
    });
    // max(1 + 0.5, 3, 0.5 + 2) + 0.25
    expect(podRequests(pod).milliCPU).toBe(3250);
  });
  it("scores LeastAllocated with the non-zero defaults", () => {
    const score = nodeResourcesFitScore();
    // 4 cpu / 8Gi node, empty pod counts 100m and 200Mi: cpu (4000-100)*100/4000=97, mem (8192-200)*100/8192=97
    expect(score.score(s(), makePod("p"), info())).toBe(97);
    const half = info(makeNode("n1"), [makePod("a", { cpu: "2", memory: "4Gi", nodeName: "n1" })]);
    expect(score.score(s(), makePod("p", { cpu: "1", memory: "2Gi" }), half)).toBe(25);
    expect(nodeResourcesFitScore({ type: "MostAllocated" }).score(s(), makePod("p", { cpu: "1", memory: "2Gi" }), half)).toBe(75);
    const rtc = nodeResourcesFitScore({ type: "RequestedToCapacityRatio", shape: [{ utilization: 0, score: 0 }, { utilization: 100, score: 10 }] });
    expect(rtc.score(s(), makePod("p", { cpu: "1", memory: "2Gi" }), half)).toBe(75);
  });
});

describe("BalancedAllocation", () => {
  it("scores (1 - |cpu% - mem%| / 2) * 100", () => {
    expect(balancedAllocation.score(s(), makePod("p", { cpu: "2", memory: "2Gi" }), info())).toBe(87); // 0.5 vs 0.25
    expect(balancedAllocation.score(s(), makePod("p", { cpu: "2", memory: "4Gi" }), info())).toBe(100);
  });
});

describe("TaintToleration", () => {
  const tainted = info(makeNode("n1", { taints: [{ key: "dedicated", value: "x", effect: "NoSchedule" }] }));
  it("names the first untolerated taint", () => {
    expect(taintTolerationFilter.filter(s(), makePod("p"), tainted)).toEqual({
      code: "UnschedulableAndUnresolvable",
      reasons: ["node(s) had untolerated taint {dedicated: x}"],
    });
  });
  it("honours Equal and Exists tolerations and ignores PreferNoSchedule in the filter", () => {
    const eq = makePod("p", { spec: { tolerations: [{ key: "dedicated", operator: "Equal", value: "x", effect: "NoSchedule" }] } });
    const wrong = makePod("p", { spec: { tolerations: [{ key: "dedicated", value: "y" }] } });
    const all = makePod("p", { spec: { tolerations: [{ operator: "Exists" }] } });
    expect(taintTolerationFilter.filter(s(), eq, tainted).code).toBe("Success");
    expect(taintTolerationFilter.filter(s(), wrong, tainted).code).toBe("UnschedulableAndUnresolvable");
    expect(taintTolerationFilter.filter(s(), all, tainted).code).toBe("Success");
    const soft = info(makeNode("n1", { taints: [{ key: "k", effect: "PreferNoSchedule" }] }));
    expect(taintTolerationFilter.filter(s(), makePod("p"), soft).code).toBe("Success");
  });
  it("scores fewer intolerable PreferNoSchedule taints higher", () => {
    const nodes = [
      info(makeNode("a")),
      info(makeNode("b", { taints: [{ key: "k", effect: "PreferNoSchedule" }] })),
      info(makeNode("c", { taints: [{ key: "k", effect: "PreferNoSchedule" }, { key: "j", effect: "PreferNoSchedule" }] })),
    ];
    const st = s();
    const raw = nodes.map((n) => taintTolerationScore.score(st, makePod("p"), n));
    expect(raw).toEqual([0, 1, 2]);
    expect(taintTolerationScore.normalize!(st, makePod("p"), raw)).toEqual([100, 50, 0]);
  });
});

describe("NodeAffinity", () => {
  const node = info(makeNode("n1", { labels: { zone: "a", cores: "8" } }));
  const required = (terms: unknown[]) => makePod("p", { spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } } } });
  const ok = (pod: ReturnType<typeof makePod>) => nodeAffinityFilter.filter(s(), pod, node).code === "Success";
  it("requires nodeSelector labels", () => {
    expect(ok(makePod("p", { spec: { nodeSelector: { zone: "a" } } }))).toBe(true);
    expect(nodeAffinityFilter.filter(s(), makePod("p", { spec: { nodeSelector: { zone: "b" } } }), node)).toEqual({
      code: "UnschedulableAndUnresolvable",
      reasons: ["node(s) didn't match Pod's node affinity/selector"],
    });
  });
  it("evaluates required terms (ORed) with every operator and matchFields", () => {
    expect(ok(required([{ matchExpressions: [{ key: "zone", operator: "In", values: ["a", "b"] }] }]))).toBe(true);
    expect(ok(required([{ matchExpressions: [{ key: "zone", operator: "NotIn", values: ["a"] }] }]))).toBe(false);
    expect(ok(required([{ matchExpressions: [{ key: "gpu", operator: "DoesNotExist" }] }]))).toBe(true);
    expect(ok(required([{ matchExpressions: [{ key: "gpu", operator: "Exists" }] }]))).toBe(false);
    expect(ok(required([{ matchExpressions: [{ key: "cores", operator: "Gt", values: ["4"] }] }]))).toBe(true);
    expect(ok(required([{ matchExpressions: [{ key: "cores", operator: "Lt", values: ["4"] }] }]))).toBe(false);
    expect(ok(required([{ matchFields: [{ key: "metadata.name", operator: "In", values: ["n1"] }] }]))).toBe(true);
    expect(ok(required([{ matchFields: [{ key: "metadata.name", operator: "In", values: ["n2"] }] }]))).toBe(false);
    expect(ok(required([{ matchExpressions: [{ key: "gpu", operator: "Exists" }] }, { matchExpressions: [{ key: "zone", operator: "In", values: ["a"] }] }]))).toBe(true);
    expect(ok(required([{}]))).toBe(false);
  });
  it("scores matching preferred terms by weight", () => {
    const pod = makePod("p", {
      spec: {
        affinity: {
          nodeAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              { weight: 10, preference: { matchExpressions: [{ key: "zone", operator: "In", values: ["a"] }] } },
              { weight: 5, preference: { matchExpressions: [{ key: "zone", operator: "In", values: ["b"] }] } },
            ],
          },
        },
      },
    });
    const other = info(makeNode("n2", { labels: { zone: "b" } }));
    const st = s();
    const raw = [node, other].map((n) => nodeAffinityScore.score(st, pod, n));
    expect(raw).toEqual([10, 5]);
    expect(nodeAffinityScore.normalize!(st, pod, raw)).toEqual([100, 50]);
  });
});

describe("NodePorts", () => {
  const withPort = (name: string, port: number, hostIP?: string, nodeName?: string) =>
    makePod(name, { ...(nodeName ? { nodeName } : {}), spec: { containers: [{ name: "c", image: "x", ports: [{ containerPort: 80, hostPort: port, ...(hostIP ? { hostIP } : {}) }] }] } });
  it("rejects a host port already taken on the node (wildcard IPs conflict with any)", () => {
    const node = info(makeNode("n1"), [withPort("a", 8080, "10.0.0.1", "n1")]);
    expect(nodePorts.filter(s(), withPort("p", 8080), node)).toEqual({ code: "Unschedulable", reasons: ["node(s) didn't have free ports for the requested pod ports"] });
    expect(nodePorts.filter(s(), withPort("p", 8080, "10.0.0.2"), node).code).toBe("Success");
    expect(nodePorts.filter(s(), withPort("p", 8081), node).code).toBe("Success");
    expect(nodePorts.filter(s(), makePod("p"), node).code).toBe("Success");
  });
  it("frees ports when the pod leaves", () => {
    const node = info(makeNode("n1"), [withPort("a", 8080, undefined, "n1")]);
    node.removePod("default/a");
    expect(nodePorts.filter(s(), withPort("p", 8080), node).code).toBe("Success");
  });
});
