/**
 * v1 ComponentStatus (`kubectl get componentstatuses`, deprecated since
 * 1.19 and still served): the health of the scheduler, the controller
 * manager and the store (`etcd-0`, its role), checked when asked.
 *
 * kube-apiserver probes the components' /healthz ports; kubeactor's
 * components talk over the bus instead, so the API server reads what they
 * leave behind: the store answers its status request, and the scheduler and
 * controller manager each keep their leader Lease in kube-system renewed. A
 * component run with leader election off renews no Lease and reads as
 * Unhealthy here.
 */
import { findResource, methodNotAllowed, notFound } from "@kubeactor/api";
import type { StoreClient } from "@kubeactor/client";
import type { Reply, ResourceHandlers } from "./handlers.ts";
import type { ResourceTarget } from "./routes.ts";
import { isWatchRequest } from "./watch.ts";

type Obj = Record<string, unknown>;

const LEASES = findResource("coordination.k8s.io", "v1", "leases")!;
/** The warning kube-apiserver sends with every ComponentStatus answer; kubectl prints it. */
export const COMPONENT_STATUS_DEPRECATED = "v1 ComponentStatus is deprecated in v1.19+";
/** How long the store may take to say it serves before it counts as unhealthy. */
const STORE_TIMEOUT_MS = 2000;

interface Health {
  readonly healthy: boolean;
  readonly message?: string;
  readonly error?: string;
}

const ok: Health = { healthy: true, message: "ok" };

/** Healthy while its leader Lease is held and renewed within its duration. */
const leaderHealth = async (handlers: ResourceHandlers, lease: string): Promise<Health> => {
  const t: ResourceTarget = { kind: "resource", info: LEASES, namespace: "kube-system", name: lease, watchPrefix: false };
  let spec: Obj;
  try {
    spec = (((await handlers.get(t, lease)).body as Obj).spec ?? {}) as Obj;
  } catch {
    return { healthy: false, error: `no leader: lease kube-system/${lease} not found` };
  }
  const renewed = Date.parse(String(spec.renewTime ?? ""));
  const duration = Number(spec.leaseDurationSeconds ?? 0);
  if (!spec.holderIdentity || !Number.isFinite(renewed)) return { healthy: false, error: `no leader: lease kube-system/${lease} is not held` };
  if (renewed + duration * 1000 < Date.now()) return { healthy: false, error: `no leader: lease kube-system/${lease} was last renewed at ${String(spec.renewTime)}` };
  return ok;
};

/** The store serves (also while it writes a snapshot): /readyz asks the same. */
export const storeHealth = async (store: StoreClient): Promise<Health> => {
  try {
    const s = await store.status(STORE_TIMEOUT_MS);
    return s.phase === "Serving" || s.phase === "Snapshotting" ? ok : { healthy: false, error: `store is ${s.phase}` };
  } catch (e) {
    return { healthy: false, error: (e as Error).message };
  }
};

/** The components, in the order kube-apiserver lists them. */
const COMPONENTS: readonly { name: string; check: (store: StoreClient, handlers: ResourceHandlers) => Promise<Health> }[] = [
  { name: "scheduler", check: (_s, h) => leaderHealth(h, "kube-scheduler") },
  { name: "controller-manager", check: (_s, h) => leaderHealth(h, "kube-controller-manager") },
  { name: "etcd-0", check: (s) => storeHealth(s) },
];

/** As a list item (no kind or apiVersion, as in kube's typed lists). */
const componentStatus = (name: string, h: Health): Obj => ({
  metadata: { name },
  conditions: [{ type: "Healthy", status: h.healthy ? "True" : "False", ...(h.message ? { message: h.message } : {}), ...(h.error ? { error: h.error } : {}) }],
});

/** GET componentstatuses[/name]: checked now, nothing stored, with kube's deprecation warning. */
export const serveComponentStatuses = async (store: StoreClient, handlers: ResourceHandlers, t: ResourceTarget, method: string, q: URLSearchParams): Promise<Reply> => {
  if (method !== "GET" || isWatchRequest(t, q) || t.subresource !== undefined) throw methodNotAllowed();
  const warnings = [COMPONENT_STATUS_DEPRECATED];
  if (t.name !== undefined) {
    const component = COMPONENTS.find((c) => c.name === t.name);
    if (!component) throw notFound(t.info, t.name);
    return { code: 200, body: { kind: "ComponentStatus", apiVersion: "v1", ...componentStatus(component.name, await component.check(store, handlers)) }, warnings };
  }
  const items = await Promise.all(COMPONENTS.map(async (c) => componentStatus(c.name, await c.check(store, handlers))));
  return { code: 200, body: { kind: "ComponentStatusList", apiVersion: "v1", metadata: {}, items }, warnings };
};
