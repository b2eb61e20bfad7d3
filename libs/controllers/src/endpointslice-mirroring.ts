/**
 * The EndpointSlice mirroring controller (kube-controller-manager's
 * `endpointslice-mirroring-controller`): Endpoints written by hand for a
 * Service without a selector are mirrored into EndpointSlices, so everything
 * that reads slices (kube-proxy, DNS) serves them.
 *
 * An Endpoints object is mirrored when its Service exists and has no
 * selector, and it is not labelled `endpointslice.kubernetes.io/skip-mirror:
 * "true"` nor a leader-election record. Subsets with the same ports and
 * address family share one slice (named `<endpoints>-xxxxx`, labelled
 * `kubernetes.io/service-name` and `endpointslice.kubernetes.io/managed-by:
 * endpointslicemirroring-controller.k8s.io`, owned by the Endpoints, with
 * its labels and annotations copied); addresses become ready endpoints,
 * notReadyAddresses unready ones; invalid IPs and duplicates are skipped and
 * at most 1000 addresses per subset are mirrored
 * (`--mirroring-max-endpoints-per-subset`). When mirroring no longer applies
 * the mirrored slices are deleted.
 */
import { isIP } from "node:net";
import { LABEL_MANAGED_BY, LABEL_SERVICE_NAME } from "@kubeactor/api";
import type { ReconcileResult } from "@kubeactor/client";
import { ENDPOINTS, LAST_CHANGE_TRIGGER_TIME, SERVICES } from "./endpoints.ts";
import { ENDPOINTSLICES } from "./endpointslice.ts";
import type { Controller } from "./runtime.ts";
import { canonicalJson, clone, isNotFound, jsonEqual, meta, type Obj } from "./util.ts";

export const MIRRORING_CONTROLLER_NAME = "endpointslicemirroring-controller.k8s.io";
export const SKIP_MIRROR_LABEL = "endpointslice.kubernetes.io/skip-mirror";
const LEADER_ANNOTATION = "control-plane.alpha.kubernetes.io/leader";
const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";
/** Kubernetes' default --mirroring-max-endpoints-per-subset. */
export const MAX_MIRRORED_PER_SUBSET = 1000;
/** How long a write of ours may stay unseen by the informer before it is forgotten. */
const STALE_MS = 5_000;

interface Address {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef?: Record<string, unknown>;
}
interface Port {
  name?: string;
  port: number;
  protocol?: string;
  appProtocol?: string;
}
export interface MirroredEndpoint {
  addresses: string[];
  conditions: { ready: boolean };
  hostname?: string;
  nodeName?: string;
  targetRef?: Record<string, unknown>;
}
export interface MirroredSlice {
  addressType: "IPv4" | "IPv6";
  ports: { name: string; port: number; protocol: string; appProtocol?: string }[];
  endpoints: MirroredEndpoint[];
}

/** shouldMirror: an Endpoints the controller mirrors, given its Service (undefined: none). */
export const shouldMirror = (endpoints: Obj | undefined, svc: Obj | undefined): boolean =>
  !!endpoints &&
  !!svc &&
  svc.spec?.selector == null &&
  meta(endpoints).labels?.[SKIP_MIRROR_LABEL] !== "true" &&
  meta(endpoints).annotations?.[LEADER_ANNOTATION] === undefined;

/** The slices an Endpoints object mirrors into: one per (port set, address family), in subset order. */
export const mirroredSlices = (endpoints: Obj): MirroredSlice[] => {
  const groups = new Map<string, MirroredSlice & { seen: Set<string> }>();
  for (const subset of (endpoints.subsets ?? []) as { addresses?: Address[]; notReadyAddresses?: Address[]; ports?: Port[] }[]) {
    const ports = (subset.ports ?? [])
      .map((p) => ({ name: p.name ?? "", port: p.port, protocol: p.protocol ?? "TCP", ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}) }))
      .sort((a, b) => canonicalJson(a).localeCompare(canonicalJson(b)));
    let added = 0;
    const add = (a: Address, ready: boolean) => {
      const family = isIP(a.ip);
      if (family === 0 || added >= MAX_MIRRORED_PER_SUBSET) return;
      const addressType = family === 6 ? "IPv6" : "IPv4";
      const key = `${addressType}|${canonicalJson(ports)}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { addressType, ports, endpoints: [], seen: new Set() }));
      if (g.seen.has(a.ip)) return;
      g.seen.add(a.ip);
      added++;
      g.endpoints.push({
        addresses: [a.ip],
        conditions: { ready },
        ...(a.hostname ? { hostname: a.hostname } : {}),
        ...(a.nodeName ? { nodeName: a.nodeName } : {}),
        ...(a.targetRef ? { targetRef: a.targetRef } : {}),
      });
    };
    for (const a of subset.addresses ?? []) add(a, true);
    for (const a of subset.notReadyAddresses ?? []) add(a, false);
  }
  return [...groups.values()].map(({ seen: _, ...s }) => s);
};

/** The labels and annotations a mirrored slice carries: the Endpoints' own, plus service-name and managed-by. */
export const mirroredMetadata = (endpoints: Obj): { labels: Record<string, string>; annotations: Record<string, string> } => {
  const labels: Record<string, string> = { ...(meta(endpoints).labels ?? {}) };
  labels[LABEL_SERVICE_NAME] = meta(endpoints).name;
  labels[LABEL_MANAGED_BY] = MIRRORING_CONTROLLER_NAME;
  const annotations: Record<string, string> = { ...(meta(endpoints).annotations ?? {}) };
  delete annotations[LAST_CHANGE_TRIGGER_TIME];
  delete annotations[LAST_APPLIED];
  return { labels, annotations };
};

const sliceKey = (s: Obj | MirroredSlice) => `${s.addressType}|${canonicalJson(s.ports ?? [])}`;

export const endpointSliceMirroringController: Controller = {
  name: "endpointslice-mirroring-controller",
  workers: 2,
  setup(ctx, queue) {
    const epInf = ctx.informer(ENDPOINTS);
    const svcInf = ctx.informer(SERVICES);
    const sliceInf = ctx.informer(ENDPOINTSLICES);
    const pending = new Map<string, Map<string, { rv: string; at: number }>>();
    const key = (o: unknown) => `${meta(o as Obj).namespace}/${meta(o as Obj).name}`;
    const sliceOwner = (s: Obj) =>
      meta(s).labels?.[LABEL_MANAGED_BY] === MIRRORING_CONTROLLER_NAME && meta(s).labels?.[LABEL_SERVICE_NAME] ? `${meta(s).namespace}/${meta(s).labels![LABEL_SERVICE_NAME]}` : undefined;
    const enqueueSlice = (s: unknown) => {
      const k = sliceOwner(s as Obj);
      if (k) queue.add(k);
    };
    for (const inf of [epInf, svcInf]) inf.addHandler({ onAdd: (o) => queue.add(key(o)), onUpdate: (_, o) => queue.add(key(o)), onDelete: (o) => queue.add(key(o)) });
    sliceInf.addHandler({ onAdd: enqueueSlice, onUpdate: (_, s) => enqueueSlice(s), onDelete: enqueueSlice });

    const expect = (k: string, name: string, rv: string) => {
      if (!pending.has(k)) pending.set(k, new Map());
      pending.get(k)!.set(name, { rv, at: Date.now() });
    };
    /** generateName creates are not idempotent: wait until the cache shows our own writes. */
    const caughtUp = (k: string): boolean => {
      const writes = pending.get(k);
      if (!writes) return true;
      const ns = k.split("/")[0];
      for (const [name, w] of writes) {
        const cached = sliceInf.get(`${ns}/${name}`) as Obj | undefined;
        const seen = w.rv === "deleted" ? !cached : !!cached && Number(meta(cached).resourceVersion) >= Number(w.rv);
        if (seen || Date.now() - w.at > STALE_MS) writes.delete(name);
      }
      if (writes.size === 0) pending.delete(k);
      return writes.size === 0;
    };
    const remove = async (k: string, s: Obj) => {
      await ctx.api.delete(ENDPOINTSLICES, meta(s).namespace!, meta(s).name).catch((e) => {
        if (!isNotFound(e)) throw e;
      });
      expect(k, meta(s).name, "deleted");
    };

    return async (k): Promise<ReconcileResult> => {
      if (!caughtUp(k)) return { requeueAfterMs: 100 };
      const [namespace = "", name = ""] = k.split("/");
      const endpoints = epInf.get(k) as Obj | undefined;
      const svc = svcInf.get(k) as Obj | undefined;
      const existing = (sliceInf.byIndex("namespace", namespace) as Obj[]).filter((s) => sliceOwner(s) === k);
      const uid = endpoints ? meta(endpoints).uid : undefined;
      // Slices of an older Endpoints object (another uid) are not ours to reuse.
      const mine = existing.filter((s) => meta(s).ownerReferences?.some((r) => r.uid === uid));
      for (const s of existing.filter((x) => !mine.includes(x))) await remove(k, s);
      if (!endpoints || !shouldMirror(endpoints, svc)) {
        for (const s of mine) await remove(k, s);
        return;
      }
      const { labels, annotations } = mirroredMetadata(endpoints);
      const owner = { apiVersion: "v1", kind: "Endpoints", name, uid: meta(endpoints).uid, controller: true, blockOwnerDeletion: true };
      const unused = [...mine];
      const creates: MirroredSlice[] = [];
      for (const want of mirroredSlices(endpoints)) {
        const i = unused.findIndex((s) => sliceKey(s) === sliceKey(want));
        if (i < 0) {
          creates.push(want);
          continue;
        }
        const have = unused.splice(i, 1)[0]!;
        if (jsonEqual(have.endpoints ?? [], want.endpoints) && jsonEqual(meta(have).labels ?? {}, labels) && jsonEqual(meta(have).annotations ?? {}, annotations)) continue;
        const next = clone(have) as Obj & Record<string, unknown>;
        next.metadata.labels = labels;
        next.metadata.annotations = annotations;
        next.endpoints = want.endpoints;
        const written = await ctx.api.update(ENDPOINTSLICES, namespace, next);
        expect(k, meta(written).name, meta(written).resourceVersion ?? "0");
      }
      for (const s of unused) await remove(k, s);
      for (const c of creates) {
        const written = await ctx.api.create(ENDPOINTSLICES, namespace, {
          apiVersion: "discovery.k8s.io/v1",
          kind: "EndpointSlice",
          metadata: { generateName: `${name}-`, namespace, labels, annotations, ownerReferences: [owner] },
          addressType: c.addressType,
          endpoints: c.endpoints,
          ports: c.ports,
        } as unknown as Obj);
        expect(k, meta(written).name, meta(written).resourceVersion ?? "0");
      }
    };
  },
};
