import * as Arbitrary from "effect/Arbitrary";
import * as Either from "effect/Either";
import * as FastCheck from "effect/FastCheck";
import * as Schema from "effect/Schema";
import { describe, expect, it } from "vitest";
import { decodeObject, stripNulls } from "./decode.ts";
import { apiVersionOf, findResource, type ResourceInfo, resources } from "./registry.ts";

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

describe("decodeObject's quick check", () => {
  // The quick path may only say yes where the effect decoder says yes; every
  // "no" goes to the decoder. Generated objects of every kind, valid and then
  // corrupted in one place, must get the decoder's answer.
  const corrupt = (v: unknown, pick: number, replacement: unknown): unknown => {
    let n = 0;
    const walk = (x: unknown): unknown => {
      if (n++ === pick) return replacement;
      if (Array.isArray(x)) return x.map(walk);
      if (x !== null && typeof x === "object") return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, walk(y)]));
      return x;
    };
    return walk(v);
  };
  const decoderSays = (info: ResourceInfo, v: unknown): boolean => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) return false; // decodeObject wants an object body
    const o = stripNulls(v) as Record<string, unknown>;
    if (typeof o.apiVersion === "string" && o.apiVersion !== apiVersionOf(info)) return false;
    if (typeof o.kind === "string" && o.kind !== info.kind) return false;
    return Either.isRight(Schema.decodeUnknownEither(info.schema, { onExcessProperty: "preserve", errors: "all" })(o));
  };
  const replacements = FastCheck.constantFrom<unknown>("x", 1, 1.5, -2, true, [], {}, ["a"], [1], { a: "b" }, { a: 1 }, null);
  for (const info of resources) {
    it(`agrees with the decoder for ${info.kind} (${apiVersionOf(info)})`, () => {
      FastCheck.assert(
        FastCheck.property(Arbitrary.make(info.schema), FastCheck.nat(200), replacements, (generated, pick, replacement) => {
          // (a random apiVersion or kind would send every case to the decoder)
          const value = { ...(generated as object), apiVersion: apiVersionOf(info), kind: info.kind };
          expect(decodeObject(info, value).ok).toBe(decoderSays(info, value));
          const bad = corrupt(value, pick, replacement);
          expect(decodeObject(info, bad).ok).toBe(decoderSays(info, bad));
        }),
        { numRuns: 40 },
      );
    });
  }
});
