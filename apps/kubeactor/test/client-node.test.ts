/**
 * @kubernetes/client-node, the official JavaScript client, as a second real
 * client next to kubectl: typed list / create / read, a raw watch, an informer
 * (list then watch, with its cache) seeing add / update / delete, PATCH as
 * strategic merge, JSON merge and JSON patch through the typed APIs,
 * server-side apply (typed, and through the generic KubernetesObjectApi),
 * deletecollection, and errors as ApiExceptions carrying the Status.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  type V1ConfigMap,
  Watch,
} from "@kubernetes/client-node";
import { startMemoryCluster, type TestCluster, until } from "@kubeactor/testing";

const namespace = "client-node";

describe("@kubernetes/client-node against kubeactor", () => {
  let cluster: TestCluster;
  let kc: KubeConfig;
  let core: CoreV1Api;
  let apps: AppsV1Api;
  const configMap = (name: string, data: Record<string, string>, labels: Record<string, string> = {}): V1ConfigMap => ({
    metadata: { name, labels },
    data,
  });

  beforeAll(async () => {
    cluster = await startMemoryCluster();
    kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: "kubeactor", server: cluster.url, skipTLSVerify: true }],
      users: [{ name: "user" }],
      contexts: [{ name: "kubeactor", cluster: "kubeactor", user: "user" }],
      currentContext: "kubeactor",
    });
    core = kc.makeApiClient(CoreV1Api);
    apps = kc.makeApiClient(AppsV1Api);
    await core.createNamespace({ body: { metadata: { name: namespace } } });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("lists with selectors, reads, and reports errors as ApiExceptions with the Status", async () => {
    await core.createNamespacedConfigMap({ namespace, body: configMap("a", { k: "1" }, { tier: "web" }) });
    await core.createNamespacedConfigMap({ namespace, body: configMap("b", { k: "2" }, { tier: "db" }) });
    const list = await core.listNamespacedConfigMap({ namespace });
    expect(list.kind).toBe("ConfigMapList");
    expect(list.metadata?.resourceVersion).toMatch(/^\d+$/);
    expect(list.items.map((c) => c.metadata?.name)).toEqual(["a", "b"]);
    const web = await core.listNamespacedConfigMap({ namespace, labelSelector: "tier in (web,cache)" });
    expect(web.items.map((c) => c.metadata?.name)).toEqual(["a"]);
    expect((await core.readNamespacedConfigMap({ namespace, name: "b" })).data).toEqual({ k: "2" });
    // typed objects come back with Date fields, as the client deserialises them
    expect((await core.readNamespacedConfigMap({ namespace, name: "b" })).metadata?.creationTimestamp).toBeInstanceOf(Date);

    const missing = await core.readNamespacedConfigMap({ namespace, name: "nope" }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ApiException);
    const notFound = missing as ApiException<string>;
    expect(notFound.code).toBe(404);
    expect(JSON.parse(notFound.body)).toMatchObject({ kind: "Status", reason: "NotFound", message: 'configmaps "nope" not found' });
    const dup = (await core.createNamespacedConfigMap({ namespace, body: configMap("a", {}) }).catch((e: unknown) => e)) as ApiException<string>;
    expect(dup.code).toBe(409);
    expect(JSON.parse(dup.body)).toMatchObject({ reason: "AlreadyExists", message: 'configmaps "a" already exists' });
  });

  it("watches from a list's resourceVersion: ADDED, MODIFIED, DELETED in order", async () => {
    const from = (await core.listNamespacedConfigMap({ namespace })).metadata!.resourceVersion!;
    const events: [string, string, string | undefined][] = [];
    let ended: unknown = "open";
    const watch = await new Watch(kc).watch(
      `/api/v1/namespaces/${namespace}/configmaps`,
      { resourceVersion: from, allowWatchBookmarks: true },
      (phase, obj) => {
        if (phase !== "BOOKMARK") events.push([phase, obj.metadata.name, obj.data?.k]);
      },
      (err) => (ended = err),
    );
    try {
      await core.createNamespacedConfigMap({ namespace, body: configMap("w", { k: "1" }) });
      await core.replaceNamespacedConfigMap({ namespace, name: "w", body: configMap("w", { k: "2" }) });
      await core.deleteNamespacedConfigMap({ namespace, name: "w" });
      await until("three watch events", () => events.length >= 3, 15_000);
      expect(events).toEqual([
        ["ADDED", "w", "1"],
        ["MODIFIED", "w", "2"],
        ["DELETED", "w", "2"],
      ]);
      expect(ended).toBe("open");
    } finally {
      watch.abort();
    }
  });

  it("runs an informer whose cache follows add, update and delete", async () => {
    const namespace = "client-node-informer";
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    await core.createNamespacedConfigMap({ namespace, body: configMap("a", { k: "1" }) });
    await core.createNamespacedConfigMap({ namespace, body: configMap("b", { k: "2" }) });
    const informer = makeInformer(kc, `/api/v1/namespaces/${namespace}/configmaps`, () => core.listNamespacedConfigMap({ namespace }));
    const seen: string[] = [];
    informer.on("add", (o) => seen.push(`add ${o.metadata?.name}`));
    informer.on("update", (o) => seen.push(`update ${o.metadata?.name} ${(o as V1ConfigMap).data?.k}`));
    informer.on("delete", (o) => seen.push(`delete ${o.metadata?.name}`));
    const errors: unknown[] = [];
    informer.on("error", (e) => errors.push(e));
    await informer.start();
    try {
      // the initial list fills the cache and announces each object
      await until("the initial list", () => seen.includes("add a") && seen.includes("add b"), 15_000);
      expect(informer.list(namespace).map((c) => c.metadata?.name).sort()).toEqual(["a", "b"]);

      await core.createNamespacedConfigMap({ namespace, body: configMap("i", { k: "1" }) });
      await until("add i", () => seen.includes("add i"), 15_000);
      await core.patchNamespacedConfigMap({ namespace, name: "i", body: { data: { k: "2" } } }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
      await until("update i", () => seen.includes("update i 2"), 15_000);
      expect(informer.get("i", namespace)?.data).toEqual({ k: "2" });
      await core.deleteNamespacedConfigMap({ namespace, name: "i" });
      await until("delete i", () => seen.includes("delete i"), 15_000);
      expect(informer.get("i", namespace)).toBeUndefined();
      expect(errors).toEqual([]);
    } finally {
      await informer.stop();
    }
  });

  it("patches through the typed APIs: strategic merge (by merge key), JSON merge, JSON patch", async () => {
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: "web" },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: "web" } },
          template: {
            metadata: { labels: { app: "web" } },
            spec: { containers: [{ name: "web", image: "nginx:1.27" }, { name: "sidecar", image: "busybox:1.36" }] },
          },
        },
      },
    });
    // strategic merge: containers merge by name, the sidecar stays
    const smp = await apps.patchNamespacedDeployment(
      { namespace, name: "web", body: { spec: { template: { spec: { containers: [{ name: "web", image: "nginx:1.28" }] } } } } },
      setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch),
    );
    expect(smp.spec?.template.spec?.containers.map((c) => [c.name, c.image])).toEqual([
      ["web", "nginx:1.28"],
      ["sidecar", "busybox:1.36"],
    ]);
    expect(smp.metadata?.generation).toBe(2);
    // JSON merge: a list is replaced whole; null removes a key
    const merged = await apps.patchNamespacedDeployment(
      {
        namespace,
        name: "web",
        body: { metadata: { labels: { team: "a" } }, spec: { replicas: 3, template: { spec: { containers: [{ name: "web", image: "nginx:1.29" }] } } } },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    expect(merged.spec?.replicas).toBe(3);
    expect(merged.spec?.template.spec?.containers.map((c) => c.name)).toEqual(["web"]);
    expect(merged.metadata?.labels).toEqual({ team: "a" });
    const unlabeled = await apps.patchNamespacedDeployment(
      { namespace, name: "web", body: { metadata: { labels: { team: null } } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    expect(unlabeled.metadata?.labels).toBeUndefined();
    // JSON patch, with a failing test op answered 422 and nothing changed
    const patched = await apps.patchNamespacedDeployment(
      { namespace, name: "web", body: [{ op: "replace", path: "/spec/replicas", value: 2 }] },
      setHeaderOptions("Content-Type", PatchStrategy.JsonPatch),
    );
    expect(patched.spec?.replicas).toBe(2);
    const failed = (await apps
      .patchNamespacedDeployment(
        { namespace, name: "web", body: [{ op: "test", path: "/spec/replicas", value: 7 }, { op: "replace", path: "/spec/replicas", value: 9 }] },
        setHeaderOptions("Content-Type", PatchStrategy.JsonPatch),
      )
      .catch((e: unknown) => e)) as ApiException<string>;
    expect(failed).toBeInstanceOf(ApiException);
    expect(failed.code).toBe(422);
    expect((await apps.readNamespacedDeployment({ namespace, name: "web" })).spec?.replicas).toBe(2);
  });

  it("server-side applies through the typed API and through KubernetesObjectApi", async () => {
    const body = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "applied", namespace }, data: { k: "1" } };
    const created = await core.patchNamespacedConfigMap(
      { namespace, name: "applied", body, fieldManager: "client-node" },
      setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply),
    );
    expect(created.data).toEqual({ k: "1" });
    expect(created.metadata?.managedFields?.map((m) => [m.manager, m.operation])).toEqual([["client-node", "Apply"]]);

    // the generic client reads discovery to find the resource, then patches with apply-patch+yaml
    const objects = KubernetesObjectApi.makeApiClient(kc);
    const other = await objects
      .patch({ ...body, data: { k: "2" } }, undefined, undefined, "someone-else", false, PatchStrategy.ServerSideApply)
      .catch((e: unknown) => e);
    expect(other).toBeInstanceOf(ApiException);
    expect((other as ApiException<string>).code).toBe(409);
    expect(JSON.parse((other as ApiException<string>).body).message).toBe('Apply failed with 1 conflict: conflict with "client-node": .data.k');
    const forced = await objects.patch({ ...body, data: { k: "2" } }, undefined, undefined, "someone-else", true, PatchStrategy.ServerSideApply);
    expect((forced as V1ConfigMap).data).toEqual({ k: "2" });
    expect((await objects.read({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "applied", namespace } })).metadata?.managedFields?.map((m) => m.manager)).toEqual([
      "someone-else",
    ]);
  });

  it("deletes a collection by label selector", async () => {
    await core.createNamespacedConfigMap({ namespace, body: configMap("gone-1", {}, { batch: "x" }) });
    await core.createNamespacedConfigMap({ namespace, body: configMap("gone-2", {}, { batch: "x" }) });
    await core.deleteCollectionNamespacedConfigMap({ namespace, labelSelector: "batch=x" });
    expect((await core.listNamespacedConfigMap({ namespace, labelSelector: "batch" })).items).toEqual([]);
    expect((await core.listNamespacedConfigMap({ namespace })).items.map((c) => c.metadata?.name)).toEqual(["a", "applied", "b"]);
  });
});
