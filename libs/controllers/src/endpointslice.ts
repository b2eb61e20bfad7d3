/**
 * The EndpointSlice controller: for every Service with a selector, the
 * matching pods as discovery.k8s.io/v1 EndpointSlices (named `<service>-xxxxx`,
 * labelled `kubernetes.io/service-name` and
 * `endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io`,
 * owned by the Service). Endpoints are grouped by address family and by the
 * port set they resolve to, at most 100 per slice; a Service with no
 * endpoints keeps one empty placeholder slice. Terminating pods stay listed
 * (ready=false, serving=pod Ready, terminating=true).
 *
 * Reconcile keeps endpoints in the slice that already holds them, updates only
 * slices whose content changed, deletes emptied ones, and creates new ones last.
 * generateName creates are not idempotent, so a Service is not reconciled again
 * until the informer has seen this controller's own writes (Kubernetes'
 * EndpointSliceTracker); a write not seen within STALE_MS is forgotten.
 */
import { ENDPOINTSLICE_CONTROLLER_NAME, LABEL_MANAGED_BY, LABEL_SERVICE_NAME } from "@kubeactor/api";
import { objectKey, type ResourceRef } from "@kubeactor/client";
import {
  endpointPort, HEADLESS_LABEL, hasManagedEndpoints, LAST_CHANGE_TRIGGER_TIME, podHostname, SERVICES, servicePods, shouldPodBeInEndpoints, watchServicesAndPods,
  type EndpointPort,
} from "./endpoints.ts";
import { type Controller, PODS } from "./runtime.ts";
import { canonicalJson, clone, isNotFound, isPodReady, jsonEqual, meta, now, type Obj } from "./util.ts";

export const ENDPOINTSLICES: ResourceRef = { group: "discovery.k8s.io", version: "v1", resource: "endpointslices" };
const NODES: ResourceRef = { group: "", version: "v1", resource: "nodes" };
const ZONE_LABEL = "topology.kubernetes.io/zone";

/** Kubernetes' default --max-endpoints-per-slice. */
export const MAX_ENDPOINTS_PER_SLICE = 100;
/** How long a write of ours may stay unseen by the informer before it is forgotten. */
const STALE_MS = 5_000;

export interface SliceEndpoint {
  addresses: string[];
  conditions: { ready: boolean; serving: boolean; terminating: boolean };
  hostname?: string;
  targetRef: { kind: "Pod"; namespace: string; name: string; uid: string };
  nodeName?: string;
  zone?: string;
}

/** One desired group: an address family and a port set, with its endpoints. */
export interface Group {
  addressType: string;
  ports: EndpointPort[];
  endpoints: SliceEndpoint[];
}

const isIPv6 = (ip: string) => ip.includes(":");

/** The endpoints of `svc` grouped by (addressType, ports), as Kubernetes' reconciler builds them. */
export const desiredGroups = (svc: Obj, pods: readonly Obj[], zoneOf: (node: string) => string | undefined = () => undefined): Group[] => {
  const families = ((svc.spec?.ipFamilies as string[] | undefined)?.length ? svc.spec.ipFamilies : ["IPv4"]) as string[];
  const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
  const groups = new Map<string, Group>();
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, true)) continue;
    const ports = ((svc.spec?.ports ?? []) as Parameters<typeof endpointPort>[1][])
      .map((sp) => endpointPort(pod, sp))
      .filter((p): p is EndpointPort => !!p)
      .sort((a, b) => canonicalJson(a).localeCompare(canonicalJson(b)));
    const ips: string[] = ((pod.status?.podIPs as { ip: string }[] | undefined)?.map((p) => p.ip) ?? [pod.status.podIP]).filter(Boolean);
    const serving = publishNotReady || isPodReady(pod);
    const terminating = !!meta(pod).deletionTimestamp;
    const hostname = podHostname(pod, svc);
    const nodeName: string | undefined = pod.spec?.nodeName;
    const zone = nodeName ? zoneOf(nodeName) : undefined;
    for (const family of families) {
      const ip = ips.find((a) => (family === "IPv6") === isIPv6(a));
      if (!ip) continue;
      const key = `${family}|${canonicalJson(ports)}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { addressType: family, ports, endpoints: [] }));
      g.endpoints.push({
        addresses: [ip],
        conditions: { ready: publishNotReady || (serving && !terminating), serving, terminating },
        ...(hostname ? { hostname } : {}),
        targetRef: { kind: "Pod", namespace: meta(pod).namespace ?? "", name: meta(pod).name, uid: meta(pod).uid },
        ...(nodeName ? { nodeName } : {}),
        ...(zone ? { zone } : {}),
      });
    }
  }
  return [...groups.values()];
};

export interface SlicePlan {
  /** Existing slices to keep, by name, with what each should hold. */
  readonly plan: Map<string, { slice?: Obj; addressType: string; ports: EndpointPort[]; endpoints: SliceEndpoint[] }>;
  /** New slices to create (at most MAX_ENDPOINTS_PER_SLICE endpoints each). */
  readonly creates: { addressType: string; ports: EndpointPort[]; endpoints: SliceEndpoint[] }[];
  /** Existing slices no group needs. */
  readonly unused: Obj[];
}

/**
 * The reconciler's packing of desired groups into this Service's existing
 * slices: an endpoint stays in the slice that has it; the rest fill slices
 * with room (fullest first), then new slices of at most
 * MAX_ENDPOINTS_PER_SLICE; an empty group (the placeholder) keeps exactly one
 * slice; slices no group uses are deleted. Minimises the slices written.
 */
export const planSlices = (groups: readonly Group[], mine: readonly Obj[]): SlicePlan => {
  const plan = new Map<string, { slice?: Obj; addressType: string; ports: EndpointPort[]; endpoints: SliceEndpoint[] }>();
  const creates: { addressType: string; ports: EndpointPort[]; endpoints: SliceEndpoint[] }[] = [];
  const used = new Set<string>();
  for (const g of groups) {
    const gk = groupKey(g.addressType, g.ports);
    const candidates = mine.filter((s) => !used.has(meta(s).name) && groupKey(s.addressType as string, s.ports) === gk);
    const assigned = new Map<string, SliceEndpoint[]>(candidates.map((s) => [meta(s).name, []]));
    const where = new Map<string, string>();
    for (const s of candidates) for (const e of (s.endpoints ?? []) as SliceEndpoint[]) where.set(epKey(e), meta(s).name);
    const rest: SliceEndpoint[] = [];
    // Endpoints stay in the slice that already has them.
    for (const e of g.endpoints) {
      const home = where.get(epKey(e));
      const list = home ? assigned.get(home)! : undefined;
      if (list && list.length < MAX_ENDPOINTS_PER_SLICE) list.push(e);
      else rest.push(e);
    }
    // Then fill slices with room (fullest first, fewer slices to touch), then new slices.
    const byFill = [...candidates].sort((a, b) => assigned.get(meta(b).name)!.length - assigned.get(meta(a).name)!.length);
    for (const s of byFill) {
      const list = assigned.get(meta(s).name)!;
      while (rest.length && list.length < MAX_ENDPOINTS_PER_SLICE) list.push(rest.shift()!);
    }
    for (let i = 0; i < rest.length; i += MAX_ENDPOINTS_PER_SLICE) creates.push({ addressType: g.addressType, ports: g.ports, endpoints: rest.slice(i, i + MAX_ENDPOINTS_PER_SLICE) });
    let keptEmpty = g.endpoints.length > 0;
    for (const s of candidates) {
      const eps = assigned.get(meta(s).name)!;
      // An empty group (the placeholder) keeps exactly one slice.
      if (eps.length === 0 && keptEmpty) continue;
      if (eps.length === 0) keptEmpty = true;
      used.add(meta(s).name);
      plan.set(meta(s).name, { slice: s, addressType: g.addressType, ports: g.ports, endpoints: eps });
    }
    if (g.endpoints.length === 0 && !keptEmpty) creates.push({ addressType: g.addressType, ports: [], endpoints: [] });
  }
  return { plan, creates, unused: mine.filter((s) => !used.has(meta(s).name)) };
};

const groupKey = (addressType: string, ports: unknown) => `${addressType}|${canonicalJson(ports ?? [])}`;
const epKey = (e: { addresses?: string[]; targetRef?: { uid?: string } }) => `${e.targetRef?.uid ?? ""}|${(e.addresses ?? []).join(",")}`;
const sortEndpoints = (eps: SliceEndpoint[]) => eps.sort((a, b) => a.targetRef.name.localeCompare(b.targetRef.name) || epKey(a).localeCompare(epKey(b)));

/** setEndpointSliceLabels: the Service's labels, minus reserved ones, plus service-name, managed-by and headless. */
const sliceLabels = (svc: Obj): Record<string, string> => {
  const labels: Record<string, string> = { ...(meta(svc).labels ?? {}) };
  for (const k of [LABEL_SERVICE_NAME, LABEL_MANAGED_BY, HEADLESS_LABEL]) delete labels[k];
  if (svc.spec?.clusterIP === "None") labels[HEADLESS_LABEL] = "";
  labels[LABEL_SERVICE_NAME] = meta(svc).name;
  labels[LABEL_MANAGED_BY] = ENDPOINTSLICE_CONTROLLER_NAME;
  return labels;
};

export const endpointSliceController: Controller = {
  name: "endpointslice-controller",
  workers: 5,
  setup(ctx, queue) {
    const svcInf = ctx.informer(SERVICES);
    const podInf = ctx.informer(PODS);
    const nodeInf = ctx.informer(NODES);
    const sliceInf = ctx.informer(ENDPOINTSLICES);
    /** Per Service: slice name → the resourceVersion we wrote (or "deleted"), and when. */
    const pending = new Map<string, Map<string, { rv: string; at: number }>>();

    const ownerKey = (slice: Obj): string | undefined => {
      const m = meta(slice);
      const svc = m.labels?.[LABEL_SERVICE_NAME];
      return svc && m.labels?.[LABEL_MANAGED_BY] === ENDPOINTSLICE_CONTROLLER_NAME ? `${m.namespace}/${svc}` : undefined;
    };
    const managedSlices = (svcKey: string): Obj[] => {
      const [ns] = svcKey.split("/");
      return (sliceInf.byIndex("label", `${LABEL_SERVICE_NAME}=${svcKey.split("/")[1]}`) as Obj[]).filter(
        (s) => meta(s).namespace === ns && meta(s).labels?.[LABEL_MANAGED_BY] === ENDPOINTSLICE_CONTROLLER_NAME,
      );
    };
    const expect = (svcKey: string, name: string, rv: string) => {
      if (!pending.has(svcKey)) pending.set(svcKey, new Map());
      pending.get(svcKey)!.set(name, { rv, at: Date.now() });
    };
    /** True once the cache reflects every write of ours for this Service. */
    const caughtUp = (svcKey: string): boolean => {
      const writes = pending.get(svcKey);
      if (!writes) return true;
      const ns = svcKey.split("/")[0];
      for (const [name, w] of writes) {
        const cached = sliceInf.get(`${ns}/${name}`) as Obj | undefined;
        const seen = w.rv === "deleted" ? !cached : !!cached && Number(meta(cached).resourceVersion) >= Number(w.rv);
        if (seen || Date.now() - w.at > STALE_MS) writes.delete(name);
      }
      if (writes.size === 0) pending.delete(svcKey);
      return writes.size === 0;
    };

    watchServicesAndPods(svcInf, podInf, (k) => queue.add(k));
    sliceInf.addHandler({
      onAdd: (s) => { const k = ownerKey(s as Obj); if (k) queue.add(k); },
      onUpdate: (_, s) => { const k = ownerKey(s as Obj); if (k) queue.add(k); },
      onDelete: (s) => { const k = ownerKey(s as Obj); if (k) queue.add(k); },
    });
    // A node's zone label feeds the endpoints of its pods.
    nodeInf.addHandler({
      onUpdate: (old, node) => {
        if (meta(old).labels?.[ZONE_LABEL] === meta(node).labels?.[ZONE_LABEL]) return;
        const keys = new Set<string>();
        for (const pod of podInf.byIndex("nodeName", meta(node).name) as Obj[]) for (const s of svcInf.byIndex("namespace", meta(pod).namespace ?? "")) keys.add(objectKey(s));
        for (const k of keys) queue.add(k);
      },
    });
    const zoneOf = (node: string) => meta(nodeInf.get(node) ?? { metadata: {} }).labels?.[ZONE_LABEL];

    const deleteSlice = async (svcKey: string, slice: Obj) => {
      await ctx.api.delete(ENDPOINTSLICES, meta(slice).namespace!, meta(slice).name).catch((e) => { if (!isNotFound(e)) throw e; });
      expect(svcKey, meta(slice).name, "deleted");
    };

    return async (key) => {
      if (!caughtUp(key)) return { requeueAfterMs: 100 };
      const [namespace = "", name = ""] = key.split("/");
      const svc = svcInf.get(key) as Obj | undefined;
      const existing = managedSlices(key);
      if (!svc) {
        // The garbage collector would remove them through the owner reference; do not wait for it.
        for (const s of existing) await deleteSlice(key, s);
        return;
      }
      if (!hasManagedEndpoints(svc) || meta(svc).deletionTimestamp) return;

      const labels = sliceLabels(svc);
      const owner = { apiVersion: "v1", kind: "Service", name, uid: meta(svc).uid, controller: true, blockOwnerDeletion: true };
      // Slices of an older incarnation of the Service (different uid) are not ours to reuse.
      const [mine, foreign] = [existing.filter((s) => meta(s).ownerReferences?.some((r) => r.uid === meta(svc).uid)), existing.filter((s) => !meta(s).ownerReferences?.some((r) => r.uid === meta(svc).uid))];
      for (const s of foreign) await deleteSlice(key, s);

      let groups = desiredGroups(svc, servicePods(svc, podInf), zoneOf);
      // No endpoints at all: one placeholder slice, no ports.
      if (groups.length === 0) groups = [{ addressType: ((svc.spec?.ipFamilies as string[] | undefined)?.[0]) ?? "IPv4", ports: [], endpoints: [] }];

      const { plan, creates, unused } = planSlices(groups, mine);
      for (const s of unused) await deleteSlice(key, s);
      for (const { slice, ports, endpoints } of plan.values()) {
        const s = slice!;
        sortEndpoints(endpoints);
        const have = sortEndpoints([...((s.endpoints ?? []) as SliceEndpoint[])]);
        const wantPorts = ports.length ? ports : undefined;
        if (jsonEqual(have, endpoints) && jsonEqual(s.ports ?? undefined, wantPorts) && jsonEqual(meta(s).labels ?? {}, labels)) continue;
        const next = clone(s) as Obj & Record<string, unknown>;
        next.metadata.labels = labels;
        next.metadata.annotations = { ...(meta(s).annotations ?? {}), [LAST_CHANGE_TRIGGER_TIME]: now() };
        next.endpoints = endpoints;
        if (wantPorts) next.ports = wantPorts;
        else delete next.ports;
        const written = await ctx.api.update(ENDPOINTSLICES, namespace, next);
        expect(key, meta(written).name, meta(written).resourceVersion ?? "0");
      }
      for (const c of creates) {
        const written = await ctx.api.create(ENDPOINTSLICES, namespace, {
          apiVersion: "discovery.k8s.io/v1",
          kind: "EndpointSlice",
          metadata: { generateName: `${name}-`, namespace, labels, annotations: { [LAST_CHANGE_TRIGGER_TIME]: now() }, ownerReferences: [owner] },
          addressType: c.addressType,
          endpoints: sortEndpoints(c.endpoints),
          ...(c.ports.length ? { ports: c.ports } : {}),
        } as unknown as Obj);
        expect(key, meta(written).name, meta(written).resourceVersion ?? "0");
      }
    };
  },
};
