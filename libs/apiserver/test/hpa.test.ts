/**
 * HorizontalPodAutoscalers through the REST API: kubectl 1.32's protobuf
 * `autoscale` body is created at autoscaling/v1 with the oracle's content;
 * kubectl 1.33's autoscaling/v2 body finds no such resource (the 404 that
 * makes it fall back to v1); the bus API serves the scale subresource.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMemoryCluster, type TestCluster } from "@kubeactor/testing";

const fixture = (minor: number, file: string) => readFileSync(join(import.meta.dirname, "..", "src", "protobuf", "fixtures", `kubectl-1.${minor}`, file));
const PB = { "Content-Type": "application/vnd.kubernetes.protobuf" };
const DEPLOYMENTS = { group: "apps", version: "v1", resource: "deployments" };

describe("HorizontalPodAutoscalers over REST", () => {
  let c: TestCluster;
  beforeAll(async () => {
    c = await startMemoryCluster();
  });
  afterAll(() => c?.stop());

  it("creates kubectl 1.32's protobuf autoscale body as autoscaling/v1", async () => {
    const res = await fetch(`${c.url}/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers`, { method: "POST", headers: PB, body: fixture(32, "autoscale.pb") });
    expect(res.status).toBe(201);
    const oracle = JSON.parse(fixture(32, "autoscale.json").toString());
    expect(await res.json()).toMatchObject({ apiVersion: "autoscaling/v1", kind: "HorizontalPodAutoscaler", metadata: { name: "web", generation: 1 }, spec: oracle.spec, status: oracle.status });
  });

  it("answers kubectl 1.33's autoscaling/v2 create with 404", async () => {
    const res = await fetch(`${c.url}/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers`, { method: "POST", headers: PB, body: fixture(33, "autoscale.pb") });
    expect(res.status).toBe(404);
  });

  it("serves a deployment's scale on the bus API", async () => {
    await c.api.create(DEPLOYMENTS, "default", {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web" },
      spec: { replicas: 2, selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "nginx" }] } } },
    });
    const scale = (await c.api.getScale(DEPLOYMENTS, "default", "web")) as any;
    expect(scale).toMatchObject({ kind: "Scale", apiVersion: "autoscaling/v1", spec: { replicas: 2 }, status: { selector: "app=web" } });
    expect(await c.api.updateScale(DEPLOYMENTS, "default", { ...scale, spec: { replicas: 5 } })).toMatchObject({ spec: { replicas: 5 } });
    expect(((await c.api.get(DEPLOYMENTS, "default", "web")) as any).spec.replicas).toBe(5);
    await expect(c.api.getScale({ group: "", version: "v1", resource: "configmaps" }, "default", "web")).rejects.toMatchObject({ status: { code: 404 } });
  });
});
