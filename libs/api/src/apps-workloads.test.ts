import { describe, expect, it } from "vitest";
import { applyDefaults, prepareForCreate, prepareForUpdate } from "./defaults.ts";
import { findResource, resolveResourceName } from "./registry.ts";
import { validateObject, validateUpdate } from "./validation.ts";

const DS = findResource("apps", "v1", "daemonsets")!;
const CR = findResource("apps", "v1", "controllerrevisions")!;
const STS = findResource("apps", "v1", "statefulsets")!;
const labels = { app: "agent" };
const template = (extra: Record<string, unknown> = {}) => ({ metadata: { labels }, spec: { containers: [{ name: "c", image: "busybox" }], ...extra } });
const daemonSet = (spec: Record<string, unknown>) => applyDefaults(DS, { metadata: { name: "agent", namespace: "default" }, spec }) as any;
const messages = (cs: { field: string; message: string }[]) => cs.map((c) => `${c.field}: ${c.message}`);

describe("apps/v1 DaemonSet and ControllerRevision registry", () => {
  it("serves daemonsets (ds, category all, status) and controllerrevisions", () => {
    expect(DS).toMatchObject({ kind: "DaemonSet", namespaced: true, shortNames: ["ds"], categories: ["all"], hasGeneration: true, subresources: [{ name: "status" }] });
    expect(resolveResourceName("ds")).toEqual([DS]);
    expect(CR).toMatchObject({ kind: "ControllerRevision", namespaced: true, shortNames: [], categories: [], hasGeneration: false });
    expect(resolveResourceName("controllerrevision")).toEqual([CR]);
  });
});

describe("DaemonSet defaults (SetDefaults_DaemonSet)", () => {
  it("defaults RollingUpdate 1/0, revisionHistoryLimit 10 and the pod template", () => {
    const ds = daemonSet({ selector: { matchLabels: labels }, template: template() });
    expect(ds.spec.updateStrategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
    expect(ds.spec.revisionHistoryLimit).toBe(10);
    expect(ds.spec.template.spec).toMatchObject({ restartPolicy: "Always", dnsPolicy: "ClusterFirst", schedulerName: "default-scheduler" });
    expect(daemonSet({ updateStrategy: { type: "OnDelete" } }).spec.updateStrategy).toEqual({ type: "OnDelete" });
    expect(daemonSet({ updateStrategy: { rollingUpdate: { maxSurge: "10%" } } }).spec.updateStrategy.rollingUpdate).toEqual({ maxUnavailable: 1, maxSurge: "10%" });
  });

  it("starts with the four always-present status counts and template generation 1, bumped by template changes only", () => {
    const ds = daemonSet({ selector: { matchLabels: labels }, template: template() });
    prepareForCreate(DS, ds);
    expect(ds.status).toEqual({ currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 });
    expect(ds.metadata.annotations).toEqual({ "deprecated.daemonset.template.generation": "1" });
    const same = structuredClone(ds);
    same.spec.minReadySeconds = 5;
    same.metadata.annotations["deprecated.daemonset.template.generation"] = "7"; // users cannot set it
    prepareForUpdate(DS, same, ds);
    expect(same.metadata.annotations["deprecated.daemonset.template.generation"]).toBe("1");
    const changed = structuredClone(ds);
    changed.spec.template.spec.containers[0].image = "busybox:1.36";
    prepareForUpdate(DS, changed, ds);
    expect(changed.metadata.annotations["deprecated.daemonset.template.generation"]).toBe("2");
  });
});

describe("DaemonSet validation (ValidateDaemonSetSpec)", () => {
  it("accepts a defaulted daemon set", () => {
    expect(validateObject(DS, daemonSet({ selector: { matchLabels: labels }, template: template() }))).toEqual([]);
  });

  it("reports kube's paths and messages", () => {
    expect(messages(validateObject(DS, daemonSet({ selector: { matchLabels: { app: "other" } }, template: template() })))).toEqual([
      'spec.template.metadata.labels: Invalid value: {"app":"agent"}: `selector` does not match template `labels`',
    ]);
    expect(messages(validateObject(DS, daemonSet({ template: template() })))).toEqual([
      'spec.template.metadata.labels: Invalid value: {"app":"agent"}: `selector` does not match template `labels`',
    ]);
    expect(messages(validateObject(DS, daemonSet({ selector: {}, template: template() })))).toEqual(["spec.selector: Invalid value: {}: empty selector is invalid for daemonset"]);
    const bad = daemonSet({
      selector: { matchLabels: labels },
      template: template({ restartPolicy: "Never", activeDeadlineSeconds: 5 }),
      minReadySeconds: -1,
      revisionHistoryLimit: -2,
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: "150%" } },
    });
    expect(messages(validateObject(DS, bad))).toEqual([
      'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
      "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in DaemonSet is not Supported",
      "spec.minReadySeconds: Invalid value: -1: must be greater than or equal to 0",
      'spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: "150%": must not be greater than 100%',
      'spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: "150%": may not be set when maxUnavailable is non-zero',
      "spec.revisionHistoryLimit: Invalid value: -2: must be greater than or equal to 0",
    ]);
    const zero = daemonSet({ selector: { matchLabels: labels }, template: template(), updateStrategy: { rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } } });
    expect(messages(validateObject(DS, zero))).toEqual(["spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0"]);
    const odd = daemonSet({ selector: { matchLabels: labels }, template: template(), updateStrategy: { type: "Sometimes" } });
    expect(messages(validateObject(DS, odd))).toEqual(['spec.updateStrategy: Unsupported value: {"type":"Sometimes"}: supported values: "RollingUpdate", "OnDelete"']);
  });

  it("keeps the selector immutable", () => {
    const old = daemonSet({ selector: { matchLabels: labels }, template: template() });
    const next = structuredClone(old);
    next.spec.selector = { matchLabels: { app: "agent", tier: "x" } };
    next.spec.template.metadata.labels = { app: "agent", tier: "x" };
    expect(messages(validateUpdate(DS, next, old))).toEqual(['spec.selector: Invalid value: {"matchLabels":{"app":"agent","tier":"x"}}: field is immutable']);
  });
});

describe("ControllerRevision validation", () => {
  const cr = { metadata: { name: "agent-5d8f", namespace: "default" }, data: { spec: { template: { $patch: "replace" } } }, revision: 1 };
  it("requires data and a non-negative revision", () => {
    expect(validateObject(CR, cr)).toEqual([]);
    expect(messages(validateObject(CR, { metadata: cr.metadata, revision: -1 }))).toEqual([
      "data: Required value: data is mandatory",
      "revision: Invalid value: -1: must be greater than or equal to 0",
    ]);
  });
  it("never changes its data, may change its revision", () => {
    expect(validateUpdate(CR, { ...cr, revision: 4 }, cr)).toEqual([]);
    expect(messages(validateUpdate(CR, { ...cr, data: { spec: {} } }, cr))).toEqual(['data: Invalid value: {"spec":{}}: field is immutable']);
  });
});

describe("StatefulSet defaults and validation", () => {
  const statefulSet = (spec: Record<string, unknown>, name = "db") => applyDefaults(STS, { metadata: { name, namespace: "default" }, spec }) as any;
  it("serves statefulsets (sts, category all, scale and status)", () => {
    expect(STS).toMatchObject({ kind: "StatefulSet", shortNames: ["sts"], categories: ["all"], hasGeneration: true });
    expect(STS.subresources.map((s) => s.name)).toEqual(["scale", "status"]);
  });

  it("defaults like SetDefaults_StatefulSet and starts with replicas/availableReplicas 0", () => {
    const sts = statefulSet({ selector: { matchLabels: labels }, template: template() });
    expect(sts.spec).toMatchObject({
      replicas: 1, revisionHistoryLimit: 10, podManagementPolicy: "OrderedReady",
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 0 } },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
    });
    expect(statefulSet({ updateStrategy: { type: "OnDelete" } }).spec.updateStrategy).toEqual({ type: "OnDelete" });
    prepareForCreate(STS, sts);
    expect(sts.status).toEqual({ replicas: 0, availableReplicas: 0 });
    expect(validateObject(STS, sts)).toEqual([]);
  });

  it("reports kube's paths and messages", () => {
    const bad = statefulSet({
      selector: { matchLabels: { app: "x" } },
      template: template({ activeDeadlineSeconds: 3 }),
      podManagementPolicy: "Sometimes",
      updateStrategy: { type: "OnDelete", rollingUpdate: { partition: 1 } },
      replicas: -1,
    });
    expect(messages(validateObject(STS, bad))).toEqual([
      'spec.podManagementPolicy: Invalid value: "Sometimes": must be \'OrderedReady\' or \'Parallel\'',
      'spec.updateStrategy.rollingUpdate: Invalid value: {"partition":1}: only allowed for updateStrategy \'RollingUpdate\'',
      "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
      'spec.template.metadata.labels: Invalid value: {"app":"agent"}: `selector` does not match template `labels`',
      "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in StatefulSet is not Supported",
    ]);
    expect(messages(validateObject(STS, statefulSet({ template: template() }))).slice(0, 1)).toEqual(["spec.selector: Required value"]);
    expect(messages(validateObject(STS, statefulSet({ selector: { matchLabels: labels }, template: template() }, "db.v1")))[0]).toMatch(/^metadata.name: Invalid value: "db.v1": a lowercase RFC 1123 label/);
  });

  it("only lets replicas, template, updateStrategy, ordinals, retention and minReadySeconds change", () => {
    const old = statefulSet({ selector: { matchLabels: labels }, template: template(), serviceName: "db" });
    const scaled = structuredClone(old);
    scaled.spec.replicas = 5;
    scaled.spec.template.spec.containers[0].image = "busybox:2";
    expect(validateUpdate(STS, scaled, old)).toEqual([]);
    const renamed = structuredClone(old);
    renamed.spec.serviceName = "other";
    expect(messages(validateUpdate(STS, renamed, old))).toEqual([
      "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    ]);
  });
});
