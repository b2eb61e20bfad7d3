/**
 * Generates `descriptors.generated.ts`: the message descriptors the protobuf
 * decoder needs, joined from two upstream sources:
 *   - `generated.proto` (field numbers, wire types, nested message types),
 *   - the Go `types.go` structs (JSON names, `omitempty`, pointer-ness, inline
 *     embedding), which decide how Go's encoding/json would print the object.
 *
 * Run by hand against checkouts (or `git archive` extracts) of k8s.io/api and
 * k8s.io/apimachinery:
 *
 *   npx tsx libs/apiserver/src/protobuf/gen-descriptors.ts <k8s.io/api dir> <k8s.io/apimachinery dir> [source label]
 *
 * (e.g. `git -C api archive HEAD | tar -x -C /tmp/api`; the whole k8s.io/api
 * tree is needed because stable types reference alpha packages.)
 *
 * Only messages reachable from ROOT_KINDS are emitted.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { FLAG, type FieldTuple } from "./descriptors.ts";

const [apiDir, machineryDir, sourceLabel] = process.argv.slice(2);
if (!apiDir || !machineryDir) {
  console.error("usage: gen-descriptors.ts <k8s.io/api dir> <k8s.io/apimachinery dir>");
  process.exit(2);
}

/** Top-level kinds: `apiVersion` → proto package dir (under k8s.io/api) and kinds. */
const ROOT_KINDS: Record<string, { dir: string; kinds: string[] }> = {
  v1: {
    dir: "core/v1",
    kinds: [
      "Namespace", "ConfigMap", "Secret", "Service", "ServiceAccount", "Pod", "ResourceQuota", "LimitRange",
      "PersistentVolumeClaim", "PersistentVolume", "Endpoints", "Event", "Binding", "PodTemplate",
      "ReplicationController", "Node",
    ],
  },
  "apps/v1": { dir: "apps/v1", kinds: ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ControllerRevision"] },
  "batch/v1": { dir: "batch/v1", kinds: ["Job", "CronJob"] },
  "autoscaling/v1": { dir: "autoscaling/v1", kinds: ["HorizontalPodAutoscaler", "Scale"] },
  "autoscaling/v2": { dir: "autoscaling/v2", kinds: ["HorizontalPodAutoscaler"] },
  "authorization.k8s.io/v1": {
    dir: "authorization/v1",
    kinds: ["SelfSubjectAccessReview", "SelfSubjectRulesReview", "SubjectAccessReview", "LocalSubjectAccessReview"],
  },
  "authentication.k8s.io/v1": { dir: "authentication/v1", kinds: ["TokenRequest", "TokenReview", "SelfSubjectReview"] },
  "rbac.authorization.k8s.io/v1": { dir: "rbac/v1", kinds: ["Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"] },
  "policy/v1": { dir: "policy/v1", kinds: ["PodDisruptionBudget", "Eviction"] },
  "networking.k8s.io/v1": { dir: "networking/v1", kinds: ["Ingress", "IngressClass", "NetworkPolicy"] },
  "scheduling.k8s.io/v1": { dir: "scheduling/v1", kinds: ["PriorityClass"] },
  "storage.k8s.io/v1": { dir: "storage/v1", kinds: ["StorageClass"] },
};

/** Messages with hand-written JSON forms in the decoder (see SPECIAL in index.ts). */
const SPECIAL = new Set([
  "apis.meta.v1.Time",
  "apis.meta.v1.MicroTime",
  "apis.meta.v1.Duration",
  "apis.meta.v1.FieldsV1",
  "runtime.RawExtension",
  "util.intstr.IntOrString",
  "api.resource.Quantity",
]);

const SCALARS = new Set(["string", "bool", "int32", "int64", "uint32", "uint64", "sint32", "sint64", "fixed32", "fixed64", "sfixed32", "sfixed64", "double", "float", "bytes"]);

/** Proto package → short key prefix and Go package dir. */
const shortPackage = (pkg: string): string => pkg.replace(/^k8s\.io\.api\./, "").replace(/^k8s\.io\.apimachinery\.pkg\./, "");
const packageDir = (pkg: string): string => {
  if (pkg.startsWith("k8s.io.api.")) return join(apiDir, ...pkg.slice("k8s.io.api.".length).split("."));
  if (pkg.startsWith("k8s.io.apimachinery.pkg.")) return join(machineryDir, "pkg", ...pkg.slice("k8s.io.apimachinery.pkg.".length).split("."));
  throw new Error(`unknown proto package ${pkg}`);
};

// --- generated.proto ----------------------------------------------------------

interface ProtoField {
  readonly name: string;
  readonly no: number;
  readonly label: "optional" | "repeated" | "map";
  readonly type: string; // scalar or message key
  readonly valueType?: string; // map value
}

const protoMessages = new Map<string, ProtoField[]>();
const loadedPackages = new Set<string>();
/** Short package prefix → full proto package, for lazy loading of imported files. */
const knownPackages = new Map<string, string>();

const resolveType = (t: string, pkg: string): string => {
  if (SCALARS.has(t)) return t;
  if (t.startsWith(".")) {
    const i = t.lastIndexOf(".");
    const p = t.slice(1, i);
    knownPackages.set(shortPackage(p), p);
    return `${shortPackage(p)}.${t.slice(i + 1)}`;
  }
  return `${shortPackage(pkg)}.${t}`;
};

function loadProto(pkg: string): void {
  if (loadedPackages.has(pkg)) return;
  loadedPackages.add(pkg);
  knownPackages.set(shortPackage(pkg), pkg);
  const file = join(packageDir(pkg), "generated.proto");
  const text = readFileSync(file, "utf8")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/\/\/.*$/gm, "");
  const declared = /^package\s+([\w.]+);/m.exec(text)?.[1];
  if (declared !== pkg) throw new Error(`${file}: package ${declared}, expected ${pkg}`);
  const pending: Array<() => void> = [];
  for (const m of text.matchAll(/^message\s+(\w+)\s*\{([\s\S]*?)^\}/gm)) {
    const fields: ProtoField[] = [];
    const body = m[2]!;
    if (/^\s*message\s/m.test(body)) throw new Error(`${file}: nested messages in ${m[1]} are not supported`);
    for (const line of body.split("\n")) {
      const f = /^\s*(optional|repeated)\s+([\w.]+)\s+(\w+)\s*=\s*(\d+)/.exec(line);
      const mp = /^\s*map<\s*([\w.]+)\s*,\s*([\w.]+)\s*>\s+(\w+)\s*=\s*(\d+)/.exec(line);
      if (f) {
        const [, label, type, name, no] = f;
        pending.push(() => fields.push({ name: name!, no: Number(no), label: label as "optional" | "repeated", type: resolveType(type!, pkg) }));
      } else if (mp) {
        const [, k, v, name, no] = mp;
        pending.push(() => fields.push({ name: name!, no: Number(no), label: "map", type: resolveType(k!, pkg), valueType: resolveType(v!, pkg) }));
      } else if (line.trim() !== "" && !/^\s*(option|reserved)\b/.test(line)) {
        throw new Error(`${file}: cannot parse line in ${m[1]}: ${line}`);
      }
    }
    protoMessages.set(`${shortPackage(pkg)}.${m[1]}`, fields);
  }
  for (const p of pending) p();
}

// --- Go structs -----------------------------------------------------------------

interface GoField {
  readonly json: string;
  readonly omitempty: boolean;
  readonly pointer: boolean;
  readonly inline: boolean;
  readonly no: number | undefined;
}

interface GoPackage {
  readonly structs: Map<string, GoField[]>;
  readonly sliceTypes: Set<string>;
}

const goPackages = new Map<string, GoPackage>();

const loadGo = (pkg: string): GoPackage => {
  const cached = goPackages.get(pkg);
  if (cached) return cached;
  const dir = packageDir(pkg);
  const structs = new Map<string, GoField[]>();
  const sliceTypes = new Set<string>();
  for (const file of readdirSync(dir)) {
    if (!file.endsWith(".go") || file.endsWith("_test.go") || file.startsWith("zz_") || file.startsWith("generated") || file.includes("swagger_doc")) continue;
    const text = readFileSync(join(dir, file), "utf8");
    for (const s of text.matchAll(/^type\s+(\w+)\s+\[\]/gm)) sliceTypes.add(s[1]!);
    for (const s of text.matchAll(/^type\s+(\w+)\s+struct\s*\{\n([\s\S]*?)^\}/gm)) {
      const fields: GoField[] = [];
      for (const raw of s[2]!.split("\n")) {
        const line = raw.trim();
        if (line === "" || line.startsWith("//")) continue;
        const named = /^(\w+)\s+([^\s`]+)\s+`([^`]*)`/.exec(line);
        const embedded = named ? undefined : /^(\*?[\w.]+)\s+`([^`]*)`/.exec(line);
        if (!named && !embedded) continue; // untagged fields never reach JSON or protobuf in API types
        const tag = named ? named[3]! : embedded![2]!;
        const type = named ? named[2]! : embedded![1]!;
        const json = /(?:^|\s)json:"([^"]*)"/.exec(tag)?.[1] ?? "";
        const [jsonName = "", ...opts] = json.split(",");
        if (jsonName === "-") continue;
        const pb = /(?:^|\s)protobuf:"([^"]*)"/.exec(tag)?.[1];
        const no = pb ? Number(pb.split(",")[1]) : undefined;
        fields.push({
          json: jsonName || (embedded ? "" : named![1]!),
          omitempty: opts.includes("omitempty"),
          pointer: type.startsWith("*"),
          inline: Boolean(embedded) && jsonName === "",
          no,
        });
      }
      structs.set(s[1]!, fields);
    }
  }
  const result = { structs, sliceTypes };
  goPackages.set(pkg, result);
  return result;
};

const protoPackageOf = (key: string): string => {
  const p = knownPackages.get(key.slice(0, key.lastIndexOf(".")));
  if (!p) throw new Error(`no proto package for ${key}`);
  loadProto(p);
  return p;
};

// --- join and walk ------------------------------------------------------------------

const out = new Map<string, FieldTuple[]>();
const itemsMessages = new Set<string>();

const visit = (key: string): void => {
  if (out.has(key) || itemsMessages.has(key) || SPECIAL.has(key) || SCALARS.has(key)) return;
  const pkg = protoPackageOf(key);
  const proto = protoMessages.get(key);
  if (!proto) throw new Error(`message ${key} not found`);
  const name = key.slice(key.lastIndexOf(".") + 1);
  const go = loadGo(pkg);
  const struct = go.structs.get(name);
  if (!struct) {
    // `type ExtraValue []string` ↔ `message ExtraValue { repeated string items = 1; }`: JSON is the bare array.
    if (go.sliceTypes.has(name) && proto.length === 1 && proto[0]!.label === "repeated") {
      itemsMessages.add(key);
      visit(proto[0]!.type);
      return;
    }
    throw new Error(`Go struct for ${key} not found`);
  }
  const tuples: FieldTuple[] = [];
  out.set(key, tuples);
  const byNo = new Map(proto.map((f) => [f.no, f]));
  for (const g of struct) {
    if (g.no === undefined) continue; // e.g. TypeMeta: carried by the envelope, not the message
    const p = byNo.get(g.no);
    if (!p) throw new Error(`${key}: Go field ${g.json} has protobuf tag ${g.no} missing from generated.proto`);
    byNo.delete(g.no);
    let flags = 0;
    if (p.label === "repeated") flags |= FLAG.REPEATED;
    if (p.label === "map") flags |= FLAG.MAP;
    if (g.pointer) flags |= FLAG.POINTER;
    if (g.omitempty) flags |= FLAG.OMITEMPTY;
    if (g.inline) flags |= FLAG.INLINE;
    const t: FieldTuple = p.valueType ? [g.json, p.no, p.type, flags, p.valueType] : [g.json, p.no, p.type, flags];
    tuples.push(t);
    visit(p.type);
    if (p.valueType) visit(p.valueType);
  }
  if (byNo.size > 0) throw new Error(`${key}: proto fields ${[...byNo.keys()].join(",")} have no Go field`);
};

const kinds: Record<string, string> = {};
loadProto("k8s.io.apimachinery.pkg.runtime");
for (const [apiVersion, { dir, kinds: ks }] of Object.entries(ROOT_KINDS)) {
  const pkg = `k8s.io.api.${dir.split("/").join(".")}`;
  if (!existsSync(join(packageDir(pkg), "generated.proto"))) throw new Error(`missing ${dir}/generated.proto`);
  loadProto(pkg);
  for (const kind of ks) {
    const key = `${shortPackage(pkg)}.${kind}`;
    visit(key);
    kinds[`${apiVersion}/${kind}`] = key;
  }
}

const lines: string[] = [];
lines.push(`// Code generated by gen-descriptors.ts from ${sourceLabel ?? "k8s.io/api and k8s.io/apimachinery"}. DO NOT EDIT.`);
lines.push('import type { FieldTuple } from "./descriptors.ts";');
lines.push("");
lines.push("/** `apiVersion/kind` → message key. */");
lines.push(`export const KINDS: Readonly<Record<string, string>> = ${JSON.stringify(kinds, null, 2)};`);
lines.push("");
lines.push("/** Messages whose JSON form is the bare array of their single repeated field (`type X []string`). */");
lines.push(`export const ITEMS_MESSAGES: ReadonlySet<string> = new Set(${JSON.stringify([...itemsMessages].sort())});`);
lines.push("");
lines.push("/** Message key → fields in Go struct order: [json name, field number, type, flags, map value type?]. */");
lines.push("export const MESSAGES: Readonly<Record<string, readonly FieldTuple[]>> = {");
for (const key of [...out.keys()].sort()) lines.push(`  ${JSON.stringify(key)}: ${JSON.stringify(out.get(key))},`);
lines.push("};");
lines.push("");
const target = join(dirname(fileURLToPath(import.meta.url)), "descriptors.generated.ts");
writeFileSync(target, lines.join("\n"));
console.log(`wrote ${out.size} messages, ${Object.keys(kinds).length} kinds to ${target}`);
