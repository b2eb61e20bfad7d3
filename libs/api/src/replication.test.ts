import { describe, expect, it } from "vitest";
import { applyDefaults } from "./defaults.ts";
import { findResource, resolveResourceName } from "./registry.ts";
import { validateObject, validateUpdate } from "./validation.ts";

const RC = findResource("", "v1", "replicationcontrollers")!;
const PT = findResource("", "v1", "podtemplates")!;
const labels = { app: "web" };
const template = (extra: Record<string, unknown> = {}, templateLabels: Record<string, string> | null = labels) => ({
  metadata: templateLabels ? { labels: templateLabels } : {},
  spec: { containers: [{ name: "c", image: "nginx" }], ...extra },
});
const rc = (spec: Record<string, unknown>, metadata: Record<string, unknown> = {}) =>
  applyDefaults(RC, { apiVersion: "v1", kind: "ReplicationController", metadata: { name: "web", namespace: "default", ...metadata }, spec }) as any;
const messages = (cs: { field: string; message: string }[]) => cs.map((c) => `${c.field}: ${c.message}`);

describe("core/v1 ReplicationController and PodTemplate registry", () => {
  it("serves replicationcontrollers (rc, category all, status and scale) and podtemplates", () => {
    expect(RC).toMatchObject({ kind: "ReplicationController", listKind: "ReplicationControllerList", namespaced: true, shortNames: ["rc"], categories: ["all"] });
    expect(resolveResourceName("rc")).toEqual([RC]);
    expect(PT).toMatchObject({ kind: "PodTemplate", namespaced: true, shortNames: [], categories: [] });
    expect(resolveResourceName("podtemplate")).toEqual([PT]);
  });
});

describe("ReplicationController defaults (SetDefaults_ReplicationController)", () => {
  it("takes selector and object labels from the template when empty, replicas 1, and defaults the pod template", () => {
    const o = rc({ template: template() });
    expect(o.spec.selector).toEqual(labels);
    expect(o.metadata.labels).toEqual(labels);
    expect(o.spec.replicas).toBe(1);
    expect(o.spec.template.spec).toMatchObject({ restartPolicy: "Always", dnsPolicy: "ClusterFirst", schedulerName: "default-scheduler" });
    expect(o.spec.template.spec.containers[0]).toMatchObject({ imagePullPolicy: "Always", terminationMessagePath: "/dev/termination-log" });
  });

  it("keeps a given selector, labels and replicas (zero included)", () => {
    const o = rc({ replicas: 0, selector: { app: "web" }, template: template({}, { app: "web", tier: "front" }) }, { labels: { team: "a" } });
    expect(o.spec.selector).toEqual({ app: "web" });
    expect(o.metadata.labels).toEqual({ team: "a" });
    expect(o.spec.replicas).toBe(0);
  });

  it("without template labels nothing is copied", () => {
    const o = rc({ template: template({}, null) });
    expect(o.spec.selector).toBeUndefined();
    expect(o.metadata.labels).toBeUndefined();
  });
});

describe("ReplicationController validation (ValidateReplicationControllerSpec)", () => {
  it("accepts a defaulted controller", () => {
    expect(validateObject(RC, rc({ replicas: 3, template: template() }))).toEqual([]);
    expect(validateObject(RC, rc({ selector: labels, template: template({}, { app: "web", tier: "front" }) }))).toEqual([]);
  });

  it("reports kube's paths and messages", () => {
    expect(messages(validateObject(RC, rc({ selector: { app: "other" }, template: template() })))).toEqual([
      'spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not match template `labels`',
    ]);
    expect(messages(validateObject(RC, rc({ template: template({}, null) })))).toEqual(["spec.selector: Required value"]);
    expect(messages(validateObject(RC, rc({ selector: labels })))).toEqual(["spec.template: Required value"]);
    expect(messages(validateObject(RC, rc({ replicas: -1, minReadySeconds: -2, template: template() })))).toEqual([
      "spec.minReadySeconds: Invalid value: -2: must be greater than or equal to 0",
      "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
    ]);
    expect(messages(validateObject(RC, rc({ template: template({ restartPolicy: "Never", activeDeadlineSeconds: 5 }) })))).toEqual([
      'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
      "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicationController is not Supported",
    ]);
  });

  it("lets the selector change on update (unlike a ReplicaSet's)", () => {
    const old = rc({ template: template({}, { app: "web", v: "1" }) });
    const next = structuredClone(old);
    next.spec.selector = { app: "web", v: "1" };
    expect(validateUpdate(RC, next, old)).toEqual([]);
  });
});

describe("PodTemplate validation (ValidatePodTemplate)", () => {
  const pt = (t: unknown) => applyDefaults(PT, { apiVersion: "v1", kind: "PodTemplate", metadata: { name: "t", namespace: "default" }, template: t }) as any;
  it("defaults and validates the template as a pod's", () => {
    const ok = pt(template({ restartPolicy: "Never" }));
    expect(ok.template.spec).toMatchObject({ restartPolicy: "Never", dnsPolicy: "ClusterFirst" });
    expect(validateObject(PT, ok)).toEqual([]);
    expect(messages(validateObject(PT, pt({ metadata: { labels: { "bad key!": "x" } }, spec: { containers: [] } })))).toEqual([
      expect.stringMatching(/^template\.metadata\.labels: Invalid value: "bad key!": /),
      "template.spec.containers: Required value",
    ]);
  });
});
