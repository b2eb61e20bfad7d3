/**
 * The namespace controller: a Terminating namespace (deletionTimestamp set,
 * `kubernetes` in spec.finalizers) is emptied — every object of every
 * namespaced resource in it is deleted — and once nothing is left its
 * `kubernetes` finalizer is removed, which lets the API server drop it.
 *
 * Kubernetes removes the finalizer with PUT /api/v1/namespaces/{name}/finalize;
 * kubeactor's API server does not serve that subresource yet, so this writes
 * the namespace itself with the finalizer gone (an update that leaves a
 * terminating object with nothing to wait for removes it).
 */
import { apiVersionOf, resources } from "@kubeactor/api";
import { type Controller, NAMESPACES } from "./runtime.ts";
import { clone, isNotFound, meta, now, type Obj } from "./util.ts";

const FINALIZER = "kubernetes";
/** Every namespaced resource the API serves: what a namespace can hold. */
const NAMESPACED = resources.filter((r) => r.namespaced && r.verbs.includes("delete")).map((r) => ({ group: r.group, version: r.version, resource: r.resource, label: apiVersionOf(r) + "/" + r.resource }));
/** How soon to look again while content (e.g. pods a kubelet is stopping) remains. */
const RECHECK_MS = 1000;

export const namespaceController: Controller = {
  name: "namespace-controller",
  workers: 2,
  setup(ctx, queue) {
    const nsInf = ctx.informer(NAMESPACES);
    nsInf.addHandler({ onAdd: (ns) => queue.add(meta(ns).name), onUpdate: (_, ns) => queue.add(meta(ns).name) });

    /** Deletes what is there; returns how many objects remain (including ones only marked for deletion). */
    const deleteContent = async (ns: string): Promise<{ remaining: Record<string, number>; errors: string[] }> => {
      const remaining: Record<string, number> = {};
      const errors: string[] = [];
      await Promise.all(NAMESPACED.map(async (ref) => {
        try {
          const list = (await ctx.api.list(ref, ns)).items as Obj[];
          for (const o of list) {
            if (meta(o).deletionTimestamp) continue;
            await ctx.api.delete(ref, ns, meta(o).name, { propagationPolicy: "Background" }).catch((e) => { if (!isNotFound(e)) throw e; });
          }
          const left = ((await ctx.api.list(ref, ns)).items as Obj[]).length;
          if (left) remaining[ref.resource] = left;
        } catch (e) {
          errors.push(`${ref.label}: ${(e as Error).message}`);
        }
      }));
      return { remaining, errors };
    };

    const setConditions = async (ns: Obj, remaining: Record<string, number>, errors: string[]) => {
      const conditions = deletionConditions(ns.status?.conditions ?? [], remaining, errors, now());
      if (!conditions) return;
      const status = { ...(ns.status ?? {}), conditions };
      await ctx.api.updateStatus(NAMESPACES, "", { ...clone(ns), status }).catch((e) => { if (!isNotFound(e)) throw e; });
    };

    return async (name) => {
      const ns = nsInf.get(name) as Obj | undefined;
      if (!ns || !needsFinalizing(ns)) return;
      const finalizers = (ns.spec?.finalizers ?? []) as string[];
      const { remaining, errors } = await deleteContent(name);
      if (errors.length || Object.keys(remaining).length) {
        await setConditions(ns, remaining, errors);
        return { requeueAfterMs: RECHECK_MS };
      }
      const latest = (await ctx.api.get(NAMESPACES, "", name)) as Obj;
      const copy = clone(latest);
      copy.spec = { ...(copy.spec ?? {}), finalizers: finalizers.filter((f) => f !== FINALIZER) };
      await ctx.api.update(NAMESPACES, "", copy).catch((e) => { if (!isNotFound(e)) throw e; });
    };
  },
};

/** Only a Terminating namespace that still carries the `kubernetes` finalizer is this controller's work. */
export const needsFinalizing = (ns: Obj): boolean => !!meta(ns).deletionTimestamp && ((ns.spec?.finalizers ?? []) as string[]).includes(FINALIZER);

type NamespaceCondition = { type: string; status: string; reason: string; message: string; lastTransitionTime?: string };

/**
 * The NamespaceDeletionContentFailure / NamespaceContentRemaining conditions
 * for what deletion left (remaining objects per resource, per-resource
 * errors), other conditions kept; undefined when nothing changed (no write).
 */
export const deletionConditions = (
  old: readonly NamespaceCondition[],
  remaining: Record<string, number>,
  errors: readonly string[],
  at: string,
): NamespaceCondition[] | undefined => {
  const entries = Object.entries(remaining);
  const conditions = [
    errors.length
      ? { type: "NamespaceDeletionContentFailure", status: "True", reason: "ContentDeletionFailed", message: `Failed to delete all resource types, ${errors.length} remaining: ${errors.join(", ")}` }
      : { type: "NamespaceDeletionContentFailure", status: "False", reason: "ContentDeleted", message: "All content successfully deleted, may be waiting on finalization" },
    entries.length
      ? { type: "NamespaceContentRemaining", status: "True", reason: "SomeResourcesRemain", message: `Some resources are remaining: ${entries.map(([r, n]) => `${r} has ${n} resource instances`).join(", ")}` }
      : { type: "NamespaceContentRemaining", status: "False", reason: "ContentRemoved", message: "All content successfully removed" },
  ];
  const same = conditions.every((c) => old.some((o) => o.type === c.type && o.status === c.status && o.reason === c.reason && o.message === c.message));
  if (same) return undefined;
  const kept = old.filter((o) => !conditions.some((c) => c.type === o.type));
  return [...kept, ...conditions.map((c) => ({ ...c, lastTransitionTime: at }))];
};
