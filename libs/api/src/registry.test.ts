import { describe, expect, it } from "vitest";
import { apiVersionOf, findResource, findResourceByKind, resolveResourceName, resources } from "./registry.ts";

describe("registry", () => {
  it("has every resource once, with Kubernetes' names", () => {
    const keys = resources.map((r) => `${r.group}/${r.resource}`);
    expect(new Set(keys).size).toBe(keys.length);
    const short = Object.fromEntries(resources.map((r) => [`${r.group}/${r.resource}`, r.shortNames.join(",")]));
    expect(short).toMatchObject({ "/pods": "po", "/services": "svc", "apps/deployments": "deploy", "apps/replicasets": "rs", "/namespaces": "ns", "/nodes": "no", "/configmaps": "cm", "/events": "ev", "/serviceaccounts": "sa", "/endpoints": "ep", "/secrets": "", "coordination.k8s.io/leases": "", "/replicationcontrollers": "rc", "/podtemplates": "" });
    expect(resources.filter((r) => r.categories.includes("all")).map((r) => r.resource).sort()).toEqual(["cronjobs", "daemonsets", "deployments", "horizontalpodautoscalers", "jobs", "pods", "replicasets", "replicationcontrollers", "services", "statefulsets"]);
  });

  it("finds by path and by kind", () => {
    const d = findResource("apps", "v1", "deployments")!;
    expect(d.kind).toBe("Deployment");
    expect(d.listKind).toBe("DeploymentList");
    expect(apiVersionOf(d)).toBe("apps/v1");
    expect(findResourceByKind("apps/v1", "Deployment")).toBe(d);
    expect(findResourceByKind("v1", "Event")?.group).toBe("");
    expect(findResourceByKind("events.k8s.io/v1", "Event")?.group).toBe("events.k8s.io");
    expect(findResource("", "v1", "deployments")).toBeUndefined();
    expect(apiVersionOf(findResource("", "v1", "pods")!)).toBe("v1");
    expect(resolveResourceName("deploy").map((r) => r.resource)).toEqual(["deployments"]);
  });

  it("lists subresources and generation behaviour", () => {
    const pods = findResource("", "v1", "pods")!;
    expect(pods.subresources.map((s) => s.name).sort()).toEqual(["attach", "binding", "ephemeralcontainers", "eviction", "exec", "log", "portforward", "status"]);
    expect(pods.subresources.find((s) => s.name === "eviction")).toMatchObject({ kind: "Eviction", group: "policy", version: "v1" });
    expect(findResource("apps", "v1", "deployments")!.subresources.find((s) => s.name === "scale")).toMatchObject({ kind: "Scale", group: "autoscaling", version: "v1" });
    expect(findResource("", "v1", "namespaces")!.subresources.map((s) => s.name).sort()).toEqual(["finalize", "status"]);
    expect(findResource("", "v1", "configmaps")!.hasGeneration).toBe(false);
    expect(findResource("apps", "v1", "replicasets")!.hasGeneration).toBe(true);
    const rc = findResource("", "v1", "replicationcontrollers")!;
    expect(rc.subresources.map((s) => `${s.name}:${s.group}/${s.version}/${s.kind}`).sort()).toEqual(["scale:autoscaling/v1/Scale", "status:/v1/ReplicationController"]);
    expect(rc.hasGeneration).toBe(true);
    // A PodTemplate's generation moves with its template (podTemplateStrategy.PrepareForUpdate).
    expect(findResource("", "v1", "podtemplates")!.hasGeneration).toBe(true);
  });
});
