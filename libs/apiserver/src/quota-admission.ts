/**
 * The LimitRanger and ResourceQuota admission plugins, in kube-apiserver's
 * order (LimitRanger mutates before any validating plugin; ResourceQuota is
 * the last): one call per create from the handlers.
 *
 * LimitRanger (plugin/pkg/admission/limitranger): a pod's containers get the
 * namespace's LimitRange defaults, then every LimitRange's min / max /
 * maxLimitRequestRatio is enforced on pods and claims (403, kube's text).
 *
 * ResourceQuota (apiserver/pkg/admission/plugin/resourcequota): every quota
 * of the namespace that matches the object is checked against its
 * status.hard and charged in its status.used with a compare-and-swap on the
 * quota's resourceVersion before the object is stored, so two racing creates
 * cannot both take the last unit: the loser re-reads the quota from the
 * store and is refused. A charge for an object whose write then fails is
 * repaired by the resourcequota controller's next recount, as in kube.
 */
import {
  aggregateMessage, chargeQuota, claimLimitRangeErrors, defaultPodFromLimitRange, findResource, forbidden, invalid, isStatusError,
  objectUsage, podLimitRangeErrors, subtractUsage, type ResourceInfo, type Usage, resourceListJson, validateObject,
} from "@kubeactor/api";
import type { StoreClient } from "@kubeactor/client";
import { metaOf, type Obj } from "./objects.ts";
import { isPods } from "./pods.ts";
import { isServices } from "./services.ts";
import { isClaims } from "./storage-admission.ts";

const quotaInfo = findResource("", "v1", "resourcequotas")!;
const limitRangeInfo = findResource("", "v1", "limitranges")!;
/** Attempts at charging the quotas before answering 409 (kube retries its quota update the same way). */
const MAX_ATTEMPTS = 50;
/**
 * A short random pause before the next attempt: the store refuses a stale
 * resourceVersion as soon as the winner's write is accepted, but reads see
 * that write only once it is committed.
 */
const pause = (attempt: number): Promise<void> => new Promise((r) => setTimeout(r, Math.random() * Math.min(attempt + 1, 10) * 5));

/** Where the plugins read: the watch cache's listers (possibly a few ms stale), the store when the cache cannot answer. */
export interface AdmissionReads {
  /** The objects of `info` in `namespace`. */
  list(info: ResourceInfo, namespace: string): Promise<readonly Obj[]>;
  /** A write to `info` the watch cache must know of (see WatchCache.trackWrite). */
  tracked<T>(info: ResourceInfo, write: () => Promise<T>): Promise<T>;
}

export const storeReads = (store: StoreClient): AdmissionReads => ({
  list: async (info, namespace) => (await store.listAll({ group: info.group, resource: info.resource, namespace })).items as Obj[],
  tracked: (_info, write) => write(),
});

export class NamespaceLimitsAdmission {
  constructor(
    /** The store (a function: the handlers build this before their own fields are set). */
    private readonly storeOf: () => StoreClient,
    private readonly reads: AdmissionReads = storeReads(storeOf()),
  ) {}

  private get store(): StoreClient {
    return this.storeOf();
  }

  /** Both plugins for an object about to be created (mutates `obj`); throws the 403 / 422 to answer. */
  async admitCreate(info: ResourceInfo, obj: Obj, dryRun: boolean): Promise<void> {
    if (!info.namespaced) return;
    const namespace = metaOf(obj).namespace ?? "";
    if (isPods(info) || isClaims(info)) await this.limitRanger(info, obj, namespace);
    await this.resourceQuota(info, obj, namespace, dryRun, () => objectUsage(info.group, info.resource, obj));
  }

  /**
   * Both plugins for an update of the main resource. As kube's evaluators
   * handle updates only for Services and claims, only those are checked:
   * LimitRanger's claim min/max, and quota for what the update adds
   * (a Service turning NodePort / LoadBalancer, a claim's larger request).
   */
  async admitUpdate(info: ResourceInfo, obj: Obj, old: Obj, dryRun: boolean): Promise<void> {
    if (!(isClaims(info) || isServices(info))) return;
    const namespace = metaOf(obj).namespace ?? "";
    if (isClaims(info)) await this.limitRanger(info, obj, namespace);
    await this.resourceQuota(info, obj, namespace, dryRun, () => subtractUsage(objectUsage(info.group, info.resource, obj), objectUsage(info.group, info.resource, old)));
  }

  private async limitRanger(info: ResourceInfo, obj: Obj, namespace: string): Promise<void> {
    const ranges = await this.reads.list(limitRangeInfo, namespace);
    if (ranges.length === 0) return;
    const name = metaOf(obj).name ?? "";
    if (isPods(info)) {
      let changed = false;
      for (const lr of ranges) changed = defaultPodFromLimitRange(obj, lr) || changed;
      // Defaults land after the strategy's validation here (kube validates after mutating admission): check again.
      if (changed) {
        const causes = validateObject(info, obj);
        if (causes.length) throw invalid(info.kind, info.group, name, causes);
      }
    }
    const errors = ranges.flatMap((lr) => (isPods(info) ? podLimitRangeErrors(obj, lr) : claimLimitRangeErrors(obj, lr)));
    if (errors.length) throw forbidden(info, name, aggregateMessage(errors));
  }

  /**
   * Checks what the write adds against every matching quota and charges it.
   * `usage` works that out, called only when the namespace has quotas (most creates meet none).
   */
  private async resourceQuota(info: ResourceInfo, obj: Obj, namespace: string, dryRun: boolean, usage: () => Usage): Promise<void> {
    let quotas = await this.reads.list(quotaInfo, namespace);
    if (quotas.length === 0) return;
    const delta = usage();
    const name = metaOf(obj).name ?? "";
    for (let attempt = 0; ; attempt++) {
      const charges: { quota: Obj; used: Record<string, string> }[] = [];
      for (const quota of quotas) {
        const r = chargeQuota(quota, info.group, info.resource, obj, delta);
        if (!r) continue;
        if ("error" in r) throw forbidden(info, name, r.error);
        charges.push({ quota, used: resourceListJson(r.used) });
      }
      if (charges.length === 0 || dryRun) return;
      try {
        for (const { quota, used } of charges) {
          const m = metaOf(quota);
          const next = { ...quota, status: { ...(quota.status as Obj), used } };
          const key = { group: "", resource: "resourcequotas", namespace, name: m.name! };
          await this.reads.tracked(quotaInfo, () => this.store.update(key, next, m.resourceVersion));
        }
        return;
      } catch (e) {
        if (!(isStatusError(e) && e.status.reason === "Conflict") || attempt >= MAX_ATTEMPTS) throw e;
      }
      // Lost a race with another create (or the controller): the store's quotas decide.
      await pause(attempt);
      quotas = await storeReads(this.store).list(quotaInfo, namespace);
    }
  }
}
