import { describe, expect, it } from "vitest";
import { aggregateMessage, claimLimitRangeErrors, defaultPodFromLimitRange, LIMIT_RANGER_ANNOTATION, podLimitRangeErrors } from "./limitrange.ts";
import { calculateUsage, chargeQuota, objectUsage, podConstraintError, resourceListJson, subtractUsage } from "./quota.ts";
import { applyDefaults } from "./defaults.ts";
import { findResource } from "./registry.ts";
import { validateObject } from "./validation.ts";

const pod = (name: string, resources?: object, phase?: string) => ({
  metadata: { name, namespace: "team" },
  spec: { containers: [{ name: "app", image: "busybox", ...(resources ? { resources } : {}) }] },
  ...(phase ? { status: { phase } } : {}),
});
const quota = (hard: Record<string, string>, used?: Record<string, string>) => ({
  metadata: { name: "q", namespace: "team" },
  spec: { hard },
  status: used ? { hard, used } : {},
});

describe("quota usage", () => {
  it("counts a pod's requests and limits under kube's names; terminal pods only as count/pods", () => {
    const p = pod("a", { requests: { cpu: "100m", memory: "64Mi" }, limits: { memory: "128Mi" } });
    expect(resourceListJson(objectUsage("", "pods", p))).toEqual({
      "count/pods": "1", pods: "1", cpu: "100m", "requests.cpu": "100m", memory: "64Mi", "requests.memory": "64Mi", "limits.memory": "128Mi",
    });
    expect(resourceListJson(objectUsage("", "pods", pod("done", undefined, "Succeeded")))).toEqual({ "count/pods": "1" });
    expect(resourceListJson(objectUsage("apps", "deployments", {}))).toEqual({ "count/deployments.apps": "1" });
    expect(resourceListJson(objectUsage("", "configmaps", {}))).toEqual({ "count/configmaps": "1", configmaps: "1" });
  });

  it("sizes a pod as kube's PodRequests / PodLimits: an init container runs beside the sidecars before it; overhead only on limits that are set", () => {
    const p = {
      metadata: { name: "side", namespace: "team" },
      spec: {
        containers: [{ name: "app", image: "busybox", resources: { requests: { cpu: "200m" }, limits: { memory: "64Mi" } } }],
        initContainers: [
          { name: "proxy", image: "busybox", restartPolicy: "Always", resources: { requests: { cpu: "500m" }, limits: { memory: "32Mi" } } },
          { name: "migrate", image: "busybox", resources: { requests: { cpu: "1" }, limits: { memory: "128Mi" } } },
        ],
        overhead: { cpu: "100m", memory: "10Mi" },
      },
    };
    expect(resourceListJson(objectUsage("", "pods", p))).toEqual({
      "count/pods": "1",
      pods: "1",
      // requests: max(200m + 500m, 500m + 1) + 100m overhead; memory only from the overhead
      cpu: "1600m",
      "requests.cpu": "1600m",
      memory: "10Mi",
      "requests.memory": "10Mi",
      // limits: max(64Mi + 32Mi, 32Mi + 128Mi) + 10Mi overhead; no cpu limit, so no cpu overhead either
      "limits.memory": "170Mi",
    });
  });

  it("refuses the pod over the limit with kube's exceeded-quota text, and charges the one under it", () => {
    const q = quota({ pods: "2", "requests.cpu": "1" }, { pods: "2", "requests.cpu": "200m" });
    const p = pod("p3", { requests: { cpu: "100m" } });
    expect(chargeQuota(q, "", "pods", p, objectUsage("", "pods", p))).toEqual({
      error: "exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2",
    });
    const roomy = quota({ pods: "3", "requests.cpu": "1" }, { pods: "2", "requests.cpu": "200m" });
    const r = chargeQuota(roomy, "", "pods", p, objectUsage("", "pods", p));
    expect(r && "used" in r && resourceListJson(r.used)).toEqual({ pods: "3", "requests.cpu": "300m" });
  });

  it("asks every container to request what the quota limits (must specify), and knows when usage is not counted yet", () => {
    const q = quota({ pods: "5", "limits.memory": "1Gi", "requests.cpu": "1" }, { pods: "0", "limits.memory": "0", "requests.cpu": "0" });
    const p = pod("x");
    expect(podConstraintError(p, ["pods", "limits.memory", "requests.cpu"])).toBe("must specify limits.memory for: app; requests.cpu for: app");
    expect(chargeQuota(q, "", "pods", p, objectUsage("", "pods", p))).toEqual({ error: "failed quota: q: must specify limits.memory for: app; requests.cpu for: app" });
    const fresh = { ...quota({ pods: "5" }), status: { hard: { pods: "5" } } };
    expect(chargeQuota(fresh, "", "pods", p, objectUsage("", "pods", p))).toEqual({ error: "status unknown for quota: q, resources: pods" });
  });

  it("charges an update only what it adds (a Service turning NodePort, never a negative)", () => {
    const svc = (type: string, ports: number) => ({ spec: { type, ports: Array.from({ length: ports }, (_, i) => ({ port: 80 + i })) } });
    const added = subtractUsage(objectUsage("", "services", svc("NodePort", 2)), objectUsage("", "services", svc("ClusterIP", 3)));
    expect(resourceListJson(added)).toEqual({ "count/services": "0", services: "0", "services.nodeports": "2" });
    const q = quota({ "services.nodeports": "1" }, { "services.nodeports": "0" });
    expect(chargeQuota(q, "", "services", svc("NodePort", 2), added)).toEqual({
      error: "exceeded quota: q, requested: services.nodeports=2, used: services.nodeports=0, limited: services.nodeports=1",
    });
  });

  it("recounts a namespace: zero for names nothing uses, memory in the pods' own units", () => {
    const pods = [pod("a", { requests: { memory: "128Mi" } }), pod("b", { requests: { memory: "128Mi" } }), pod("c", {}, "Failed")];
    const used = calculateUsage(quota({}), ["pods", "requests.memory", "services", "count/deployments.apps"], [
      { group: "", resource: "pods" }, { group: "", resource: "services" }, { group: "apps", resource: "deployments" },
    ], (_g, r) => (r === "pods" ? pods : []));
    expect(resourceListJson(used)).toEqual({ pods: "2", "requests.memory": "256Mi", services: "0", "count/deployments.apps": "0" });
  });
});

describe("LimitRange", () => {
  const info = findResource("", "v1", "limitranges")!;
  const lr = (limits: object[]) => applyDefaults(info, { metadata: { name: "lr", namespace: "team" }, spec: { limits } });

  it("defaults a Container item's default from max and defaultRequest from default, then min", () => {
    expect(lr([{ type: "Container", max: { cpu: "1" }, min: { memory: "64Mi" } }]).spec).toEqual({
      limits: [{ type: "Container", max: { cpu: "1" }, min: { memory: "64Mi" }, default: { cpu: "1" }, defaultRequest: { cpu: "1", memory: "64Mi" } }],
    });
  });

  it("validates with kube's field paths", () => {
    const bad = lr([{ type: "Pod", default: { cpu: "1" } }, { type: "Container", min: { cpu: "2" }, max: { cpu: "1" } }]);
    expect(validateObject(info, bad).map((c) => `${c.field}: ${c.message}`)).toEqual([
      "spec.limits[0].default: Forbidden: may not be specified when `type` is 'Pod'",
      'spec.limits[1].min[cpu]: Invalid value: "2": min value 2 is greater than max value 1',
      // default and defaultRequest were both defaulted from max
      'spec.limits[1].defaultRequest[cpu]: Invalid value: "1": min value 2 is greater than default request value 1',
      'spec.limits[1].default[cpu]: Invalid value: "1": min value 2 is greater than default value 1',
    ]);
  });

  it("sets container defaults with the limit-ranger annotation, then enforces max", () => {
    const range = lr([{ type: "Container", default: { cpu: "500m", memory: "256Mi" }, defaultRequest: { cpu: "100m" }, max: { cpu: "500m" } }]);
    const p = pod("x", { requests: { memory: "100Mi" } }) as Record<string, any>;
    expect(defaultPodFromLimitRange(p, range)).toBe(true);
    expect(p.spec.containers[0].resources).toEqual({ requests: { memory: "100Mi", cpu: "100m" }, limits: { cpu: "500m", memory: "256Mi" } });
    expect(p.metadata.annotations[LIMIT_RANGER_ANNOTATION]).toBe("LimitRanger plugin set: cpu request for container app; cpu, memory limit for container app");
    expect(podLimitRangeErrors(p, range)).toEqual([]);
    const big = pod("y", { limits: { cpu: "1" } });
    expect(aggregateMessage(podLimitRangeErrors(big, range))).toBe("maximum cpu usage per Container is 500m, but limit is 1");
    // A Pod item sizes the pod as kube's LimitRanger does: sidecars counted, the RuntimeClass overhead not
    const podMax = lr([{ type: "Pod", max: { cpu: "1" } }]);
    const withOverhead = { spec: { containers: [{ name: "app", resources: { limits: { cpu: "900m" } } }], overhead: { cpu: "200m" } } };
    expect(podLimitRangeErrors(withOverhead, podMax)).toEqual([]);
    const withSidecar = {
      spec: {
        containers: [{ name: "app", resources: { limits: { cpu: "900m" } } }],
        initContainers: [{ name: "proxy", restartPolicy: "Always", resources: { limits: { cpu: "200m" } } }],
      },
    };
    expect(aggregateMessage(podLimitRangeErrors(withSidecar, podMax))).toBe("maximum cpu usage per Pod is 1, but limit is 1100m");
    const claim = { spec: { resources: { requests: { storage: "5Gi" } } } };
    expect(claimLimitRangeErrors(claim, lr([{ type: "PersistentVolumeClaim", max: { storage: "2Gi" } }]))).toEqual([
      "maximum storage usage per PersistentVolumeClaim is 2Gi, but request is 5Gi",
    ]);
  });
});
