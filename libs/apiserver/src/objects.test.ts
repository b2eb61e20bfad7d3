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

const causesOf = (f: () => unknown): string[] => {
  try {
    f();
  } catch (e) {
    return ((e as { status: { details: { causes: { field: string; message: string }[] } } }).status.details.causes ?? []).map((c) => `${c.field}: ${c.message}`);
  }
  return [];
};

describe("an invalid update", () => {
  it("names each problem once", () => {
    const current = prepareCreate(configMaps, { metadata: { name: "x" } }, "default");
    expect(causesOf(() => prepareUpdate(configMaps, { metadata: { name: "x", labels: { "bad key!": "v" } } }, current, "main"))).toHaveLength(1);
  });
});

describe("a pod's ephemeral containers", () => {
  const pods = findResource("", "v1", "pods")!;
  const pod = () => prepareCreate(pods, { metadata: { name: "p" }, spec: { containers: [{ name: "app", image: "nginx" }] } }, "default");
  const debug = (name: string, extra: object = {}) => ({ name, image: "busybox", targetContainerName: "app", ...extra });
  const withEphemeral = (p: Record<string, any>, ephemeral: object[]) => ({ ...p, spec: { ...p.spec, ephemeralContainers: ephemeral } });

  it("cannot be set on create, nor through the pod itself", () => {
    expect(causesOf(() => prepareCreate(pods, { metadata: { name: "p" }, spec: { containers: [{ name: "app", image: "nginx" }], ephemeralContainers: [debug("d")] } }, "default"))).toEqual([
      "spec.ephemeralContainers: Forbidden: cannot be set on create",
    ]);
    const current = pod();
    expect(causesOf(() => prepareUpdate(pods, withEphemeral(current, [debug("d")]), current, "main"))[0]).toMatch(/^spec: Forbidden: pod updates may not change fields/);
  });

  it("are added through /ephemeralcontainers, which changes nothing else and bumps the generation", () => {
    const current = pod();
    const body = withEphemeral({ ...current, spec: { ...(current.spec as object), activeDeadlineSeconds: 5 } }, [debug("d")]);
    const next = prepareUpdate(pods, body, current, "ephemeralcontainers") as Record<string, any>;
    expect(next.spec.ephemeralContainers).toEqual([expect.objectContaining({ name: "d", image: "busybox", targetContainerName: "app", terminationMessagePolicy: "File" })]);
    expect(next.spec).not.toHaveProperty("activeDeadlineSeconds");
    expect(next.metadata.generation).toBe(2);
  });

  it("are validated as kube does: unique names, a target that exists, no ports or probes; existing ones never change or go", () => {
    const current = pod();
    expect(
      causesOf(() =>
        prepareUpdate(pods, withEphemeral(current, [debug("app", { targetContainerName: "nope", ports: [{ containerPort: 80 }], readinessProbe: { tcpSocket: { port: 80 } } })]), current, "ephemeralcontainers"),
      ),
    ).toEqual([
      'spec.ephemeralContainers[0].name: Duplicate value: "app"',
      'spec.ephemeralContainers[0].targetContainerName: Not found: "nope"',
      "spec.ephemeralContainers[0].ports: Forbidden: cannot be set for an Ephemeral Container",
      "spec.ephemeralContainers[0].readinessProbe: Forbidden: cannot be set for an Ephemeral Container",
    ]);
    const one = prepareUpdate(pods, withEphemeral(current, [debug("d")]), current, "ephemeralcontainers");
    expect(causesOf(() => prepareUpdate(pods, withEphemeral(one, []), one, "ephemeralcontainers"))).toEqual([
      'spec.ephemeralContainers: Forbidden: existing ephemeral containers "d" may not be removed',
    ]);
    expect(causesOf(() => prepareUpdate(pods, withEphemeral(one, [debug("d", { image: "alpine" })]), one, "ephemeralcontainers"))).toEqual([
      'spec.ephemeralContainers: Forbidden: existing ephemeral containers "d" may not be changed',
    ]);
  });
});
