/**
 * Server-side apply's pure parts, table by table: the FieldsV1 encoding, the
 * sets a configuration and a write claim, the merge, pruning and conflicts.
 * Expected values are what a real API server records for the same objects.
 */
import { describe, expect, it } from "vitest";
import { isStatusError } from "@kubeactor/api";
import { FieldSet, fieldPE, keyPE, parsePE, pathString, serializePE } from "./fieldpath.ts";
import { capUpdateManagers, decodeManaged, encodeManaged, managerFromUserAgent, type Managed } from "./managed.ts";
import { rootType } from "./schema.ts";
import { compare, merge, removeItems, toFieldSet } from "./typed.ts";
import { recordApply, recordUpdate, type WriteContext } from "./fieldmanager.ts";

const ctx = (manager: string, over: Partial<WriteContext> = {}): WriteContext => ({
  manager,
  apiVersion: "apps/v1",
  kind: "Deployment",
  statusSubresource: true,
  now: "2026-01-02T03:04:05Z",
  ...over,
});

const deployment = (replicas: number, image = "nginx:1.27", extra: Record<string, unknown> = {}) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "default" },
  spec: {
    replicas,
    selector: { matchLabels: { app: "web" } },
    template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image, ...extra }] } },
  },
});

const fieldsOf = (obj: any, manager: string, operation = "Apply") =>
  obj.metadata.managedFields.find((e: any) => e.manager === manager && e.operation === operation)?.fieldsV1;

describe("path elements", () => {
  it.each([
    [fieldPE("spec"), "f:spec", ".spec"],
    [keyPE([["name", "web"]]), 'k:{"name":"web"}', '[name="web"]'],
    [keyPE([["protocol", "TCP"], ["containerPort", 80]]), 'k:{"containerPort":80,"protocol":"TCP"}', '[containerPort=80,protocol="TCP"]'],
    [{ value: "kubernetes" }, 'v:"kubernetes"', '[="kubernetes"]'],
    [{ value: 3 }, "v:3", "[=3]"],
    [{ index: 2 }, "i:2", "[2]"],
  ] as const)("%j is written %s and printed %s", (pe, serialized, printed) => {
    expect(serializePE(pe)).toBe(serialized);
    expect(pathString([pe])).toBe(printed);
    expect(serializePE(parsePE(serialized)!)).toBe(serialized);
  });

  it("drops element types it does not know and rejects malformed ones", () => {
    expect(parsePE("x:future")).toBeUndefined();
    expect(() => parsePE("f")).toThrow("key must be 2 characters long");
    expect(() => parsePE("fspec")).toThrow("missing colon");
    expect(() => parsePE("k:{nope")).toThrow();
  });
});

describe("FieldsV1 encoding", () => {
  it.each([
    {
      name: "members before and after children in element order, fields before keys",
      paths: [["f:spec", "f:replicas"], ["f:metadata", "f:labels", "f:app"], ["f:spec", "f:template", "f:spec", "f:containers", 'k:{"name":"b"}'], ["f:spec", "f:template", "f:spec", "f:containers", 'k:{"name":"a"}', "f:image"]],
      json: '{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:replicas":{},"f:template":{"f:spec":{"f:containers":{"k:{\\"name\\":\\"a\\"}":{"f:image":{}},"k:{\\"name\\":\\"b\\"}":{}}}}}}',
    },
    {
      name: "a member that also has children gets a '.' entry first",
      paths: [["f:metadata", "f:labels"], ["f:metadata", "f:labels", "f:app"]],
      json: '{"f:metadata":{"f:labels":{".":{},"f:app":{}}}}',
    },
    {
      name: "byte order of field names (upper case first), keys after fields, values after keys",
      paths: [["f:b"], ["f:B"], ['k:{"name":"x"}'], ['v:"z"'], ["f:a"]],
      json: '{"f:B":{},"f:a":{},"f:b":{},"k:{\\"name\\":\\"x\\"}":{},"v:\\"z\\"":{}}',
    },
    {
      name: "numbers sort numerically inside keys",
      paths: [['k:{"port":443}'], ['k:{"port":80}'], ['k:{"port":8080}']],
      json: '{"k:{\\"port\\":80}":{},"k:{\\"port\\":443}":{},"k:{\\"port\\":8080}":{}}',
    },
  ])("$name", ({ paths, json }) => {
    const set = FieldSet.of(...paths.map((p) => p.map((s) => parsePE(s)!)));
    expect(JSON.stringify(set.toJSON())).toBe(json);
    expect(JSON.stringify(FieldSet.fromJSON(JSON.parse(json)).toJSON())).toBe(json);
  });

  it("reads `{}` as a member and ignores unknown element types", () => {
    const set = FieldSet.fromJSON({ "f:a": {}, "f:b": { ".": {}, "f:c": {} }, "z:new": { "f:x": {} } });
    expect(set.paths().map(pathString)).toEqual([".a", ".b", ".b.c"]);
  });

  it("set algebra keeps no empty children", () => {
    const a = FieldSet.of([fieldPE("spec"), fieldPE("replicas")], [fieldPE("spec"), fieldPE("paused")]);
    const b = FieldSet.of([fieldPE("spec"), fieldPE("replicas")]);
    expect(a.difference(b).paths().map(pathString)).toEqual([".spec.paused"]);
    expect(a.intersection(b).paths().map(pathString)).toEqual([".spec.replicas"]);
    expect(b.difference(a).isEmpty()).toBe(true);
    expect(a.union(b).equals(a)).toBe(true);
  });
});

describe("the fields an applied configuration claims", () => {
  it.each([
    {
      name: "a Deployment as kubectl apply --server-side sends it",
      kind: "Deployment",
      config: deployment(2, "nginx:1.27", { ports: [{ containerPort: 80 }] }),
      fields: {
        "f:metadata": { "f:name": {}, "f:namespace": {} },
        "f:spec": {
          "f:replicas": {},
          "f:selector": {},
          "f:template": {
            "f:metadata": { "f:labels": { "f:app": {} } },
            "f:spec": {
              "f:containers": {
                'k:{"name":"web"}': { ".": {}, "f:image": {}, "f:name": {}, "f:ports": { 'k:{"containerPort":80,"protocol":"TCP"}': { ".": {}, "f:containerPort": {} } } },
              },
            },
          },
        },
        "f:apiVersion": {},
        "f:kind": {},
      },
    },
    {
      name: "finalizers are a set, tolerations atomic, null and {} owned as leaves",
      kind: "Pod",
      config: { metadata: { finalizers: ["a", "b"] }, spec: { tolerations: [{ key: "k" }], nodeSelector: {}, hostname: null } },
      fields: { "f:metadata": { "f:finalizers": { 'v:"a"': {}, 'v:"b"': {} } }, "f:spec": { "f:hostname": {}, "f:nodeSelector": {}, "f:tolerations": {} } },
    },
    {
      name: "service ports keyed by port and protocol, conditions by type",
      kind: "Service",
      config: { spec: { ports: [{ port: 80, protocol: "UDP" }], selector: { app: "x" } }, status: { conditions: [{ type: "Ready", status: "True" }] } },
      fields: {
        "f:spec": { "f:ports": { 'k:{"port":80,"protocol":"UDP"}': { ".": {}, "f:port": {}, "f:protocol": {} } }, "f:selector": {} },
        "f:status": { "f:conditions": { 'k:{"type":"Ready"}': { ".": {}, "f:status": {}, "f:type": {} } } },
      },
    },
    {
      name: "atomic maps and structs (+mapType/+structType=atomic): selectors, owner references, pull secrets",
      kind: "Pod",
      config: {
        metadata: { ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "rs", uid: "u1", controller: true }] },
        spec: { nodeSelector: { disk: "ssd" }, imagePullSecrets: [{ name: "regcred" }] },
      },
      fields: {
        "f:metadata": { "f:ownerReferences": { 'k:{"uid":"u1"}': {} } },
        "f:spec": { "f:imagePullSecrets": { 'k:{"name":"regcred"}': {} }, "f:nodeSelector": {} },
      },
    },
    {
      name: "unknown kinds: objects merge field by field, lists are atomic",
      kind: "Widget",
      config: { spec: { size: { x: 1 }, items: [1, 2] } },
      fields: { "f:spec": { "f:items": {}, "f:size": { "f:x": {} } } },
    },
  ])("$name", ({ kind, config, fields }) => {
    const got = toFieldSet(config, rootType(kind)).toJSON();
    expect(got).toEqual(fields);
  });

  it("rejects duplicate keys in an applied list with 400", () => {
    const config = deployment(1);
    config.spec.template.spec.containers.push({ name: "web", image: "x" });
    const e = (() => {
      try {
        toFieldSet(config, rootType("Deployment"));
      } catch (err) {
        return err;
      }
    })();
    expect(isStatusError(e) && e.status.code).toBe(400);
  });
});

describe("what a write changed", () => {
  it("a create records every field it set, defaults included, as real clusters do", () => {
    const created = structuredClone(deployment(2)) as any;
    created.spec.strategy = { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } };
    Object.assign(created.spec.template.spec.containers[0], { resources: {}, terminationMessagePath: "/dev/termination-log" });
    created.metadata.labels = { app: "web" };
    const out = recordUpdate(undefined, created, ctx("kubectl-create")) as any;
    expect(out.metadata.managedFields).toEqual([
      {
        manager: "kubectl-create",
        operation: "Update",
        apiVersion: "apps/v1",
        time: "2026-01-02T03:04:05Z",
        fieldsType: "FieldsV1",
        fieldsV1: {
          "f:metadata": { "f:labels": { ".": {}, "f:app": {} } },
          "f:spec": {
            "f:replicas": {},
            "f:selector": {},
            "f:strategy": { "f:rollingUpdate": { ".": {}, "f:maxSurge": {}, "f:maxUnavailable": {} }, "f:type": {} },
            "f:template": {
              "f:metadata": { "f:labels": { ".": {}, "f:app": {} } },
              "f:spec": {
                "f:containers": { 'k:{"name":"web"}': { ".": {}, "f:image": {}, "f:name": {}, "f:resources": {}, "f:terminationMessagePath": {} } },
              },
            },
          },
        },
      },
    ]);
  });

  it("alike creates in a run record alike fields, and any difference in what they set shows", () => {
    const named = (name: string, labels: Record<string, string>, container = "web") => {
      const d = structuredClone(deployment(2)) as any;
      Object.assign(d.metadata, { name, uid: `uid-${name}`, creationTimestamp: "2026-01-02T03:04:05Z", labels });
      d.spec.template.spec.containers[0].name = container;
      return d;
    };
    const fields = (o: any) => o.metadata.managedFields[0].fieldsV1;
    const first = recordUpdate(undefined, named("a", { app: "web" }), ctx("creator")) as any;
    const second = recordUpdate(undefined, named("b", { app: "web" }), ctx("creator")) as any;
    expect(second.metadata.managedFields).toEqual(first.metadata.managedFields);
    first.metadata.managedFields[0].fieldsV1["f:spec"] = {}; // each create gets its own copy
    const third = recordUpdate(undefined, named("c", { app: "web" }), ctx("creator")) as any;
    expect(fields(third)["f:spec"]["f:replicas"]).toEqual({});

    expect(fields(recordUpdate(undefined, named("d", { app: "web", tier: "x" }), ctx("creator")))["f:metadata"]["f:labels"]).toHaveProperty("f:tier");
    expect(fields(recordUpdate(undefined, named("e", { app: "web" }, "db"), ctx("creator")))["f:spec"]["f:template"]["f:spec"]["f:containers"]).toHaveProperty(['k:{"name":"db"}']);
    const later = recordUpdate(undefined, named("f", { app: "web" }), ctx("other", { now: "2026-01-02T03:04:06Z" })) as any;
    expect(later.metadata.managedFields[0]).toMatchObject({ manager: "other", time: "2026-01-02T03:04:06Z" });
  });

  it("creates that differ in values only record the same fields: a kubelet's Events", () => {
    const event = (pod: string, reason: string, message: string, fieldPath?: string) => ({
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: `${pod}.18a0`, namespace: "default" },
      involvedObject: { apiVersion: "v1", kind: "Pod", name: pod, namespace: "default", uid: `uid-${pod}`, resourceVersion: "7", ...(fieldPath ? { fieldPath } : {}) },
      reason,
      message,
      type: "Normal",
      source: { component: "kubelet", host: "node-1" },
      firstTimestamp: "2026-01-02T03:04:05Z",
      lastTimestamp: "2026-01-02T03:04:05Z",
      count: 1,
    });
    const fields = (o: any) => o.metadata.managedFields[0].fieldsV1;
    const pulled = fields(recordUpdate(undefined, event("a", "Pulled", 'Container image "x" already present on machine', "spec.containers{app}"), ctx("kubelet", { kind: "Event", apiVersion: "v1" })));
    const started = fields(recordUpdate(undefined, event("b", "Started", "Started container web", "spec.containers{web}"), ctx("kubelet", { kind: "Event", apiVersion: "v1" })));
    expect(started).toEqual(pulled);
    expect(pulled["f:source"]).toEqual({ "f:component": {}, "f:host": {} });
    // A field more or less is another record (the scheduler's Events have no source.host).
    const { host: _host, ...noHost } = event("d", "Scheduled", "Successfully assigned default/d to node-1").source;
    const scheduled = fields(recordUpdate(undefined, { ...event("d", "Scheduled", "Successfully assigned default/d to node-1"), source: noHost }, ctx("kubelet", { kind: "Event", apiVersion: "v1" })));
    expect(scheduled["f:source"]).toEqual({ "f:component": {} });
  });

  it.each([
    { name: "a changed leaf", from: { a: 1, b: 2 }, to: { a: 3, b: 2 }, added: [], modified: [".a"], removed: [] },
    { name: "a new map and its leaves", from: {}, to: { m: { k: "v" } }, added: [".m", ".m.k"], modified: [], removed: [] },
    { name: "a vanished list item and its fields", from: { spec: { ports: [{ port: 1 }] } }, to: { spec: { ports: [] } }, added: [], modified: [], removed: ['.spec.ports[port=1,protocol="TCP"]', '.spec.ports[port=1,protocol="TCP"].port'] },
    { name: "empty to {} is a leaf added", from: {}, to: { x: {} }, added: [".x"], modified: [], removed: [] },
  ])("compare: $name", ({ from, to, added, modified, removed }) => {
    const c = compare(from, to, rootType("Service"));
    expect(c.added.paths().map(pathString)).toEqual(added);
    expect(c.modified.paths().map(pathString)).toEqual(modified);
    expect(c.removed.paths().map(pathString)).toEqual(removed);
  });

  it("merges one manager's updates into one entry and takes changed fields from others", () => {
    const base = recordUpdate(undefined, deployment(2), ctx("creator")) as any;
    const relabel = (obj: any, labels: Record<string, string>) => ({ ...structuredClone(obj), metadata: { ...structuredClone(obj.metadata), labels } });
    const one = recordUpdate(base, relabel(base, { a: "1" }), ctx("labeller", { now: "2026-01-02T03:05:00Z" })) as any;
    const two = recordUpdate(one, relabel(one, { a: "1", b: "2" }), ctx("labeller", { now: "2026-01-02T03:06:00Z" })) as any;
    const scaled = recordUpdate(two, { ...structuredClone(two), spec: { ...structuredClone(two.spec), replicas: 5 } }, ctx("kubectl", { subresource: "scale" })) as any;
    expect(scaled.metadata.managedFields.map((e: any) => [e.manager, e.subresource ?? "", e.time])).toEqual([
      ["creator", "", "2026-01-02T03:04:05Z"],
      ["kubectl", "scale", "2026-01-02T03:04:05Z"],
      ["labeller", "", "2026-01-02T03:06:00Z"],
    ]);
    expect(fieldsOf(scaled, "labeller", "Update")).toEqual({ "f:metadata": { "f:labels": { ".": {}, "f:a": {}, "f:b": {} } } });
    expect(fieldsOf(scaled, "kubectl", "Update")).toEqual({ "f:spec": { "f:replicas": {} } });
    expect(fieldsOf(scaled, "creator", "Update")["f:spec"]["f:replicas"]).toBeUndefined();
  });

  it("main-resource writes never own status; status writes own only status (and metadata)", () => {
    const base = recordUpdate(undefined, deployment(1), ctx("creator")) as any;
    const withStatus = { ...structuredClone(base), status: { replicas: 1 }, spec: { ...structuredClone(base.spec), paused: true } };
    const main = recordUpdate(base, withStatus, ctx("writer")) as any;
    expect(fieldsOf(main, "writer", "Update")).toEqual({ "f:spec": { "f:paused": {} } });
    const status = recordUpdate(base, withStatus, ctx("controller", { subresource: "status" })) as any;
    // status is a non-pointer struct in Go: never "added", so no "." entry (as on real clusters).
    expect(fieldsOf(status, "controller", "Update")).toEqual({ "f:status": { "f:replicas": {} } });
  });

  it.each([
    { name: "nonsense managedFields are ignored (the stored ones stay)", sent: [{ manager: "x", operation: "Bogus" }], kept: true },
    { name: "a missing fieldsType is nonsense too", sent: [{ manager: "x", operation: "Update", apiVersion: "v1" }], kept: true },
    { name: "an empty list clears them", sent: [], kept: false },
    { name: "a single empty entry clears them", sent: [{}], kept: false },
  ])("$name", ({ sent, kept }) => {
    const base = recordUpdate(undefined, deployment(1), ctx("creator")) as any;
    const next = { ...structuredClone(base), metadata: { ...structuredClone(base.metadata), managedFields: sent } };
    const out = recordUpdate(base, next, ctx("writer")) as any;
    expect(out.metadata.managedFields?.map((e: any) => e.manager)).toEqual(kept ? ["creator"] : undefined);
  });

  it("objects never tracked stay untracked until their first apply", () => {
    const untracked = deployment(1);
    const out = recordUpdate(untracked, { ...deployment(2) }, ctx("writer")) as any;
    expect(out.metadata.managedFields).toBeUndefined();
  });
});

describe("merge", () => {
  it.each([
    {
      name: "associative lists merge by key: live-only items stay in place, shared ones follow the config",
      live: { spec: { template: { spec: { containers: [{ name: "a", image: "1" }, { name: "side", image: "s" }, { name: "b", image: "2" }] } } } },
      config: { spec: { template: { spec: { containers: [{ name: "b", image: "3" }, { name: "a" }, { name: "c", image: "4" }] } } } },
      want: { spec: { template: { spec: { containers: [{ name: "side", image: "s" }, { name: "b", image: "3" }, { name: "a", image: "1" }, { name: "c", image: "4" }] } } } },
    },
    {
      name: "atomic lists and atomic structs are replaced",
      live: { spec: { selector: { matchLabels: { a: "1", b: "2" } }, template: { spec: { tolerations: [{ key: "x" }, { key: "y" }] } } } },
      config: { spec: { selector: { matchLabels: { a: "1" } }, template: { spec: { tolerations: [{ key: "z" }] } } } },
      want: { spec: { selector: { matchLabels: { a: "1" } }, template: { spec: { tolerations: [{ key: "z" }] } } } },
    },
    {
      name: "sets union, maps merge key by key",
      live: { metadata: { finalizers: ["a"], labels: { x: "1" } } },
      config: { metadata: { finalizers: ["b", "a"], labels: { y: "2" } } },
      want: { metadata: { finalizers: ["b", "a"], labels: { x: "1", y: "2" } } },
    },
  ])("$name", ({ live, config, want }) => {
    expect(merge(live, config, rootType("Deployment"))).toEqual(want);
  });

  it("removes exactly the given fields; maps emptied by it vanish", () => {
    const value = { metadata: { labels: { a: "1" } }, spec: { replicas: 1, paused: true } };
    const set = FieldSet.of([fieldPE("metadata"), fieldPE("labels"), fieldPE("a")], [fieldPE("spec"), fieldPE("paused")]);
    expect(removeItems(value, set, rootType("Deployment"))).toEqual({ spec: { replicas: 1 } });
  });
});

describe("apply", () => {
  const created = () => recordApply(undefined, deployment(2), false, ctx("kubectl")).object as any;

  it("records the configuration as the applier's fields, without server-owned metadata", () => {
    expect(created().metadata.managedFields).toEqual([
      {
        manager: "kubectl",
        operation: "Apply",
        apiVersion: "apps/v1",
        time: "2026-01-02T03:04:05Z",
        fieldsType: "FieldsV1",
        fieldsV1: {
          "f:spec": {
            "f:replicas": {},
            "f:selector": {},
            "f:template": { "f:metadata": { "f:labels": { "f:app": {} } }, "f:spec": { "f:containers": { 'k:{"name":"web"}': { ".": {}, "f:image": {}, "f:name": {} } } } },
          },
        },
      },
    ]);
  });

  it("applying the same configuration again changes nothing", () => {
    const live = created();
    const again = recordApply(live, deployment(2), false, ctx("kubectl", { now: "2026-02-02T00:00:00Z" }));
    expect(again.changed).toBe(false);
    expect(again.object).toEqual(live);
  });

  it.each([
    {
      name: "one conflict",
      other: (o: any) => recordUpdate(o, { ...structuredClone(o), spec: { ...structuredClone(o.spec), replicas: 5 } }, ctx("kubectl-client-side-apply")),
      config: deployment(3),
      message: 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas',
      causes: [{ reason: "FieldManagerConflict", message: 'conflict with "kubectl-client-side-apply" using apps/v1', field: ".spec.replicas" }],
    },
    {
      name: "a subresource writer",
      other: (o: any) => recordUpdate(o, { ...structuredClone(o), spec: { ...structuredClone(o.spec), replicas: 5 } }, ctx("kubectl", { subresource: "scale" })),
      config: deployment(3),
      message: 'Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas',
      causes: [{ reason: "FieldManagerConflict", message: 'conflict with "kubectl" with subresource "scale" using apps/v1', field: ".spec.replicas" }],
    },
    {
      name: "two conflicts with an applier",
      other: (o: any) => recordApply(o, deployment(7, "nginx:1.29"), true, ctx("helm")).object,
      config: deployment(3, "nginx:1.30"),
      message: 'Apply failed with 2 conflicts: conflicts with "helm":\n- .spec.replicas\n- .spec.template.spec.containers[name="web"].image',
      causes: [
        { reason: "FieldManagerConflict", message: 'conflict with "helm"', field: ".spec.replicas" },
        { reason: "FieldManagerConflict", message: 'conflict with "helm"', field: '.spec.template.spec.containers[name="web"].image' },
      ],
    },
  ])("conflicts: $name", ({ other, config, message, causes }) => {
    const live = other(created()) as any;
    let error: unknown;
    try {
      recordApply(live, config, false, ctx("kubectl"));
    } catch (e) {
      error = e;
    }
    expect(isStatusError(error)).toBe(true);
    const status = (error as any).status;
    expect(status).toMatchObject({ code: 409, reason: "Conflict", status: "Failure", message });
    expect(status.details.causes).toEqual(causes);
    // Forcing takes the fields.
    const forced = recordApply(live, config, true, ctx("kubectl")).object as any;
    expect(forced.spec.replicas).toBe(3);
    const others = forced.metadata.managedFields.filter((e: any) => e.manager !== "kubectl" || e.operation !== "Apply");
    for (const e of others) expect(JSON.stringify(e.fieldsV1)).not.toContain("f:replicas");
  });

  it("applying another manager's value is no conflict and shares the field", () => {
    const live = recordApply(created(), deployment(2), false, ctx("other")).object as any;
    // "other" changed nothing, so its entry has no time and sorts first (as upstream: a missing time counts as 0).
    expect(live.metadata.managedFields.map((e: any) => [e.manager, e.time])).toEqual([["other", undefined], ["kubectl", "2026-01-02T03:04:05Z"]]);
    expect(fieldsOf(live, "other")["f:spec"]["f:replicas"]).toEqual({});
  });

  it("fields the applier drops are removed unless another manager owns them", () => {
    const withEnv = recordApply(undefined, deployment(1, "nginx", { env: [{ name: "A", value: "1" }, { name: "B", value: "2" }] }), false, ctx("kubectl")).object as any;
    const relabelled = recordApply(withEnv, { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", labels: { team: "x" } } }, false, ctx("labeller")).object;
    const dropped = recordApply(relabelled, deployment(1, "nginx", { env: [{ name: "A", value: "1" }] }), false, ctx("kubectl")).object as any;
    expect(dropped.spec.template.spec.containers[0].env).toEqual([{ name: "A", value: "1" }]);
    expect(dropped.metadata.labels).toEqual({ team: "x" });
    const noReplicas = deployment(1, "nginx") as any;
    delete noReplicas.spec.replicas;
    const shared = recordApply(recordApply(dropped, deployment(1, "nginx"), false, ctx("other")).object, noReplicas, false, ctx("kubectl")).object as any;
    expect(shared.spec.replicas).toBe(1);
  });

  it("kubectl takes over fields client-side apply recorded in last-applied-configuration", () => {
    const lastApplied = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: "default" }, spec: { replicas: 2 } };
    const csa = recordUpdate(
      undefined,
      { ...deployment(2), metadata: { name: "web", namespace: "default", annotations: { "kubectl.kubernetes.io/last-applied-configuration": JSON.stringify(lastApplied) } } },
      ctx("kubectl-client-side-apply"),
    ) as any;
    expect(() => recordApply(csa, deployment(4), false, ctx("someone-else"))).toThrow(/conflict/);
    const migrated = recordApply(csa, deployment(4), false, ctx("kubectl")).object as any;
    expect(migrated.spec.replicas).toBe(4);
    expect(JSON.parse(migrated.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"]).spec.replicas).toBe(4);
  });

  it.each([
    { name: "another kind", config: { ...deployment(1), kind: "ReplicaSet" }, message: "invalid object type: apps/v1, Kind=ReplicaSet" },
    { name: "no apiVersion", config: { kind: "Deployment" }, message: "invalid object type: /, Kind=Deployment" },
    { name: "managedFields", config: { ...deployment(1), metadata: { name: "web", managedFields: [] } }, message: "metadata.managedFields must be nil" },
  ])("400 for $name", ({ config, message }) => {
    expect(() => recordApply(undefined, config as any, false, ctx("kubectl"))).toThrow(message);
  });
});

describe("managed fields bookkeeping", () => {
  it.each([
    ["kubectl/v1.33.1 (linux/amd64) kubernetes/8adc0f0", "kubectl"],
    ["kubectl.1.27/v1.27.16 (linux/amd64)", "kubectl.1.27"],
    ["node-fetch", "node-fetch"],
    ["", ""],
    [undefined, ""],
    ["bad\u0007agent/1", "badagent"],
    ["x".repeat(200), "x".repeat(128)],
  ])("User-Agent %j → manager %j", (ua, manager) => {
    expect(managerFromUserAgent(ua)).toBe(manager);
  });

  it("keeps at most ten Update entries, folding the oldest into ancient-changes", () => {
    const managed: Managed = new Map();
    for (let i = 0; i < 12; i++) {
      const e = { manager: `m${String(i).padStart(2, "0")}`, operation: "Update" as const, apiVersion: "v1", time: `2026-01-01T00:00:${String(i).padStart(2, "0")}Z`, set: FieldSet.of([fieldPE(`f${i}`)]) };
      managed.set(JSON.stringify([e.manager]), e);
    }
    const entries = encodeManaged(capUpdateManagers(managed))!;
    expect(entries).toHaveLength(10);
    expect(entries.map((e) => e.manager)).toContain("ancient-changes");
    expect(entries.find((e) => e.manager === "ancient-changes")!.fieldsV1).toEqual({ "f:f0": {}, "f:f1": {}, "f:f2": {} });
  });

  it("sorts Apply before Update, then by time and manager", () => {
    const entries = [
      { manager: "b", operation: "Update", apiVersion: "v1", time: "2026-01-01T00:00:02Z", fieldsType: "FieldsV1", fieldsV1: { "f:a": {} } },
      { manager: "a", operation: "Update", apiVersion: "v1", time: "2026-01-01T00:00:02Z", fieldsType: "FieldsV1", fieldsV1: { "f:a": {} } },
      { manager: "z", operation: "Apply", apiVersion: "v1", time: "2026-01-01T00:00:09Z", fieldsType: "FieldsV1", fieldsV1: { "f:a": {} } },
    ];
    expect(encodeManaged(decodeManaged(entries))!.map((e) => e.manager)).toEqual(["z", "a", "b"]);
  });
});
