import { describe, expect, it } from "vitest";
import { applyDefaults } from "./defaults.ts";
import { findResource } from "./registry.ts";
import { DNS1123_SUBDOMAIN_ERROR, POD_UPDATE_FORBIDDEN, validateObject, validateUpdate } from "./validation.ts";

const R = {
  cm: findResource("", "v1", "configmaps")!,
  ns: findResource("", "v1", "namespaces")!,
  pod: findResource("", "v1", "pods")!,
  svc: findResource("", "v1", "services")!,
  secret: findResource("", "v1", "secrets")!,
  deploy: findResource("apps", "v1", "deployments")!,
};
const fields = (cs: { field: string }[]) => cs.map((c) => c.field);
const deployment = (over: Record<string, unknown> = {}) =>
  applyDefaults(R.deploy, {
    metadata: { name: "web", namespace: "default" },
    spec: { selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "nginx", image: "nginx" }] } }, ...over },
  });
const pod = (spec: Record<string, unknown> = {}) =>
  applyDefaults(R.pod, { metadata: { name: "p", namespace: "default" }, spec: { containers: [{ name: "c", image: "busybox" }], ...spec } });

describe("validateObject", () => {
  it("checks names with Kubernetes' messages", () => {
    expect(validateObject(R.cm, { metadata: { namespace: "default" } })).toEqual([
      { reason: "FieldValueRequired", field: "metadata.name", message: "Required value: name or generateName is required" },
    ]);
    expect(validateObject(R.cm, { metadata: { generateName: "x-", namespace: "default" } })).toEqual([]);
    expect(validateObject(R.cm, { metadata: { name: "Bad_Name", namespace: "default" } })).toEqual([
      { reason: "FieldValueInvalid", field: "metadata.name", message: `Invalid value: "Bad_Name": ${DNS1123_SUBDOMAIN_ERROR}` },
    ]);
    expect(DNS1123_SUBDOMAIN_ERROR).toBe(
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    );
    expect(validateObject(R.ns, { metadata: { name: "a.b" } })[0]?.message).toContain("RFC 1123 label");
    expect(validateObject(R.cm, { metadata: { name: "x" } })).toEqual([{ reason: "FieldValueRequired", field: "metadata.namespace", message: "Required value" }]);
  });

  it("checks labels, annotations and config keys", () => {
    const cs = validateObject(R.cm, {
      metadata: { name: "x", namespace: "d", labels: { "bad key": "v", ok: "-bad", ["a".repeat(64)]: "x" }, annotations: { big: "x".repeat(300 * 1024) } },
      data: { "bad/key": "v", ok: "v" },
    });
    expect(fields(cs)).toEqual(["metadata.labels", "metadata.labels", "metadata.labels", "metadata.annotations", "data[bad/key]"]);
    expect(cs[2]!.message).toContain("name part must be no more than 63 characters");
    expect(cs[3]!.message).toBe("Too long: must have at most 262144 bytes");
  });

  it("validates Deployments", () => {
    expect(validateObject(R.deploy, deployment())).toEqual([]);
    const mismatch = validateObject(R.deploy, deployment({ selector: { matchLabels: { app: "other" } } }));
    expect(mismatch).toEqual([
      { reason: "FieldValueInvalid", field: "spec.template.metadata.labels", message: 'Invalid value: {"app":"web"}: `selector` does not match template `labels`' },
    ]);
    expect(fields(validateObject(R.deploy, deployment({ replicas: -1 })))).toEqual(["spec.replicas"]);
    const zero = validateObject(R.deploy, deployment({ strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 0, maxUnavailable: "0%" } } }));
    expect(zero[0]!.message).toBe('Invalid value: "0%": may not be 0 when `maxSurge` is 0');
    const noSel = validateObject(R.deploy, applyDefaults(R.deploy, { metadata: { name: "w", namespace: "d" }, spec: { template: { spec: { containers: [{ name: "c", image: "i" }] } } } }));
    expect(noSel).toContainEqual({ reason: "FieldValueRequired", field: "spec.selector", message: "Required value" });
  });

  it("validates pod specs: containers, ports, restartPolicy, resources", () => {
    expect(validateObject(R.pod, pod())).toEqual([]);
    const cs = validateObject(
      R.pod,
      pod({
        restartPolicy: "Sometimes",
        containers: [
          { name: "c", image: "", ports: [{ containerPort: 70000 }] },
          { name: "c", image: "x", resources: { limits: { cpu: "1" }, requests: { cpu: "2", memory: "abc" } } },
        ],
      }),
    );
    expect(cs).toContainEqual({ reason: "FieldValueRequired", field: "spec.containers[0].image", message: "Required value" });
    expect(cs).toContainEqual({ reason: "FieldValueInvalid", field: "spec.containers[0].ports[0].containerPort", message: "Invalid value: 70000: must be between 1 and 65535, inclusive" });
    expect(cs).toContainEqual({ reason: "FieldValueDuplicate", field: "spec.containers[1].name", message: 'Duplicate value: "c"' });
    expect(cs).toContainEqual({ reason: "FieldValueInvalid", field: "spec.containers[1].resources.requests", message: 'Invalid value: "2": must be less than or equal to cpu limit of 1' });
    expect(cs.find((c) => c.field === "spec.containers[1].resources.requests[memory]")?.message).toContain("quantities must match the regular expression");
    expect(cs).toContainEqual({ reason: "FieldValueNotSupported", field: "spec.restartPolicy", message: 'Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"' });
  });

  it("validates Services", () => {
    const ok = applyDefaults(R.svc, { metadata: { name: "web", namespace: "d" }, spec: { selector: { app: "web" }, ports: [{ port: 80, targetPort: "http" }] } });
    expect(validateObject(R.svc, ok)).toEqual([]);
    const bad = applyDefaults(R.svc, { metadata: { name: "1web", namespace: "d" }, spec: { ports: [{ port: 0 }, { port: 80, nodePort: 30000 }] } });
    expect(fields(validateObject(R.svc, bad))).toEqual(["metadata.name", "spec.ports[0].name", "spec.ports[0].port", "spec.ports[0].targetPort", "spec.ports[1].name", "spec.ports[1].nodePort"]);
  });
});

describe("validateUpdate", () => {
  it("keeps Deployment selectors and metadata immutable", () => {
    const old = { ...deployment(), metadata: { name: "web", namespace: "default", uid: "u1" } };
    const changed = { ...deployment({ selector: { matchLabels: { app: "web", x: "y" } } }), metadata: { name: "web", namespace: "default", uid: "u2" } };
    const cs = validateUpdate(R.deploy, changed, old);
    expect(cs.filter((c) => c.message.endsWith("field is immutable")).map((c) => c.field)).toEqual(["metadata.uid", "spec.selector"]);
  });

  it("allows only Kubernetes' mutable pod fields", () => {
    const old = pod({ tolerations: [{ key: "a", operator: "Exists", effect: "NoSchedule" }] });
    const imageChange = structuredClone(old) as any;
    imageChange.spec.containers[0].image = "busybox:2";
    imageChange.spec.tolerations.push({ key: "b", operator: "Exists", effect: "NoExecute" });
    imageChange.spec.activeDeadlineSeconds = undefined;
    expect(validateUpdate(R.pod, imageChange, old)).toEqual([]);
    const other = structuredClone(old) as any;
    other.spec.restartPolicy = "Never";
    expect(validateUpdate(R.pod, other, old)).toEqual([{ reason: "FieldValueForbidden", field: "spec", message: `Forbidden: ${POD_UPDATE_FORBIDDEN}` }]);
  });

  it("enforces immutable ConfigMaps/Secrets and Service clusterIP", () => {
    const old = { metadata: { name: "c", namespace: "d" }, immutable: true, data: { a: "1" } };
    expect(fields(validateUpdate(R.cm, { ...old, data: { a: "2" } }, old))).toEqual(["data"]);
    expect(fields(validateUpdate(R.secret, { ...old, type: "Opaque", data: { a: "Mg==" } }, { ...old, type: "Opaque", data: { a: "MQ==" } }))).toEqual(["data"]);
    const svc = applyDefaults(R.svc, { metadata: { name: "s", namespace: "d" }, spec: { clusterIP: "10.0.0.1", ports: [{ port: 80 }] } }) as any;
    const moved = structuredClone(svc);
    moved.spec.clusterIP = "10.0.0.2";
    expect(validateUpdate(R.svc, moved, svc)).toEqual([{ reason: "FieldValueInvalid", field: "spec.clusterIP", message: 'Invalid value: "10.0.0.2": field is immutable' }]);
  });
});

describe("RuntimeClass validation", () => {
  const rc = findResource("node.k8s.io", "v1", "runtimeclasses")!;
  it("requires a DNS-label handler", () => {
    expect(validateObject(rc, { metadata: { name: "fast" }, handler: "runc" })).toEqual([]);
    expect(validateObject(rc, { metadata: { name: "fast" } })).toEqual([{ reason: "FieldValueRequired", field: "handler", message: "Required value" }]);
    expect(validateObject(rc, { metadata: { name: "fast" }, handler: "Run_C" })[0]).toMatchObject({ field: "handler", reason: "FieldValueInvalid" });
  });
});
