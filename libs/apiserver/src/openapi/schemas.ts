/**
 * Models → OpenAPI schema objects (v3 `components.schemas`, v2
 * `definitions`), named as kube-apiserver names them
 * (`io.k8s.api.apps.v1.Deployment`,
 * `io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta`). List fields that have
 * a strategic-merge key carry `x-kubernetes-patch-merge-key` /
 * `x-kubernetes-patch-strategy`, read from the patch package's table (the
 * same metadata the server merges with).
 */
import { type ResourceInfo, resources } from "@kubeactor/api";
import { BUILTIN_KINDS, BUILTIN_TYPES, type FieldMeta } from "../patch/schema.ts";
import { isMetaType, type Model, resourceModel } from "./model.ts";

export type Schema = Record<string, unknown>;

export interface Flavor {
  /** `#/components/schemas/` (v3) or `#/definitions/` (v2). */
  readonly refPrefix: string;
  /** v3 wraps a described `$ref` in `allOf` (siblings of `$ref` are ignored there); v2 puts them side by side. */
  readonly wrapRefs: boolean;
}

const packageOf = (r: ResourceInfo) => (r.group === "" ? "core" : r.group.split(".")[0]!);
export const gvkOf = (r: ResourceInfo) => ({ group: r.group, version: r.version, kind: r.kind });

/**
 * Every named struct reachable from a served kind, with its component id and
 * the strategic-merge type that describes it. A type belongs to the Go
 * package the strategic-merge table names for it, else to the package of the
 * first kind (registry order) that reaches it: core's PodSpec is
 * `io.k8s.api.core.v1.PodSpec` even in the apps/v1 document.
 */
interface Named {
  readonly id: string;
  readonly model: Extract<Model, { kind: "object" }>;
  readonly smp: string | undefined;
  readonly gvk?: { group: string; version: string; kind: string };
}
const named = new Map<Model, Named>();

const assign = (m: Model, pkg: string, version: string, smp: string | undefined): void => {
  if (m.kind === "array") return assign(m.items, pkg, version, smp);
  if (m.kind === "map") return assign(m.values, pkg, version, undefined);
  if (m.kind !== "object") return;
  if (m.name && !named.has(m)) {
    // The strategic-merge table knows Go packages: core's PodTemplateSpec stays core even though apps reaches it first.
    const known = SMP_PACKAGES.get(m.name);
    smp ??= known ? `${known}.${m.name}` : undefined;
    const goPkg = known ? (known === "coord" ? "coordination" : known) : pkg;
    const id = isMetaType(m.name) ? `io.k8s.apimachinery.pkg.apis.meta.v1.${m.name}` : `io.k8s.api.${goPkg}.${version}.${m.name}`;
    named.set(m, { id, model: m, smp });
  } else if (m.name) return; // already walked
  for (const [field, p] of m.properties) assign(p.model, pkg, version, smpChild(smp, field));
};

/** Go type name → its package in the strategic-merge table ("core", "apps", "coord", "meta"). */
const SMP_PACKAGES = new Map(Object.keys(BUILTIN_TYPES).map((k) => [k.slice(k.indexOf(".") + 1), k.slice(0, k.indexOf("."))]));

const smpChild = (smp: string | undefined, field: string): string | undefined => (smp ? BUILTIN_TYPES[smp]?.[field]?.t : undefined);
const smpField = (smp: string | undefined, field: string): FieldMeta | undefined => (smp ? BUILTIN_TYPES[smp]?.[field] : undefined);

for (const r of resources) {
  const m = resourceModel(r);
  if (m.kind !== "object") continue;
  // The root is named after the kind (events.k8s.io's Event is exported under another name).
  const root = { ...m, name: r.kind };
  const smp = BUILTIN_KINDS[r.kind];
  const id = `io.k8s.api.${packageOf(r)}.${r.version}.${r.kind}`;
  named.set(m, { id, model: root, smp, gvk: gvkOf(r) });
  for (const [field, p] of m.properties) assign(p.model, packageOf(r), r.version, smpChild(smp, field));
}

/** The component id of a served kind's schema. */
export const schemaIdOf = (r: ResourceInfo): string => named.get(resourceModel(r))!.id;

const scalar = (m: Model): Schema => {
  switch (m.kind) {
    case "scalar":
      return { type: m.type, ...(m.format ? { format: m.format } : {}), ...(m.enum && m.enum.length > 1 ? { enum: [...m.enum] } : {}) };
    case "intOrString":
      return { type: "string", format: "int-or-string", "x-kubernetes-int-or-string": true };
    case "quantity":
      return { type: "string", description: "Quantity is a fixed-point representation of a number (e.g. 100m, 1Gi)." };
    default:
      return { type: "object", "x-kubernetes-preserve-unknown-fields": true };
  }
};

/** The schema of a value of model `m` as used inside another schema; named structs become references. */
const use = (m: Model, flavor: Flavor, smp: string | undefined, refs: Set<string>, extra: Schema = {}): Schema => {
  const n = named.get(m);
  if (n) {
    refs.add(n.id);
    const ref = { $ref: `${flavor.refPrefix}${n.id}` };
    if (Object.keys(extra).length === 0) return ref;
    return flavor.wrapRefs ? { allOf: [ref], ...extra, ...(extra.default === undefined ? { default: {} } : {}) } : { ...ref, ...extra };
  }
  switch (m.kind) {
    case "object":
      return { ...objectSchema(m, flavor, smp, refs), ...extra };
    case "array":
      return { type: "array", items: use(m.items, flavor, smp, refs, named.has(m.items) && flavor.wrapRefs ? { default: {} } : {}), ...extra };
    case "map":
      return { type: "object", additionalProperties: use(m.values, flavor, undefined, refs, named.has(m.values) && flavor.wrapRefs ? { default: {} } : {}), ...extra };
    default:
      return { ...scalar(m), ...extra };
  }
};

const objectSchema = (m: Extract<Model, { kind: "object" }>, flavor: Flavor, smp: string | undefined, refs: Set<string>): Schema => {
  const properties: Record<string, Schema> = {};
  const required: string[] = [];
  for (const [field, p] of [...m.properties].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const meta = smpField(smp, field);
    const extra: Schema = {
      ...(p.description ? { description: p.description } : {}),
      ...(meta?.k ? { "x-kubernetes-patch-merge-key": meta.k } : {}),
      ...(meta?.s ? { "x-kubernetes-patch-strategy": meta.s } : {}),
    };
    properties[field] = use(p.model, flavor, meta?.t, refs, extra);
    if (p.required) required.push(field);
  }
  return { ...(m.description ? { description: m.description } : {}), type: "object", ...(required.length ? { required } : {}), properties };
};

/**
 * The schemas a document needs: the given kinds' roots and everything they
 * reference, keyed by component id.
 */
export const schemasFor = (roots: readonly ResourceInfo[], flavor: Flavor): Record<string, Schema> => {
  const out: Record<string, Schema> = {};
  const pending = new Set(roots.map(schemaIdOf));
  const byId = new Map([...named.values()].map((n) => [n.id, n]));
  while (pending.size > 0) {
    const [id] = pending;
    pending.delete(id!);
    if (out[id!]) continue;
    const n = byId.get(id!)!;
    const refs = new Set<string>();
    const schema = objectSchema(n.model, flavor, n.smp, refs);
    if (n.gvk) schema["x-kubernetes-group-version-kind"] = [n.gvk];
    out[id!] = schema;
    for (const r of refs) if (!out[r]) pending.add(r);
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
};

