import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bus } from "@kubeactor/bus";
import { EventRecorder, StoreClient } from "@kubeactor/client";
import { ResourceHandlers } from "../src/handlers.ts";
import { parseResourcePath, type ResourceTarget } from "../src/routes.ts";
import type { WatchCache } from "../src/watch-cache.ts";
import { call, startTestCluster, type TestCluster, transportCases, until, watchEvents } from "@kubeactor/testing";

const cm = (name: string, data: Record<string, string> = { a: "1" }, extra: Record<string, unknown> = {}) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, ...extra },
  data,
});

const deployment = (name: string, replicas = 2) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "web", image: "nginx:1.27" }] } },
  },
});

describe.each(transportCases())("core REST over the $name bus", (tc) => {
  let c: TestCluster;
  let url: string;
  beforeAll(async () => {
    await tc.setup();
    c = await startTestCluster(tc);
    url = c.url;
  });
  afterAll(async () => {
    await c?.stop();
    await tc.teardown();
  });

  it("serves /version, /livez, /readyz and discovery", async () => {
    expect((await call(url, "GET", "/version")).body).toMatchObject({ major: "1", minor: "32" });
    expect(await call(url, "GET", "/livez")).toEqual({ code: 200, body: "ok" });
    expect(await call(url, "GET", "/readyz")).toEqual({ code: 200, body: "ok" });
    expect((await call(url, "GET", "/api")).body.versions).toEqual(["v1"]);
    const groups = (await call(url, "GET", "/apis")).body.groups.map((g: any) => g.name);
    expect(groups).toEqual(expect.arrayContaining(["apps", "coordination.k8s.io", "events.k8s.io"]));
    const core = (await call(url, "GET", "/api/v1")).body;
    const pods = core.resources.find((r: any) => r.name === "pods");
    expect(pods).toMatchObject({ kind: "Pod", namespaced: true, shortNames: ["po"] });
    expect(core.resources.find((r: any) => r.name === "pods/eviction")).toMatchObject({ kind: "Eviction", group: "policy" });
    expect((await call(url, "GET", "/apis/apps/v1")).body.resources.map((r: any) => r.name)).toContain("deployments/scale");
    expect((await call(url, "GET", "/apis/nope/v1")).code).toBe(404);
  });

  it("creates, reads, lists, updates and deletes a ConfigMap with Kubernetes' codes", async () => {
    const created = await call(url, "POST", "/api/v1/namespaces/default/configmaps", cm("one"));
    expect(created.code).toBe(201);
    const meta = created.body.metadata;
    expect(meta.namespace).toBe("default");
    expect(meta.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(meta.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Number(meta.resourceVersion)).toBeGreaterThan(0);

    const again = await call(url, "POST", "/api/v1/namespaces/default/configmaps", cm("one"));
    expect(again.code).toBe(409);
    expect(again.body).toMatchObject({ kind: "Status", reason: "AlreadyExists", message: 'configmaps "one" already exists' });

    const got = await call(url, "GET", "/api/v1/namespaces/default/configmaps/one");
    expect(got.body.data).toEqual({ a: "1" });

    const list = await call(url, "GET", "/api/v1/namespaces/default/configmaps");
    expect(list.body.kind).toBe("ConfigMapList");
    expect(list.body.items.map((i: any) => i.metadata.name)).toContain("one");
    expect(Number(list.body.metadata.resourceVersion)).toBeGreaterThanOrEqual(Number(meta.resourceVersion));

    const updated = await call(url, "PUT", "/api/v1/namespaces/default/configmaps/one", { ...got.body, data: { a: "2" } });
    expect(updated.code).toBe(200);
    expect(Number(updated.body.metadata.resourceVersion)).toBeGreaterThan(Number(meta.resourceVersion));
    expect(updated.body.metadata.uid).toBe(meta.uid);

    const stale = await call(url, "PUT", "/api/v1/namespaces/default/configmaps/one", { ...got.body, data: { a: "3" } });
    expect(stale.code).toBe(409);
    expect(stale.body.reason).toBe("Conflict");
    expect(stale.body.message).toContain("the object has been modified");

    const del = await call(url, "DELETE", "/api/v1/namespaces/default/configmaps/one");
    expect(del.code).toBe(200);
    const gone = await call(url, "GET", "/api/v1/namespaces/default/configmaps/one");
    expect(gone.code).toBe(404);
    expect(gone.body).toMatchObject({ reason: "NotFound", message: 'configmaps "one" not found', details: { name: "one", kind: "configmaps" } });
  });

  it("takes the namespace from the URL, YAML bodies and generateName", async () => {
    await call(url, "POST", "/api/v1/namespaces", { metadata: { name: "team-a" } });
    const yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  generateName: gen-\ndata:\n  k: v\n";
    const r = await call(url, "POST", "/api/v1/namespaces/team-a/configmaps", yaml, { "Content-Type": "application/yaml" });
    expect(r.code).toBe(201);
    expect(r.body.metadata.name).toMatch(/^gen-[a-z0-9]{5}$/);
    expect(r.body.metadata.namespace).toBe("team-a");
    const mismatch = await call(url, "POST", "/api/v1/namespaces/team-a/configmaps", cm("x", {}, { namespace: "other" }));
    expect(mismatch.code).toBe(400);
    const missingNs = await call(url, "POST", "/api/v1/namespaces/nowhere/configmaps", cm("x"));
    expect(missingNs.code).toBe(404);
    expect(missingNs.body.message).toBe('namespaces "nowhere" not found');
  });

  it("answers bad input with clear Status errors", async () => {
    const badName = await call(url, "POST", "/api/v1/namespaces/default/configmaps", cm("Bad_Name"));
    expect(badName.code).toBe(422);
    expect(badName.body.reason).toBe("Invalid");
    expect(badName.body.message).toContain('ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name"');
    expect(badName.body.details.causes[0]).toMatchObject({ reason: "FieldValueInvalid", field: "metadata.name" });

    const malformed = await call(url, "POST", "/api/v1/namespaces/default/configmaps", "{not json", { "Content-Type": "application/json" });
    expect(malformed.code).toBe(400);
    expect(malformed.body.reason).toBe("BadRequest");

    const big = await call(url, "POST", "/api/v1/namespaces/default/configmaps", cm("big", { blob: "x".repeat(3 * 1024 * 1024 + 10) }));
    expect(big.code).toBe(413);

    const method = await call(url, "PATCH", "/api/v1/namespaces/default/configmaps", {});
    expect(method.code).toBe(405);

    const unknown = await call(url, "GET", "/api/v1/widgets");
    expect(unknown.code).toBe(404);
    expect(unknown.body.kind).toBe("Status");

    const selector = await call(url, "GET", "/api/v1/pods?labelSelector=" + encodeURIComponent("app in (a"));
    expect(selector.code).toBe(400);
    expect(selector.body.message).toContain("app in (a");
    const field = await call(url, "GET", "/api/v1/pods?fieldSelector=spec.bogus=1");
    expect(field.code).toBe(400);
    expect(field.body.message).toContain("spec.bogus");

    const wrongKind = await call(url, "POST", "/api/v1/namespaces/default/configmaps", { ...cm("k"), kind: "Secret" });
    expect(wrongKind.code).toBe(400);
  });

  it("validates Deployments and bumps generation on spec changes only", async () => {
    const bad = deployment("web");
    bad.spec.template.metadata.labels = { app: "other" };
    const invalid = await call(url, "POST", "/apis/apps/v1/namespaces/default/deployments", bad);
    expect(invalid.code).toBe(422);
    expect(invalid.body.message).toContain("`selector` does not match template `labels`");

    const created = await call(url, "POST", "/apis/apps/v1/namespaces/default/deployments", deployment("web"));
    expect(created.code).toBe(201);
    expect(created.body.metadata.generation).toBe(1);
    expect(created.body.spec.strategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } });
    expect(created.body.spec.revisionHistoryLimit).toBe(10);
    expect(created.body.spec.progressDeadlineSeconds).toBe(600);

    const relabel = await call(url, "PUT", "/apis/apps/v1/namespaces/default/deployments/web", {
      ...created.body,
      metadata: { ...created.body.metadata, labels: { tier: "front" } },
    });
    expect(relabel.body.metadata.generation).toBe(1);
    const scaled = await call(url, "PUT", "/apis/apps/v1/namespaces/default/deployments/web", { ...relabel.body, spec: { ...relabel.body.spec, replicas: 5 } });
    expect(scaled.body.metadata.generation).toBe(2);

    const status = await call(url, "PUT", "/apis/apps/v1/namespaces/default/deployments/web/status", { ...scaled.body, status: { replicas: 5, observedGeneration: 2 } });
    expect(status.code).toBe(200);
    expect(status.body.status).toEqual({ replicas: 5, observedGeneration: 2 });
    expect(status.body.metadata.generation).toBe(2);
    // A main-resource PUT cannot change status.
    const sneaky = await call(url, "PUT", "/apis/apps/v1/namespaces/default/deployments/web", { ...status.body, status: { replicas: 99 } });
    expect(sneaky.body.status).toEqual({ replicas: 5, observedGeneration: 2 });
    // /status is read and replaced, never created or deleted: the Deployment survives a DELETE sent there.
    for (const method of ["DELETE", "POST"]) {
      const wrong = await call(url, method, "/apis/apps/v1/namespaces/default/deployments/web/status", {});
      expect([wrong.code, wrong.body.reason]).toEqual([405, "MethodNotAllowed"]);
    }
    expect((await call(url, "GET", "/apis/apps/v1/namespaces/default/deployments/web")).code).toBe(200);

    const scale = await call(url, "GET", "/apis/apps/v1/namespaces/default/deployments/web/scale");
    expect(scale.body).toMatchObject({ kind: "Scale", apiVersion: "autoscaling/v1", spec: { replicas: 5 }, status: { replicas: 5, selector: "app=web" } });
    const rescaled = await call(url, "PUT", "/apis/apps/v1/namespaces/default/deployments/web/scale", { ...scale.body, spec: { replicas: 7 } });
    expect(rescaled.body.spec.replicas).toBe(7);
    const afterScale = await call(url, "GET", "/apis/apps/v1/namespaces/default/deployments/web");
    expect(afterScale.body.spec.replicas).toBe(7);
    expect(afterScale.body.metadata.generation).toBe(3);
    const newSelector = structuredClone(afterScale.body);
    newSelector.spec.selector = { matchLabels: { app: "web", v: "2" } };
    newSelector.spec.template.metadata.labels = { app: "web", v: "2" };
    const immutable = await call(url, "PUT", "/apis/apps/v1/namespaces/default/deployments/web", newSelector);
    expect(immutable.code).toBe(422);
    expect(immutable.body.message).toContain("field is immutable");
  });

  it("pages lists consistently at the first page's revision and filters by labels", async () => {
    await call(url, "POST", "/api/v1/namespaces", { metadata: { name: "paging" } });
    for (let i = 0; i < 7; i++) {
      await call(url, "POST", "/api/v1/namespaces/paging/configmaps", cm(`cm-${i}`, {}, { labels: { parity: i % 2 ? "odd" : "even" } }));
    }
    const first = await call(url, "GET", "/api/v1/namespaces/paging/configmaps?limit=3");
    expect(first.body.items).toHaveLength(3);
    expect(first.body.metadata.continue).toBeTruthy();
    expect(first.body.metadata.remainingItemCount).toBe(4);
    // A write between pages must not show up in the rest of this list.
    await call(url, "POST", "/api/v1/namespaces/paging/configmaps", cm("cm-late"));
    const names: string[] = first.body.items.map((i: any) => i.metadata.name);
    let cont = first.body.metadata.continue;
    while (cont) {
      const page = await call(url, "GET", `/api/v1/namespaces/paging/configmaps?limit=3&continue=${encodeURIComponent(cont)}`);
      names.push(...page.body.items.map((i: any) => i.metadata.name));
      cont = page.body.metadata.continue;
    }
    expect(names).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => `cm-${i}`));
    const odd = await call(url, "GET", "/api/v1/namespaces/paging/configmaps?labelSelector=parity%3Dodd");
    expect(odd.body.items.map((i: any) => i.metadata.name)).toEqual(["cm-1", "cm-3", "cm-5"]);
    const notEven = await call(url, "GET", "/api/v1/configmaps?labelSelector=parity!%3Deven,parity");
    expect(notEven.body.items).toHaveLength(3);
    const byName = await call(url, "GET", "/api/v1/namespaces/paging/configmaps?fieldSelector=metadata.name%3Dcm-2");
    expect(byName.body.items.map((i: any) => i.metadata.name)).toEqual(["cm-2"]);
  });

  it("watches from now and resumes from a revision, in order", async () => {
    await call(url, "POST", "/api/v1/namespaces", { metadata: { name: "watching" } });
    const a = await call(url, "POST", "/api/v1/namespaces/watching/configmaps", cm("a"));
    const rv = a.body.metadata.resourceVersion;
    const pending = watchEvents(url, `/api/v1/namespaces/watching/configmaps?watch=true&resourceVersion=${rv}`, 3);
    await new Promise((r) => setTimeout(r, 200));
    await call(url, "POST", "/api/v1/namespaces/watching/configmaps", cm("b"));
    const b = await call(url, "GET", "/api/v1/namespaces/watching/configmaps/b");
    await call(url, "PUT", "/api/v1/namespaces/watching/configmaps/b", { ...b.body, data: { a: "2" } });
    await call(url, "DELETE", "/api/v1/namespaces/watching/configmaps/a");
    const events = await pending;
    expect(events.map((e) => `${e.type}:${e.object.metadata.name}`)).toEqual(["ADDED:b", "MODIFIED:b", "DELETED:a"]);
    const revs = events.map((e) => Number(e.object.metadata.resourceVersion));
    expect([...revs].sort((x, y) => x - y)).toEqual(revs);

    // From "now" (resourceVersion=0): the existing objects first, as ADDED.
    const initial = await watchEvents(url, "/api/v1/namespaces/watching/configmaps?watch=true&resourceVersion=0", 1);
    expect(initial.map((e) => `${e.type}:${e.object.metadata.name}`)).toEqual(["ADDED:b"]);

    // Resuming from the same revision replays the same history.
    const replay = await watchEvents(url, `/api/v1/namespaces/watching/configmaps?watch=true&resourceVersion=${rv}`, 3);
    expect(replay.map((e) => `${e.type}:${e.object.metadata.name}`)).toEqual(["ADDED:b", "MODIFIED:b", "DELETED:a"]);
  });

  it("answers a watch with its 200 at once, before any event (clients wait for the headers)", async () => {
    const ctrl = new AbortController();
    const res = await fetch(`${url}/api/v1/namespaces/quiet/configmaps?watch=true`, { signal: ctrl.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    ctrl.abort();
  });

  it("keeps objects with finalizers until the finalizers are gone, and protects system namespaces", async () => {
    const created = await call(url, "POST", "/api/v1/namespaces/default/configmaps", cm("held", {}, { finalizers: ["example.com/hold"] }));
    const marked = await call(url, "DELETE", "/api/v1/namespaces/default/configmaps/held");
    expect(marked.code).toBe(200);
    expect(marked.body.metadata.deletionTimestamp).toBeTruthy();
    const still = await call(url, "GET", "/api/v1/namespaces/default/configmaps/held");
    expect(still.code).toBe(200);
    const released = await call(url, "PUT", "/api/v1/namespaces/default/configmaps/held", {
      ...still.body,
      metadata: { ...still.body.metadata, finalizers: [] },
    });
    expect(released.code).toBe(200);
    expect((await call(url, "GET", "/api/v1/namespaces/default/configmaps/held")).code).toBe(404);
    expect(created.code).toBe(201);

    const refuse = await call(url, "DELETE", "/api/v1/namespaces/kube-system");
    expect(refuse.code).toBe(403);
    expect(refuse.body.message).toBe('namespaces "kube-system" is forbidden: this namespace may not be deleted');

    await call(url, "POST", "/api/v1/namespaces", { metadata: { name: "doomed" } });
    const terminating = await call(url, "DELETE", "/api/v1/namespaces/doomed");
    expect(terminating.body.status.phase).toBe("Terminating");
    const blocked = await call(url, "POST", "/api/v1/namespaces/doomed/configmaps", cm("x"));
    expect(blocked.code).toBe(403);
    expect(blocked.body.message).toContain("because it is being terminated");
  });

  it("rejects deletes with stale preconditions", async () => {
    const created = await call(url, "POST", "/api/v1/namespaces/default/configmaps", cm("pre"));
    const wrong = await call(url, "DELETE", "/api/v1/namespaces/default/configmaps/pre", { preconditions: { uid: "not-the-uid" } });
    expect(wrong.code).toBe(409);
    const right = await call(url, "DELETE", "/api/v1/namespaces/default/configmaps/pre", { preconditions: { uid: created.body.metadata.uid } });
    expect(right.code).toBe(200);
  });

  it("deletes nothing on a dry run, whether dryRun comes in the query or in the DeleteOptions body (kubectl)", async () => {
    await call(url, "POST", "/api/v1/namespaces/default/configmaps", cm("dry-delete"));
    const inQuery = await call(url, "DELETE", "/api/v1/namespaces/default/configmaps/dry-delete?dryRun=All");
    const inBody = await call(url, "DELETE", "/api/v1/namespaces/default/configmaps/dry-delete", { kind: "DeleteOptions", apiVersion: "v1", dryRun: ["All"] });
    expect([inQuery.code, inBody.code]).toEqual([200, 200]);
    expect((await call(url, "GET", "/api/v1/namespaces/default/configmaps/dry-delete")).code).toBe(200);
    expect((await call(url, "DELETE", "/api/v1/namespaces/default/configmaps/dry-delete")).code).toBe(200);
  });

  it("deletes a collection by selector and answers with the list it deleted", async () => {
    await call(url, "POST", "/api/v1/namespaces", { metadata: { name: "collection" } });
    for (const [name, batch] of [["one", "x"], ["two", "x"], ["kept", "y"]]) {
      await call(url, "POST", "/api/v1/namespaces/collection/configmaps", cm(name!, {}, { labels: { batch: batch! } }));
    }
    const dry = await call(url, "DELETE", "/api/v1/namespaces/collection/configmaps?labelSelector=batch%3Dx", { dryRun: ["All"] });
    expect(dry.body.items.map((i: any) => i.metadata.name)).toEqual(["one", "two"]);
    expect((await call(url, "GET", "/api/v1/namespaces/collection/configmaps")).body.items).toHaveLength(3);
    const res = await call(url, "DELETE", "/api/v1/namespaces/collection/configmaps?labelSelector=batch%3Dx");
    expect(res.code).toBe(200);
    expect(res.body).toMatchObject({ kind: "ConfigMapList", apiVersion: "v1", metadata: { resourceVersion: expect.stringMatching(/^\d+$/) } });
    expect(res.body.items.map((i: any) => i.metadata.name)).toEqual(["one", "two"]);
    expect((await call(url, "GET", "/api/v1/namespaces/collection/configmaps")).body.items.map((i: any) => i.metadata.name)).toEqual(["kept"]);
  });

  it("serves the same API on the bus for components", async () => {
    const cms = { group: "", version: "v1", resource: "configmaps" };
    const created = await c.api.create(cms, "default", { metadata: { name: "from-bus" }, data: { k: "v" } });
    expect(created).toMatchObject({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "from-bus", namespace: "default" } });
    const over = await call(url, "GET", "/api/v1/namespaces/default/configmaps/from-bus");
    expect(over.body.metadata.uid).toBe((created.metadata as any).uid);
    const bad = await c.api.create(cms, "default", { metadata: { name: "Nope!" } }).catch((e) => e);
    expect(bad.status).toMatchObject({ code: 422, reason: "Invalid" });
    const stale = await c.api.update(cms, "default", { ...created, metadata: { ...(created.metadata as object), resourceVersion: "1" } }).catch((e) => e);
    expect(stale.status.code).toBe(409);
    await c.api.delete(cms, "default", "from-bus");
    const gone = await c.api.get(cms, "default", "from-bus").catch((e) => e);
    expect(gone.status.code).toBe(404);
  });

  it("starts pods Pending with their QoS class, binds them once, and deletes bound pods gracefully", async () => {
    const pod = (name: string, resources?: object) => ({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name },
      spec: { containers: [{ name: "c", image: "busybox", ...(resources ? { resources } : {}) }] },
    });
    const created = await call(url, "POST", "/api/v1/namespaces/default/pods", pod("p1"));
    expect(created.code).toBe(201);
    expect(created.body.status).toEqual({ phase: "Pending", qosClass: "BestEffort" });
    // DefaultTolerationSeconds admission
    expect(created.body.spec.tolerations).toEqual([
      { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
      { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
    ]);
    const guaranteed = await call(url, "POST", "/api/v1/namespaces/default/pods", pod("p2", { limits: { cpu: "500m", memory: "64Mi" } }));
    expect(guaranteed.body.status.qosClass).toBe("Guaranteed");

    const binding = { apiVersion: "v1", kind: "Binding", metadata: { name: "p1" }, target: { apiVersion: "v1", kind: "Node", name: "node-1" } };
    const bound = await call(url, "POST", "/api/v1/namespaces/default/pods/p1/binding", binding);
    expect(bound.code).toBe(201);
    const got = await call(url, "GET", "/api/v1/namespaces/default/pods/p1");
    expect(got.body.spec.nodeName).toBe("node-1");
    expect(got.body.status.conditions).toEqual([expect.objectContaining({ type: "PodScheduled", status: "True" })]);
    const twice = await call(url, "POST", "/api/v1/namespaces/default/pods/p1/binding", { ...binding, target: { kind: "Node", name: "node-2" } });
    expect(twice.code).toBe(409);
    expect(twice.body.message).toContain('is already assigned to node "node-1"');
    await c.api.bind("default", "p2", "node-2");

    const graceful = await call(url, "DELETE", "/api/v1/namespaces/default/pods/p1");
    expect(graceful.body.metadata.deletionTimestamp).toBeTruthy();
    expect(graceful.body.metadata.deletionGracePeriodSeconds).toBe(30);
    expect((await call(url, "GET", "/api/v1/namespaces/default/pods/p1")).code).toBe(200);
    const force = await call(url, "DELETE", "/api/v1/namespaces/default/pods/p1", { gracePeriodSeconds: 0 });
    expect(force.code).toBe(200);
    expect((await call(url, "GET", "/api/v1/namespaces/default/pods/p1")).code).toBe(404);
  });

  it("binds from the watch cache's copy in one write, and the store decides when that copy is stale", async () => {
    const pod = (name: string) => ({ apiVersion: "v1", kind: "Pod", metadata: { name }, spec: { containers: [{ name: "c", image: "busybox" }] } });
    const bind = (name: string, node: string) =>
      call(url, "POST", `/api/v1/namespaces/default/pods/${name}/binding`, { apiVersion: "v1", kind: "Binding", metadata: { name }, target: { kind: "Node", name: node } });
    const cached = (name: string) => call(url, "GET", `/api/v1/namespaces/default/pods/${name}?resourceVersion=0`);
    expect((await call(url, "GET", "/api/v1/pods")).code).toBe(200); // the pods watch cache starts with a LIST
    const store = new StoreClient(new Bus(await tc.connect("binding-test"), { log: () => {} }));
    const key = (name: string) => ({ group: "", resource: "pods", namespace: "default", name });

    // current copy: bound at once; bound again: the 409 kube-apiserver gives
    await call(url, "POST", "/api/v1/namespaces/default/pods", pod("b1"));
    await until("b1 in the watch cache", async () => (await cached("b1")).code === 200);
    expect((await bind("b1", "node-1")).code).toBe(201);
    const again = await bind("b1", "node-2");
    expect(again.code).toBe(409);
    expect(again.body).toMatchObject({ reason: "Conflict", message: 'Operation cannot be fulfilled on pods/binding "b1": pod b1 is already assigned to node "node-1"' });

    // absent: the same 404 as a GET
    const missing = await bind("nope", "node-1");
    expect(missing.code).toBe(404);
    expect(missing.body).toEqual((await call(url, "GET", "/api/v1/namespaces/default/pods/nope")).body);

    // Stale copies, made deterministic with a cache that always answers with an old one:
    const handlers = (stale: Record<string, unknown>) =>
      new ResourceHandlers(store, undefined, undefined, { peek: () => stale, trackWrite: (_: unknown, w: () => Promise<unknown>) => w(), lister: async () => undefined } as unknown as WatchCache);
    const target = (name: string) => parseResourcePath(`/api/v1/namespaces/default/pods/${name}/binding`) as ResourceTarget;
    const bindWith = (stale: Record<string, unknown>, name: string, node: string) =>
      handlers(stale)
        .bind(target(name), name, { target: { kind: "Node", name: node } }, new URLSearchParams())
        .catch((e: { status: { code: number } }) => e.status) as Promise<{ code: number }>;
    // a write the copy has not seen is never lost: the compare-and-swap fails and the current pod is bound
    await call(url, "POST", "/api/v1/namespaces/default/pods", pod("b2"));
    const before = await store.get(key("b2"));
    await store.update(key("b2"), { ...before, metadata: { ...(before.metadata as object), labels: { written: "behind-the-cache" } } }, (before.metadata as { resourceVersion: string }).resourceVersion);
    expect(await bindWith(before, "b2", "node-1")).toEqual({ code: 201, body: expect.objectContaining({ status: "Success" }) });
    const b2 = await store.get(key("b2"));
    expect((b2.metadata as { labels: unknown }).labels).toEqual({ written: "behind-the-cache" });
    expect((b2.spec as { nodeName: string }).nodeName).toBe("node-1");
    // deleted and created again: an old, bound copy does not refuse the new pod
    const oldBound = await store.get(key("b1"));
    expect((await call(url, "DELETE", "/api/v1/namespaces/default/pods/b1", { gracePeriodSeconds: 0 })).code).toBe(200);
    await call(url, "POST", "/api/v1/namespaces/default/pods", pod("b1"));
    expect((await bindWith(oldBound, "b1", "node-3")).code).toBe(201);
    expect(((await store.get(key("b1"))).spec as { nodeName: string }).nodeName).toBe("node-3");
    // gone since the copy was taken: the store's 404, as a GET gives it
    await store.delete(key("b2"));
    expect(await bindWith(b2, "b2", "node-1")).toEqual((await call(url, "GET", "/api/v1/namespaces/default/pods/b2")).body);
    await store.delete(key("b1"));
  });

  it("records events and aggregates repeats into one with a count", async () => {
    const recorder = new EventRecorder(c.api, { component: "test-controller" });
    const pod = await call(url, "POST", "/api/v1/namespaces/default/pods", { metadata: { name: "evt" }, spec: { containers: [{ name: "c", image: "x" }] } });
    await recorder.record(pod.body, "Warning", "BackOff", "Back-off restarting failed container");
    await recorder.record(pod.body, "Warning", "BackOff", "Back-off restarting failed container");
    await recorder.record(pod.body, "Normal", "Pulled", "Successfully pulled image");
    const events = await call(url, "GET", "/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Devt");
    const byReason = Object.fromEntries(events.body.items.map((e: any) => [e.reason, e]));
    expect(events.body.items).toHaveLength(2);
    expect(byReason.BackOff).toMatchObject({ count: 2, type: "Warning", source: { component: "test-controller" }, involvedObject: { kind: "Pod", name: "evt" } });
    expect(byReason.Pulled.count).toBe(1);
  });

  it("patches with JSON patch, merge patch, strategic merge patch and server-side apply", async () => {
    await call(url, "POST", "/apis/apps/v1/namespaces/default/deployments", deployment("patched"));
    const path = "/apis/apps/v1/namespaces/default/deployments/patched";
    const merge = await call(url, "PATCH", path, { metadata: { labels: { tier: "web" } } }, { "Content-Type": "application/merge-patch+json" });
    expect(merge.code).toBe(200);
    expect(merge.body.metadata.labels).toEqual({ tier: "web" });
    expect(merge.body.metadata.generation).toBe(1);

    // what `kubectl set image` sends: only the named container changes
    const smp = { spec: { template: { spec: { containers: [{ name: "web", image: "nginx:1.28" }] } } } };
    const strategic = await call(url, "PATCH", path, smp, { "Content-Type": "application/strategic-merge-patch+json" });
    expect(strategic.body.spec.template.spec.containers).toEqual([expect.objectContaining({ name: "web", image: "nginx:1.28", imagePullPolicy: "IfNotPresent" })]);
    expect(strategic.body.metadata.generation).toBe(2);

    const json = await call(url, "PATCH", path, [{ op: "replace", path: "/spec/replicas", value: 4 }], { "Content-Type": "application/json-patch+json" });
    expect(json.body.spec.replicas).toBe(4);
    const failedTest = await call(url, "PATCH", path, [{ op: "test", path: "/spec/replicas", value: 9 }], { "Content-Type": "application/json-patch+json" });
    expect(failedTest.code).toBe(422);
    // Kubernetes' bare 422 for a JSON patch it cannot apply (kubectl prints "The request is invalid")
    expect(failedTest.body).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: "the server rejected our request due to an error in our request",
      reason: "Invalid",
      details: {},
      code: 422,
    });
    const missing = await call(url, "PATCH", path, [{ op: "replace", path: "/spec/nope/x", value: 1 }], { "Content-Type": "application/json-patch+json" });
    expect([missing.code, missing.body.reason]).toEqual([422, "Invalid"]);
    const tooMany = await call(url, "PATCH", path, Array.from({ length: 10_001 }, () => ({ op: "test", path: "/kind", value: "Deployment" })), {
      "Content-Type": "application/json-patch+json",
    });
    expect([tooMany.code, tooMany.body.message]).toEqual([413, "Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001"]);

    const scale = await call(url, "PATCH", `${path}/scale`, { spec: { replicas: 6 } }, { "Content-Type": "application/merge-patch+json" });
    expect(scale.body).toMatchObject({ kind: "Scale", spec: { replicas: 6 } });

    const invalidPatch = await call(url, "PATCH", path, { spec: { replicas: -1 } }, { "Content-Type": "application/merge-patch+json" });
    expect(invalidPatch.code).toBe(422);
    const unknownType = await call(url, "PATCH", path, {}, { "Content-Type": "text/plain" });
    expect(unknownType.code).toBe(415);

    const apply = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "applied" }, data: { a: "1" } };
    const created = await call(url, "PATCH", "/api/v1/namespaces/default/configmaps/applied?fieldManager=kubectl", apply, { "Content-Type": "application/apply-patch+yaml" });
    expect(created.code).toBe(201);
    const reapplied = await call(url, "PATCH", "/api/v1/namespaces/default/configmaps/applied?fieldManager=kubectl", { ...apply, data: { a: "2" } }, { "Content-Type": "application/apply-patch+yaml" });
    expect(reapplied.body.data).toEqual({ a: "2" });
  });

  it("accepts the protobuf bodies kubectl's generators send", async () => {
    const body = readFileSync(join(import.meta.dirname, "..", "src", "protobuf", "fixtures", "kubectl-1.32", "configmap.pb"));
    const res = await fetch(`${url}/api/v1/namespaces/default/configmaps`, { method: "POST", headers: { "Content-Type": "application/vnd.kubernetes.protobuf" }, body });
    expect(res.status).toBe(201);
    const created = (await res.json()) as any;
    expect(created.kind).toBe("ConfigMap");
    expect(created.data).toBeTruthy();
    const garbage = await fetch(`${url}/api/v1/namespaces/default/configmaps`, { method: "POST", headers: { "Content-Type": "application/vnd.kubernetes.protobuf" }, body: "nope" });
    expect(garbage.status).toBe(400);
  });
});
