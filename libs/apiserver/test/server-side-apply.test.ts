/**
 * Server-side apply and managedFields over HTTP, as clients see them: who a
 * write is recorded for, apply-patch creating and merging, no-op re-applies,
 * conflicts and force, pruning, and what happens to managedFields a client
 * sends itself.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, startTestCluster, type TestCluster, transportCases } from "@kubeactor/testing";

const APPLY = { "Content-Type": "application/apply-patch+yaml" };
const MERGE = { "Content-Type": "application/merge-patch+json" };
const JSON_PATCH = { "Content-Type": "application/json-patch+json" };

const deployment = (name: string, replicas: number, env: { name: string; value: string }[] = []) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: "web", image: "nginx:1.27", ...(env.length ? { env } : {}) }] },
    },
  },
});

const entries = (obj: any) => (obj.metadata.managedFields ?? []).map((e: any) => [e.manager, e.operation, e.subresource ?? ""]);
/** Entries of one operation sort by time (whole seconds) and then by name: compare them as a set. */
const entrySet = (obj: any) => [...entries(obj)].sort((a: string[], b: string[]) => a.join().localeCompare(b.join()));
const fieldsOf = (obj: any, manager: string, operation = "Update") => obj.metadata.managedFields.find((e: any) => e.manager === manager && e.operation === operation)?.fieldsV1;

describe.each(transportCases())("server-side apply over the $name bus", (tc) => {
  let c: TestCluster;
  let url: string;
  const deployments = "/apis/apps/v1/namespaces/default/deployments";
  const configmaps = "/api/v1/namespaces/default/configmaps";
  beforeAll(async () => {
    await tc.setup();
    c = await startTestCluster(tc);
    url = c.url;
  });
  afterAll(async () => {
    await c?.stop();
    await tc.teardown();
  });

  it("records every write's manager: fieldManager, else the User-Agent before '/'", async () => {
    const created = await call(url, "POST", configmaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "owners" }, data: { a: "1" } }, { "User-Agent": "my-tool/1.2 (linux)" });
    expect(created.code).toBe(201);
    const [entry] = created.body.metadata.managedFields;
    expect(Object.keys(entry)).toEqual(["manager", "operation", "apiVersion", "time", "fieldsType", "fieldsV1"]);
    expect(entry).toMatchObject({ manager: "my-tool", operation: "Update", apiVersion: "v1", fieldsType: "FieldsV1", fieldsV1: { "f:data": { ".": {}, "f:a": {} } } });
    expect(entry.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    // Two patches by one manager make one entry; a PUT by another takes what it changed.
    for (const label of [{ x: "1" }, { y: "2" }]) {
      expect((await call(url, "PATCH", `${configmaps}/owners?fieldManager=labeller`, JSON.stringify({ metadata: { labels: label } }), MERGE)).code).toBe(200);
    }
    const current = (await call(url, "GET", `${configmaps}/owners`)).body;
    const put = await call(url, "PUT", `${configmaps}/owners?fieldManager=editor`, { ...current, data: { a: "2" } });
    expect(put.code).toBe(200);
    expect(entrySet(put.body)).toEqual([
      ["editor", "Update", ""],
      ["labeller", "Update", ""],
      ["my-tool", "Update", ""],
    ]);
    expect(fieldsOf(put.body, "labeller")).toEqual({ "f:metadata": { "f:labels": { ".": {}, "f:x": {}, "f:y": {} } } });
    expect(fieldsOf(put.body, "editor")).toEqual({ "f:data": { "f:a": {} } });
    expect(fieldsOf(put.body, "my-tool")).toEqual({ "f:data": {} });

    // Without a User-Agent or fieldManager the manager is "unknown", as upstream.
    const anon = await call(url, "PATCH", `${configmaps}/owners`, JSON.stringify({ data: { z: "9" } }), { ...MERGE, "User-Agent": "" });
    expect(entries(anon.body)).toContainEqual(["unknown", "Update", ""]);
  });

  it("records status and scale writes with their subresource", async () => {
    await call(url, "POST", `${deployments}?fieldManager=creator`, deployment("sub", 1));
    const scaled = await call(url, "PATCH", `${deployments}/sub/scale?fieldManager=scaler`, JSON.stringify({ spec: { replicas: 4 } }), MERGE);
    expect(scaled.code).toBe(200);
    const status = await call(url, "PATCH", `${deployments}/sub/status?fieldManager=ctrl`, JSON.stringify({ status: { replicas: 4 } }), MERGE);
    expect(status.code).toBe(200);
    expect(entrySet(status.body)).toEqual([
      ["creator", "Update", ""],
      ["ctrl", "Update", "status"],
      ["scaler", "Update", "scale"],
    ]);
    expect(fieldsOf(status.body, "scaler")).toEqual({ "f:spec": { "f:replicas": {} } });
    expect(fieldsOf(status.body, "ctrl")).toEqual({ "f:status": { "f:replicas": {} } });
    expect(fieldsOf(status.body, "creator")["f:spec"]["f:replicas"]).toBeUndefined();
  });

  it("creates on apply, and a second identical apply changes nothing", async () => {
    const first = await call(url, "PATCH", `${deployments}/web?fieldManager=kubectl`, JSON.stringify(deployment("web", 2)), APPLY);
    expect(first.code).toBe(201);
    expect(entries(first.body)).toEqual([["kubectl", "Apply", ""]]);
    expect(fieldsOf(first.body, "kubectl", "Apply")).toEqual({
      "f:spec": {
        "f:replicas": {},
        "f:selector": {},
        "f:template": { "f:metadata": { "f:labels": { "f:app": {} } }, "f:spec": { "f:containers": { 'k:{"name":"web"}': { ".": {}, "f:image": {}, "f:name": {} } } } },
      },
    });
    // YAML bodies work too; nothing changed, so nothing is written.
    const yaml = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n";
    const second = await call(url, "PATCH", `${deployments}/web?fieldManager=kubectl`, yaml, APPLY);
    expect(second.code).toBe(200);
    expect(second.body.metadata.resourceVersion).toBe(first.body.metadata.resourceVersion);
    expect(second.body.metadata.managedFields).toEqual(first.body.metadata.managedFields);
  });

  it("answers conflicts with 409 in Kubernetes' words; force=true takes the field", async () => {
    await call(url, "PATCH", `${deployments}/fight?fieldManager=kubectl`, JSON.stringify(deployment("fight", 2)), APPLY);
    await call(url, "PATCH", `${deployments}/fight/scale?fieldManager=kubectl-scale`, JSON.stringify({ spec: { replicas: 5 } }), MERGE);
    const conflict = await call(url, "PATCH", `${deployments}/fight?fieldManager=kubectl&force=false`, JSON.stringify(deployment("fight", 3)), APPLY);
    expect(conflict.code).toBe(409);
    expect(conflict.body).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: 'Apply failed with 1 conflict: conflict with "kubectl-scale" with subresource "scale" using apps/v1: .spec.replicas',
      reason: "Conflict",
      details: { causes: [{ reason: "FieldManagerConflict", message: 'conflict with "kubectl-scale" with subresource "scale" using apps/v1', field: ".spec.replicas" }] },
      code: 409,
    });
    expect((await call(url, "GET", `${deployments}/fight`)).body.spec.replicas).toBe(5);

    const forced = await call(url, "PATCH", `${deployments}/fight?fieldManager=kubectl&force=true`, JSON.stringify(deployment("fight", 3)), APPLY);
    expect(forced.code).toBe(200);
    expect(forced.body.spec.replicas).toBe(3);
    expect(entries(forced.body)).toEqual([["kubectl", "Apply", ""]]);
  });

  it("validates apply options as Kubernetes does", async () => {
    const noManager = await call(url, "PATCH", `${deployments}/opts`, JSON.stringify(deployment("opts", 1)), APPLY);
    expect(noManager.code).toBe(422);
    expect(noManager.body).toMatchObject({
      reason: "Invalid",
      message: 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
      details: { group: "meta.k8s.io", kind: "PatchOptions", causes: [{ reason: "FieldValueRequired", field: "fieldManager" }] },
    });
    const forceOnMerge = await call(url, "PATCH", `${configmaps}/owners?force=true`, JSON.stringify({ data: { q: "1" } }), MERGE);
    expect(forceOnMerge.code).toBe(422);
    expect(forceOnMerge.body.message).toBe('PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch');
    const withManaged = { ...deployment("opts", 1), metadata: { name: "opts", managedFields: [{ manager: "me" }] } };
    const managed = await call(url, "PATCH", `${deployments}/opts?fieldManager=me`, JSON.stringify(withManaged), APPLY);
    expect(managed.code).toBe(400);
    expect(managed.body.message).toBe("metadata.managedFields must be nil");
    const wrongKind = await call(url, "PATCH", `${deployments}/opts?fieldManager=me`, JSON.stringify({ ...deployment("opts", 1), kind: "ReplicaSet" }), APPLY);
    expect(wrongKind.code).toBe(400);
    expect(wrongKind.body.message).toBe("invalid object type: apps/v1, Kind=ReplicaSet");
    expect((await call(url, "GET", `${deployments}/opts`)).code).toBe(404);
  });

  it("removes what the applier stopped sending, keeps what another manager owns", async () => {
    const env = [
      { name: "A", value: "1" },
      { name: "B", value: "2" },
    ];
    await call(url, "PATCH", `${deployments}/prune?fieldManager=kubectl`, JSON.stringify(deployment("prune", 1, env)), APPLY);
    await call(url, "PATCH", `${deployments}/prune?fieldManager=labeller`, JSON.stringify({ metadata: { labels: { team: "a" } } }), MERGE);
    const withLabel = { ...deployment("prune", 1, env), metadata: { name: "prune", labels: { team: "a" } } };
    await call(url, "PATCH", `${deployments}/prune?fieldManager=kubectl`, JSON.stringify(withLabel), APPLY);
    // Now drop env B and the label: B goes, the label stays (labeller still owns it).
    const after = await call(url, "PATCH", `${deployments}/prune?fieldManager=kubectl`, JSON.stringify(deployment("prune", 1, [env[0]!])), APPLY);
    expect(after.code).toBe(200);
    expect(after.body.spec.template.spec.containers[0].env).toEqual([{ name: "A", value: "1" }]);
    expect(after.body.metadata.labels).toEqual({ team: "a" });
    expect(after.body.metadata.generation).toBe(2);
  });

  it("keeps managedFields a client cannot have meant, takes valid ones, clears on []", async () => {
    const created = (await call(url, "POST", `${configmaps}?fieldManager=creator`, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "mf" }, data: { a: "1" } })).body;
    const nonsense = await call(url, "PUT", `${configmaps}/mf?fieldManager=w`, { ...created, metadata: { ...created.metadata, managedFields: [{ manager: "x", operation: "Sideways" }] }, data: { a: "1" } });
    expect(nonsense.code).toBe(200);
    expect(nonsense.body.metadata.managedFields).toEqual(created.metadata.managedFields);

    const replaced = [{ manager: "someone", operation: "Apply", apiVersion: "v1", fieldsType: "FieldsV1", fieldsV1: { "f:data": { "f:a": {} } } }];
    const patched = await call(url, "PATCH", `${configmaps}/mf`, JSON.stringify([{ op: "replace", path: "/metadata/managedFields", value: replaced }]), JSON_PATCH);
    expect(patched.code).toBe(200);
    expect(patched.body.metadata.managedFields).toEqual(replaced);

    const cleared = await call(url, "PATCH", `${configmaps}/mf`, JSON.stringify({ metadata: { managedFields: [] } }), MERGE);
    expect(cleared.code).toBe(200);
    expect(cleared.body.metadata.managedFields).toBeUndefined();
    // Untracked objects stay untracked until an apply.
    const later = await call(url, "PATCH", `${configmaps}/mf?fieldManager=w`, JSON.stringify({ data: { b: "2" } }), MERGE);
    expect(later.body.metadata.managedFields).toBeUndefined();
    const applied = await call(url, "PATCH", `${configmaps}/mf?fieldManager=ssa`, JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "mf" }, data: { c: "3" } }), APPLY);
    expect(entries(applied.body)).toEqual([
      ["ssa", "Apply", ""],
      ["before-first-apply", "Update", ""],
    ]);
    expect(applied.body.data).toEqual({ a: "1", b: "2", c: "3" });
  });

  it("keys list items by every list-map key, filling defaults (Service ports by port and protocol)", async () => {
    const svc = (ports: unknown[]) => ({ apiVersion: "v1", kind: "Service", metadata: { name: "front" }, spec: { selector: { app: "front" }, ports } });
    const services = "/api/v1/namespaces/default/services";
    const first = await call(url, "PATCH", `${services}/front?fieldManager=ops`, JSON.stringify(svc([{ name: "http", port: 80, targetPort: 8080 }])), APPLY);
    expect(first.code).toBe(201);
    expect(fieldsOf(first.body, "ops", "Apply")["f:spec"]["f:ports"]).toEqual({ 'k:{"port":80,"protocol":"TCP"}': { ".": {}, "f:name": {}, "f:port": {}, "f:targetPort": {} } });
    // The stored item has protocol defaulted; the same configuration still matches it.
    const again = await call(url, "PATCH", `${services}/front?fieldManager=ops`, JSON.stringify(svc([{ name: "http", port: 80, targetPort: 8080 }])), APPLY);
    expect(again.body.metadata.resourceVersion).toBe(first.body.metadata.resourceVersion);
    // Another manager adds a UDP port on the same number: a different item, no conflict.
    const udp = await call(url, "PATCH", `${services}/front?fieldManager=dns`, JSON.stringify(svc([{ name: "dns", port: 80, protocol: "UDP" }])), APPLY);
    expect(udp.code).toBe(200);
    expect(udp.body.spec.ports.map((p: any) => `${p.port}/${p.protocol}`)).toEqual(["80/TCP", "80/UDP"]);
  });

  it("dryRun=All applies without storing", async () => {
    const dry = await call(url, "PATCH", `${configmaps}/dry?fieldManager=kubectl&dryRun=All`, JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "dry" }, data: { a: "1" } }), APPLY);
    expect(dry.code).toBe(201);
    expect(entries(dry.body)).toEqual([["kubectl", "Apply", ""]]);
    expect((await call(url, "GET", `${configmaps}/dry`)).code).toBe(404);
  });
});
