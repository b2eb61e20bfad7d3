import { describe, expect, it } from "vitest";
import { fieldsOf, findResource, matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from "@kubeactor/api";
import { selectorPrecheck } from "./selector-precheck.ts";

const pods = findResource("", "v1", "pods")!;
const replicaSets = findResource("apps", "v1", "replicasets")!;

const pod = (name: string, labels: Record<string, string> | undefined, spec: Record<string, unknown>, status: Record<string, unknown> = {}) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "default", ...(labels ? { labels } : {}) },
  spec,
  status,
});

const objects = [
  pod("a", { app: "web", tier: "front" }, { nodeName: "node-7" }, { phase: "Running" }),
  pod("b", { app: "web" }, { nodeName: "node-70", hostNetwork: true }),
  pod("c", { app: "db", "example.com/role": "primary" }, {}),
  pod("d", undefined, { nodeName: 'we"ird\\node' }),
  pod("e", { app: "" }, { restartPolicy: "Never" }),
  pod("ünï", { app: "web.v2" }, {}),
];

const labelSelectors = ["app=web", "app==db", "app in (web,db)", "app", "!app", "app!=web", "app notin (web)", "tier=front,app=web", "app=", "example.com/role=primary", "x=y"];
const fieldSelectors = [
  "spec.nodeName=node-7",
  "spec.nodeName==node-70",
  "spec.nodeName!=node-7",
  "spec.nodeName=",
  'spec.nodeName=we"ird\\\\node',
  "status.phase=Running",
  "spec.hostNetwork=true",
  "spec.hostNetwork=false",
  "metadata.name=ünï",
  "metadata.name=zzz",
  "spec.restartPolicy=Never,status.phase=",
];

describe("selectorPrecheck", () => {
  it("passes every object a label selector matches, and refuses some that it does not", () => {
    let refused = 0;
    for (const text of labelSelectors) {
      const sel = parseLabelSelector(text);
      const check = selectorPrecheck(sel, undefined);
      for (const o of objects) {
        const matches = matchesLabels(sel, o.metadata.labels ?? {});
        const passes = check ? check(JSON.stringify(o)) : true;
        if (matches) expect(passes, `${text} on ${o.metadata.name}`).toBe(true);
        if (!passes) refused++;
      }
    }
    expect(refused).toBeGreaterThan(5);
  });

  it("passes every object a field selector matches, including values read from absent fields", () => {
    let refused = 0;
    for (const text of fieldSelectors) {
      const sel = parseFieldSelector(text);
      const check = selectorPrecheck(undefined, sel);
      for (const o of objects) {
        const matches = matchesFields(sel, fieldsOf(pods, o));
        const passes = check ? check(JSON.stringify(o)) : true;
        if (matches) expect(passes, `${text} on ${o.metadata.name}`).toBe(true);
        if (!passes) refused++;
      }
    }
    expect(refused).toBeGreaterThan(5);
  });

  it("does not refuse a count that is absent from the text (status.replicas=0)", () => {
    const rs = { apiVersion: "apps/v1", kind: "ReplicaSet", metadata: { name: "r", namespace: "default" }, status: {} };
    const sel = parseFieldSelector("status.replicas=0");
    expect(matchesFields(sel, fieldsOf(replicaSets, rs))).toBe(true);
    expect(selectorPrecheck(undefined, sel)).toBeUndefined();
    const three = parseFieldSelector("status.replicas=3");
    expect(selectorPrecheck(undefined, three)!(JSON.stringify({ ...rs, status: { replicas: 3 } }))).toBe(true);
  });
});
