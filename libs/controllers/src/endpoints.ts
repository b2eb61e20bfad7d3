/**
 * The Endpoints controller: for every Service with a selector, an Endpoints
 * object of the same name listing the matching pods' IPs — ready ones under
 * `addresses`, the others under `notReadyAddresses` — with the Service's ports
 * resolved against each pod (a named targetPort is looked up in the pod's
 * container ports). Subsets are repacked like Kubernetes' RepackSubsets:
 * addresses sharing the same port set share a subset. Writes only on change;
 * a deleted Service's Endpoints are deleted. Selectorless Services are left
 * alone (their Endpoints are someone else's).
 *
 * The pod/service helpers here (port resolution, which pods belong in
 * endpoints, service→pods matching) are shared with the EndpointSlice controller.
 */
import { selectorFromSet } from "@kubeactor/api";
import { objectKey, type Informer, type ResourceRef } from "@kubeactor/client";
import { type Controller, PODS } from "./runtime.ts";
import { canonicalJson, clone, isAlreadyExists, isNotFound, isPodReady, jsonEqual, matches, meta, now, type Obj } from "./util.ts";

export const SERVICES: ResourceRef = { group: "", version: "v1", resource: "services" };
export const ENDPOINTS: ResourceRef = { group: "", version: "v1", resource: "endpoints" };

/** Annotation with the time of the change that triggered the last write. */
export const LAST_CHANGE_TRIGGER_TIME = "endpoints.kubernetes.io/last-change-trigger-time";
/** Set when more than MAX_ENDPOINTS addresses had to be dropped. */
export const OVER_CAPACITY = "endpoints.kubernetes.io/over-capacity";
/** Kubernetes >= 1.33 labels the Endpoints its controller manages. */
export const ENDPOINTS_MANAGED_BY = "endpoints.kubernetes.io/managed-by";
export const ENDPOINTS_CONTROLLER_NAME = "endpoint-controller";
export const HEADLESS_LABEL = "service.kubernetes.io/headless";
/** Kubernetes' maxCapacity of one Endpoints object. */
export const MAX_ENDPOINTS = 1000;

export interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef: { kind: "Pod"; namespace: string; name: string; uid: string };
}
export interface EndpointPort {
  name?: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}
export interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: EndpointPort[];
}

interface ServicePort {
  name?: string;
  protocol?: string;
  appProtocol?: string;
  port: number;
  targetPort?: number | string;
}
interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: string;
}

/** podutil.FindPort: the container port a Service port targets on this pod, or undefined. */
export const findPort = (pod: Obj, sp: ServicePort): number | undefined => {
  const target = sp.targetPort ?? sp.port;
  if (typeof target === "number") return target;
  if (/^\d+$/.test(target)) return Number(target);
  const protocol = sp.protocol ?? "TCP";
  // Restartable init containers (sidecars) serve ports too.
  const containers = [
    ...((pod.spec?.containers ?? []) as { ports?: ContainerPort[] }[]),
    ...((pod.spec?.initContainers ?? []) as { ports?: ContainerPort[]; restartPolicy?: string }[]).filter((c) => c.restartPolicy === "Always"),
  ];
  for (const c of containers) for (const p of c.ports ?? []) if (p.name === target && (p.protocol ?? "TCP") === protocol) return p.containerPort;
  return undefined;
};

/** The EndpointPort of `sp` on `pod`, when it resolves. */
export const endpointPort = (pod: Obj, sp: ServicePort): EndpointPort | undefined => {
  const port = findPort(pod, sp);
  if (port === undefined) return undefined;
  return { ...(sp.name ? { name: sp.name } : {}), port, protocol: sp.protocol ?? "TCP", ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}) };
};

export const isPodTerminal = (pod: Obj): boolean => pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";

/** endpointsliceutil.ShouldPodBeInEndpoints. */
export const shouldPodBeInEndpoints = (pod: Obj, includeTerminating: boolean): boolean =>
  !isPodTerminal(pod) && !!pod.status?.podIP && (includeTerminating || !meta(pod).deletionTimestamp);

/** Services that Kubernetes' endpoint controllers manage: a selector, and not ExternalName. */
export const hasManagedEndpoints = (svc: Obj): boolean => svc.spec?.selector != null && svc.spec?.type !== "ExternalName";

/** The pods of `svc`'s namespace its selector matches. */
export const servicePods = (svc: Obj, pods: Informer): Obj[] => {
  const sel = selectorFromSet(svc.spec?.selector ?? {});
  return (pods.byIndex("namespace", meta(svc).namespace ?? "") as Obj[]).filter((p) => matches(sel, p));
};

/** Keys of the Services (with selectors) in the pod's namespace that select it. */
export const servicesSelecting = (pod: Obj, services: Informer): string[] =>
  (services.byIndex("namespace", meta(pod).namespace ?? "") as Obj[])
    .filter((s) => hasManagedEndpoints(s) && matches(selectorFromSet(s.spec.selector), pod))
    .map((s) => objectKey(s));

/** Wires pod and service events to `queue`: a pod change enqueues the Services selecting its old and new labels. */
export const watchServicesAndPods = (svcInf: Informer, podInf: Informer, enqueue: (key: string) => void): void => {
  svcInf.addHandler({ onAdd: (s) => enqueue(objectKey(s)), onUpdate: (_, s) => enqueue(objectKey(s)), onDelete: (s) => enqueue(objectKey(s)) });
  const forPod = (p: unknown) => {
    for (const k of servicesSelecting(p as Obj, svcInf)) enqueue(k);
  };
  podInf.addHandler({
    onAdd: forPod,
    onUpdate: (old, pod) => {
      const keys = new Set([...servicesSelecting(old as Obj, svcInf), ...servicesSelecting(pod as Obj, svcInf)]);
      for (const k of keys) enqueue(k);
    },
    onDelete: forPod,
  });
};

/** The pod's DNS hostname in endpoints: spec.hostname when spec.subdomain is the Service. */
export const podHostname = (pod: Obj, svc: Obj): string | undefined =>
  pod.spec?.hostname && pod.spec?.subdomain === meta(svc).name && meta(pod).namespace === meta(svc).namespace ? pod.spec.hostname : undefined;

const podRef = (pod: Obj) => ({ kind: "Pod" as const, namespace: meta(pod).namespace ?? "", name: meta(pod).name, uid: meta(pod).uid });

/** The subsets Kubernetes' endpoints controller computes for `svc` over `pods` (already repacked and sorted). */
export const computeSubsets = (svc: Obj, pods: readonly Obj[]): EndpointSubset[] => {
  const tolerateUnready = svc.spec?.publishNotReadyAddresses === true;
  const ports = (svc.spec?.ports ?? []) as ServicePort[];
  const headless = svc.spec?.clusterIP === "None";
  const raw: { addr: EndpointAddress; ready: boolean; port?: EndpointPort }[] = [];
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, tolerateUnready)) continue;
    const hostname = podHostname(pod, svc);
    const addr: EndpointAddress = {
      ip: pod.status.podIP,
      ...(hostname ? { hostname } : {}),
      ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}),
      targetRef: podRef(pod),
    };
    const ready = tolerateUnready || isPodReady(pod);
    if (ports.length === 0) {
      // Headless Services without ports still publish addresses.
      if (headless) raw.push({ addr, ready });
      continue;
    }
    for (const sp of ports) {
      const port = endpointPort(pod, sp);
      if (port) raw.push({ addr, ready, port });
    }
  }
  return repackSubsets(raw);
};

const addrKey = (a: EndpointAddress) => `${a.ip}|${a.targetRef.uid}`;
const lessAddr = (a: EndpointAddress, b: EndpointAddress) => (a.ip !== b.ip ? (a.ip < b.ip ? -1 : 1) : a.targetRef.uid < b.targetRef.uid ? -1 : a.targetRef.uid > b.targetRef.uid ? 1 : 0);

/**
 * RepackSubsets: map every address to the ports it serves, then group the
 * addresses with identical (port set, readiness) into one subset; a ready
 * listing of an address wins over a not-ready one. Sorted for stability.
 */
export const repackSubsets = (raw: readonly { addr: EndpointAddress; ready: boolean; port?: EndpointPort }[]): EndpointSubset[] => {
  const byPort = new Map<string, { port?: EndpointPort; addrs: Map<string, { addr: EndpointAddress; ready: boolean }> }>();
  for (const r of raw) {
    const pk = r.port ? canonicalJson(r.port) : "";
    let entry = byPort.get(pk);
    if (!entry) byPort.set(pk, (entry = { ...(r.port ? { port: r.port } : {}), addrs: new Map() }));
    const k = addrKey(r.addr);
    const prev = entry.addrs.get(k);
    entry.addrs.set(k, { addr: r.addr, ready: (prev?.ready ?? false) || r.ready });
  }
  const groups = new Map<string, { addrs: { addr: EndpointAddress; ready: boolean }[]; ports: EndpointPort[] }>();
  for (const { port, addrs } of byPort.values()) {
    const list = [...addrs.values()].sort((a, b) => lessAddr(a.addr, b.addr));
    const key = list.map((a) => `${addrKey(a.addr)}=${a.ready}`).join(",");
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { addrs: list, ports: [] }));
    if (port) g.ports.push(port);
  }
  const subsets: EndpointSubset[] = [...groups.values()].map(({ addrs, ports }) => {
    const ready = addrs.filter((a) => a.ready).map((a) => a.addr);
    const notReady = addrs.filter((a) => !a.ready).map((a) => a.addr);
    ports.sort((a, b) => canonicalJson(a).localeCompare(canonicalJson(b)));
    return { ...(ready.length ? { addresses: ready } : {}), ...(notReady.length ? { notReadyAddresses: notReady } : {}), ...(ports.length ? { ports } : {}) };
  });
  return subsets.sort((a, b) => canonicalJson(a).localeCompare(canonicalJson(b)));
};

/** Drops addresses beyond MAX_ENDPOINTS (ready ones kept first), like Kubernetes' truncateEndpoints. */
const truncate = (subsets: EndpointSubset[]): { subsets: EndpointSubset[]; truncated: boolean } => {
  const total = subsets.reduce((n, s) => n + (s.addresses?.length ?? 0) + (s.notReadyAddresses?.length ?? 0), 0);
  if (total <= MAX_ENDPOINTS) return { subsets, truncated: false };
  let room = MAX_ENDPOINTS;
  const take = (list?: EndpointAddress[]) => {
    if (!list) return undefined;
    const kept = list.slice(0, Math.max(0, room));
    room -= kept.length;
    return kept.length ? kept : undefined;
  };
  const ready = subsets.map((s) => take(s.addresses));
  const out = subsets.map((s, i) => ({ ...s, addresses: ready[i], notReadyAddresses: take(s.notReadyAddresses) }));
  return {
    subsets: out
      .filter((s) => s.addresses || s.notReadyAddresses)
      .map((s) => Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined)) as EndpointSubset),
    truncated: true,
  };
};

/** The labels Kubernetes puts on a Service's Endpoints: the Service's, the headless marker, managed-by. */
const endpointsLabels = (svc: Obj): Record<string, string> => {
  const labels: Record<string, string> = { ...(meta(svc).labels ?? {}) };
  delete labels[HEADLESS_LABEL];
  if (svc.spec?.clusterIP === "None") labels[HEADLESS_LABEL] = "";
  labels[ENDPOINTS_MANAGED_BY] = ENDPOINTS_CONTROLLER_NAME;
  return labels;
};

export const endpointsController: Controller = {
  name: "endpoints-controller",
  workers: 5,
  setup(ctx, queue) {
    const svcInf = ctx.informer(SERVICES);
    const podInf = ctx.informer(PODS);
    const epInf = ctx.informer(ENDPOINTS);
    watchServicesAndPods(svcInf, podInf, (k) => queue.add(k));
    // Someone deleting or editing the Endpoints of a managed Service: put it back.
    epInf.addHandler({
      onUpdate: (_, ep) => svcInf.get(objectKey(ep)) && queue.add(objectKey(ep)),
      onDelete: (ep) => svcInf.get(objectKey(ep)) && queue.add(objectKey(ep)),
    });

    return async (key) => {
      const [namespace = "", name = ""] = key.split("/");
      const svc = svcInf.get(key) as Obj | undefined;
      const current = epInf.get(key) as Obj | undefined;
      if (!svc) {
        // Kubernetes deletes the Endpoints of a deleted Service explicitly (no owner reference).
        if (current) await ctx.api.delete(ENDPOINTS, namespace, name).catch((e) => { if (!isNotFound(e)) throw e; });
        return;
      }
      if (!hasManagedEndpoints(svc) || meta(svc).deletionTimestamp) return;

      const { subsets, truncated } = truncate(computeSubsets(svc, servicePods(svc, podInf)));
      const labels = endpointsLabels(svc);
      const annotations: Record<string, string> = { ...(current ? meta(current).annotations ?? {} : {}) };
      delete annotations[OVER_CAPACITY];
      if (truncated) annotations[OVER_CAPACITY] = "truncated";
      if (
        current &&
        jsonEqual(current.subsets ?? [], subsets) &&
        jsonEqual(meta(current).labels ?? {}, labels) &&
        (meta(current).annotations?.[OVER_CAPACITY] === "truncated") === truncated
      ) return;

      annotations[LAST_CHANGE_TRIGGER_TIME] = now();
      if (!current) {
        await ctx.api
          .create(ENDPOINTS, namespace, { apiVersion: "v1", kind: "Endpoints", metadata: { name, namespace, labels, annotations }, subsets: subsets as unknown as Obj[] })
          .catch((e) => {
            // Our cache is behind: the next event (our own create) brings it up to date.
            if (!isAlreadyExists(e)) throw e;
            queue.addAfter(key, 100);
          });
        return;
      }
      const next = clone(current);
      next.metadata.labels = labels;
      next.metadata.annotations = annotations;
      (next as Record<string, unknown>).subsets = subsets;
      // The cached resourceVersion makes a stale write fail with 409 and retry.
      await ctx.api.update(ENDPOINTS, namespace, next);
    };
  },
};
