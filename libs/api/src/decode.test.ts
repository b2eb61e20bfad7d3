import { describe, expect, it } from "vitest";
import { decodeObject } from "./decode.ts";
import { findResource } from "./registry.ts";

const deployments = findResource("apps", "v1", "deployments")!;
const services = findResource("", "v1", "services")!;
const pods = findResource("", "v1", "pods")!;

describe("decodeObject", () => {
  it("keeps unknown fields and drops nulls", () => {
    const r = decodeObject(deployments, {
      apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", creationTimestamp: null, extra: 1 },
      spec: { template: { spec: { containers: [{ name: "c", image: "nginx", futureField: { a: 1 } }] } } }, status: {}, x: "y",
    });
    expect(r).toEqual({
      ok: true,
      value: { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", extra: 1 }, spec: { template: { spec: { containers: [{ name: "c", image: "nginx", futureField: { a: 1 } }] } } }, status: {}, x: "y" },
    });
  });

  it("reports type errors with Kubernetes-like paths and messages", () => {
    const r = decodeObject(deployments, {
      spec: { replicas: "abc", template: { spec: { containers: [{ name: "a", ports: [{ containerPort: "x" }] }] } } },
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.causes).toContainEqual({ reason: "FieldValueTypeInvalid", field: "spec.replicas", message: 'Invalid value: "abc": spec.replicas in body must be of type integer: "string"' });
    expect(r.causes.map((c) => c.field)).toContain("spec.template.spec.containers[0].ports[0].containerPort");
  });

  it("accepts int-or-string and string-or-number quantities", () => {
    expect(decodeObject(services, { spec: { ports: [{ port: 80, targetPort: "http" }, { port: 81, targetPort: 8081 }] } }).ok).toBe(true);
    expect(decodeObject(pods, { spec: { containers: [{ name: "c", resources: { limits: { cpu: 1, memory: "1Gi" } } }] } }).ok).toBe(true);
    const bad = decodeObject(services, { spec: { ports: [{ port: 80, targetPort: true }] } });
    expect(bad.ok).toBe(false);
  });

  it("checks apiVersion and kind and the body type", () => {
    const r = decodeObject(deployments, { apiVersion: "v1", kind: "Pod" });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.causes.map((c) => c.field)).toEqual(["apiVersion", "kind"]);
    expect(decodeObject(deployments, "nope").ok).toBe(false);
    expect(decodeObject(deployments, {}).ok).toBe(true);
  });

  it("decodes every registered kind's minimal object", () => {
    expect(decodeObject(findResource("", "v1", "configmaps")!, { metadata: { name: "x", labels: { a: "b" } }, data: { k: "v" } }).ok).toBe(true);
    expect(decodeObject(findResource("", "v1", "configmaps")!, { data: { k: 1 } })).toMatchObject({ ok: false, causes: [{ field: "data[k]" }] });
    expect(decodeObject(findResource("coordination.k8s.io", "v1", "leases")!, { spec: { holderIdentity: "n1", leaseDurationSeconds: 40 } }).ok).toBe(true);
  });
});
