import { describe, expect, it } from "vitest";
import { findResource } from "@kubeactor/api";
import { prepareCreate, prepareUpdate } from "./objects.ts";

const configMaps = findResource("", "v1", "configmaps")!;

describe("ObjectMeta's empty maps and lists", () => {
  it("are dropped as Kubernetes' omitempty drops them (kubectl label x tier- leaves no labels: {})", () => {
    const current = prepareCreate(configMaps, { metadata: { name: "x", labels: { tier: "a" }, annotations: { n: "1" } } }, "default");
    const next = prepareUpdate(configMaps, { metadata: { name: "x", labels: {}, annotations: {}, finalizers: [], ownerReferences: [] } }, current, "main");
    expect(next.metadata).not.toHaveProperty("labels");
    expect(next.metadata).not.toHaveProperty("annotations");
    expect(next.metadata).not.toHaveProperty("finalizers");
    expect(next.metadata).not.toHaveProperty("ownerReferences");
    expect(prepareUpdate(configMaps, { metadata: { name: "x", labels: { t: "b" } } }, current, "main").metadata).toMatchObject({ labels: { t: "b" } });
  });
});
