/**
 * The `kubernetes` Service in `default` (kube-apiserver's bootstrap
 * controller and endpoint reconciler): ClusterIP = the first address of the
 * service range, port 443 named `https` to the API server's own port, and an
 * Endpoints and an EndpointSlice `kubernetes` holding the API server's
 * address. Rewritten at every start, because the API port can change.
 * (kubeactor's API server speaks plain HTTP on that port; the name stays.)
 */
import { findResource, isStatusError } from "@kubeactor/api";
import type { StoreClient } from "@kubeactor/client";
import type { ObjectKey } from "@kubeactor/bus";
import { metaOf, type Obj, prepareCreate, prepareUpdate } from "./objects.ts";
import type { ServiceAllocator } from "./services.ts";

const NAME = "kubernetes";
const NS = "default";

const upsert = async (store: StoreClient, key: ObjectKey, version: string, wanted: Obj, same: (current: Obj) => boolean, allocate?: (o: Obj) => Promise<void>) => {
  const info = findResource(key.group, version, key.resource)!;
  let current: Obj | undefined;
  try {
    current = await store.get(key);
  } catch (e) {
    if (!(isStatusError(e) && e.status.code === 404)) throw e;
  }
  if (!current) {
    const obj = prepareCreate(info, wanted, NS);
    await allocate?.(obj);
    await store.create(key, obj);
  } else if (!same(current)) {
    const obj = prepareUpdate(info, { ...structuredClone(current), ...wanted, metadata: { ...metaOf(current), ...(wanted.metadata as Obj) } }, current, "main");
    await store.update(key, obj, metaOf(current).resourceVersion);
  }
};

export const ensureKubernetesService = async (store: StoreClient, alloc: ServiceAllocator, host: string, port: number): Promise<void> => {
  const labels = { component: "apiserver", provider: "kubernetes" };
  const svcPort = { name: "https", port: 443, protocol: "TCP", targetPort: port };
  await alloc.serialize(() =>
    upsert(
      store,
      { group: "", resource: "services", namespace: NS, name: NAME },
      "v1",
      { apiVersion: "v1", kind: "Service", metadata: { name: NAME, namespace: NS, labels }, spec: { type: "ClusterIP", clusterIP: alloc.firstIP, sessionAffinity: "None", ports: [svcPort] } },
      (c) => JSON.stringify((c.spec as { ports?: unknown }).ports) === JSON.stringify([svcPort]),
      (o) => alloc.allocateCreate(o),
    ),
  );
  const epPort = { name: "https", port, protocol: "TCP" };
  await upsert(
    store,
    { group: "", resource: "endpoints", namespace: NS, name: NAME },
    "v1",
    { apiVersion: "v1", kind: "Endpoints", metadata: { name: NAME, namespace: NS, labels: { "endpointslice.kubernetes.io/skip-mirror": "true" } }, subsets: [{ addresses: [{ ip: host }], ports: [epPort] }] },
    (c) => JSON.stringify(c.subsets) === JSON.stringify([{ addresses: [{ ip: host }], ports: [epPort] }]),
  );
  const endpoints = [{ addresses: [host], conditions: { ready: true } }];
  await upsert(
    store,
    { group: "discovery.k8s.io", resource: "endpointslices", namespace: NS, name: NAME },
    "v1",
    {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { name: NAME, namespace: NS, labels: { "kubernetes.io/service-name": NAME } },
      addressType: "IPv4",
      endpoints,
      ports: [epPort],
    },
    (c) => JSON.stringify(c.endpoints) === JSON.stringify(endpoints) && JSON.stringify(c.ports) === JSON.stringify([epPort]),
  );
};
