import { describe, expect, it } from "vitest";
import {
  calculateStatus, maxScaledDown, maxSurge, maxUnavailable, newRSNewReplicas, podTemplateHash, proportion, resolveFenceposts,
  scaledValue, setNewReplicaSetAnnotations, templatesEqual,
} from "./deployment-util.ts";
import type { Obj } from "./util.ts";

const template = { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image: "nginx:1.25", ports: [{ containerPort: 80 }] }] } };
const deploy = (replicas: number, ru: Record<string, unknown> = {}, type = "RollingUpdate"): Obj =>
  ({ metadata: { name: "web", uid: "d", generation: 1 }, spec: { replicas, strategy: { type, rollingUpdate: ru }, template } }) as unknown as Obj;
const rs = (replicas: number, available = 0, annotations: Record<string, string> = {}): Obj =>
  ({ metadata: { name: "rs", uid: `u${Math.random()}`, annotations }, spec: { replicas }, status: { replicas, availableReplicas: available } }) as unknown as Obj;

describe("pod-template-hash", () => {
  it("is stable across key order and changes with the template or collision count", () => {
    const reordered = { spec: { containers: [{ ports: [{ containerPort: 80 }], image: "nginx:1.25", name: "web" }] }, metadata: { labels: { app: "web" } } };
    const h = podTemplateHash(template);
    expect(h).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    expect(podTemplateHash(reordered)).toBe(h);
    expect(podTemplateHash(template)).toBe(h);
    expect(podTemplateHash({ ...template, spec: { containers: [{ name: "web", image: "nginx:1.26" }] } })).not.toBe(h);
    expect(podTemplateHash(template, 1)).not.toBe(h);
  });
  it("templates compare equal ignoring the hash label", () => {
    const withHash = { ...template, metadata: { labels: { app: "web", "pod-template-hash": "abc" } } };
    expect(templatesEqual(withHash, template)).toBe(true);
    expect(templatesEqual(withHash, { ...template, metadata: { labels: { app: "api" } } })).toBe(false);
  });
});

describe("rollout arithmetic", () => {
  it("rounds surge up and unavailable down", () => {
    expect(scaledValue("25%", 10, true)).toBe(3);
    expect(scaledValue("25%", 10, false)).toBe(2);
    expect(resolveFenceposts("25%", "25%", 3)).toEqual({ surge: 1, unavailable: 0 });
    expect(resolveFenceposts(0, 0, 3)).toEqual({ surge: 0, unavailable: 1 });
    expect(resolveFenceposts("0%", "0%", 10)).toEqual({ surge: 0, unavailable: 1 });
    expect(resolveFenceposts(2, "50%", 5)).toEqual({ surge: 2, unavailable: 2 });
    expect(() => scaledValue("abc", 3, true)).toThrow();
  });
  it("maxSurge/maxUnavailable per strategy", () => {
    expect(maxSurge(deploy(10))).toBe(3);
    expect(maxUnavailable(deploy(10))).toBe(2);
    expect(maxUnavailable(deploy(2, { maxUnavailable: 5, maxSurge: 1 }))).toBe(2);
    expect(maxSurge(deploy(10, {}, "Recreate"))).toBe(0);
    expect(maxUnavailable(deploy(10, {}, "Recreate"))).toBe(0);
  });
  it("scales the new RS up within maxSurge", () => {
    const d = deploy(3, { maxSurge: 1, maxUnavailable: 0 });
    const old = rs(3, 3), fresh = rs(0);
    expect(newRSNewReplicas(d, [old, fresh], fresh)).toBe(1);
    const fresh2 = rs(1);
    expect(newRSNewReplicas(d, [old, fresh2], fresh2)).toBe(1); // 4 pods already = 3 + surge
    expect(newRSNewReplicas(d, [rs(2, 2), fresh2], fresh2)).toBe(2);
    expect(newRSNewReplicas(deploy(3, {}, "Recreate"), [old, fresh], fresh)).toBe(3);
  });
  it("scales old RSes down only as far as maxUnavailable allows", () => {
    const d = deploy(3, { maxSurge: 1, maxUnavailable: 0 });
    const fresh = rs(1, 0);
    expect(maxScaledDown(d, [rs(3, 3), fresh], fresh)).toBe(0); // new pod not available yet
    const ready = rs(1, 1);
    expect(maxScaledDown(d, [rs(3, 3), ready], ready)).toBe(1);
  });
  it("shares a scale-up proportionally by the max-replicas annotation", () => {
    const d = deploy(20, { maxSurge: 3, maxUnavailable: 0 });
    const a = rs(8, 0, { "deployment.kubernetes.io/max-replicas": "13" });
    expect(proportion(a, d, 10, 0)).toBe(Math.round((8 * 23) / 13) - 8);
    expect(proportion(a, d, 2, 0)).toBe(2);
  });
});

describe("revisions and status", () => {
  it("bumps the revision and keeps history, copying annotations", () => {
    const d = { ...deploy(3), metadata: { name: "web", uid: "d", annotations: { "kubernetes.io/change-cause": "v2", "deployment.kubernetes.io/revision": "2" } } } as unknown as Obj;
    const r = rs(0, 0, { "deployment.kubernetes.io/revision": "1" });
    expect(setNewReplicaSetAnnotations(d, r, 3, true)).toBe(true);
    expect(r.metadata.annotations).toMatchObject({ "deployment.kubernetes.io/revision": "3", "deployment.kubernetes.io/revision-history": "1", "kubernetes.io/change-cause": "v2" });
    expect(setNewReplicaSetAnnotations(d, r, 3, true)).toBe(false);
  });
  it("calculates status like kubectl reads it", () => {
    const d = deploy(3);
    const newRS = { ...rs(3, 3), status: { replicas: 3, readyReplicas: 3, availableReplicas: 3 } } as Obj;
    const s = calculateStatus([newRS], newRS, d);
    expect(s).toMatchObject({ observedGeneration: 1, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 });
    expect(s.unavailableReplicas).toBeUndefined();
    expect(s.conditions[0]).toMatchObject({ type: "Available", status: "True", reason: "MinimumReplicasAvailable" });
    const s2 = calculateStatus([rs(3, 0)], undefined, d);
    expect(s2).toMatchObject({ unavailableReplicas: 3 });
    expect(s2.conditions[0]).toMatchObject({ type: "Available", status: "False", reason: "MinimumReplicasUnavailable" });
  });
});
