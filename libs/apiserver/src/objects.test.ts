import { describe, expect, it } from "vitest";
import { findResource } from "@kubeactor/api";
import { prepareCreate, prepareUpdate } from "./objects.ts";

const configMaps = findResource("", "v1", "configmaps")!;
const secrets = findResource("", "v1", "secrets")!;
const b64 = (s: string) => Buffer.from(s).toString("base64");

describe("Secret stringData", () => {
  it("is written into data base64-encoded, wins over data, and is never stored", () => {
    const created = prepareCreate(secrets, { metadata: { name: "s" }, data: { a: b64("old"), b: b64("kept") }, stringData: { a: "new", c: "ü" } }, "default");
    expect(created.data).toEqual({ a: b64("new"), b: b64("kept"), c: b64("ü") });
    expect(created).not.toHaveProperty("stringData");
    const updated = prepareUpdate(secrets, { metadata: { name: "s" }, stringData: { only: "x" } }, created, "main");
    expect([updated.data, updated.stringData]).toEqual([{ only: b64("x") }, undefined]);
  });
});

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
