/**
 * The resourcequota controller (pkg/controller/resourcequota): keeps each
 * ResourceQuota's status — hard copied from spec.hard, used recounted from
 * the namespace's objects (libs/api quota.ts, the evaluators admission uses
 * too). A quota is recounted when it is created or its spec.hard changes,
 * when an object it counts is deleted or changes what it uses (a pod turning
 * Succeeded / Failed or being deleted; adds were charged by admission), and
 * every 5 minutes
 * (`--resource-quota-sync-period`) to repair a charge admission made for an
 * object whose write then failed.
 *
 * Pods, services, configmaps, secrets and claims are read from informers;
 * other kinds named by `count/<resource>.<group>` are listed from the API
 * on each recount (kube uses dynamic informers for them).
 */
import {
  calculateUsage, objectCountName, parseResourceList, resourceListJson, resources, sameUsage, type Usage,
} from "@kubeactor/api";
import type { JsonObject } from "@kubeactor/bus";
import { type ResourceRef, standardIndexes } from "@kubeactor/client";
import { type Controller, PODS } from "./runtime.ts";
import { parseGoDuration } from "./node-lifecycle-flags.ts";
import { clone, isNotFound, meta, type Obj } from "./util.ts";

export const RESOURCE_QUOTAS: ResourceRef = { group: "", version: "v1", resource: "resourcequotas" };
/** kube-controller-manager's --resource-quota-sync-period default. */
export const RESOURCE_QUOTA_SYNC_MS = 5 * 60_000;

/** Kinds whose objects come from informers (the ones quotas name most, and pods, which change often). */
const WATCHED: readonly ResourceRef[] = [
  PODS,
  { group: "", version: "v1", resource: "services" },
  { group: "", version: "v1", resource: "configmaps" },
  { group: "", version: "v1", resource: "secrets" },
  { group: "", version: "v1", resource: "persistentvolumeclaims" },
  RESOURCE_QUOTAS,
];

/** Served kinds a quota can count (namespaced, stored). */
const COUNTABLE = resources.filter((r) => r.namespaced && r.servedFrom === "store");

/** What in a pod change can change its usage: its spec (resize), phase and deletion. */
const podUsageKey = (p: JsonObject): string =>
  JSON.stringify([(p.status as { phase?: string } | undefined)?.phase, meta(p).deletionTimestamp, (p.spec as Obj | undefined)?.containers]);

export interface ResourceQuotaOptions {
  /** How often every quota is recounted (`--resource-quota-sync-period`). */
  readonly syncPeriodMs: number;
}

export const resourceQuotaFlags = {
  "resource-quota-sync-period": { type: "string", default: "5m0s", help: "how often every ResourceQuota's usage is recounted in full (Go duration)" },
} as const;

/** The controller options the parsed flag values ask for; a bad value throws the one-line flag error. */
export const resourceQuotaOptionsFrom = (v: { "resource-quota-sync-period"?: string | undefined }): ResourceQuotaOptions => {
  const raw = String(v["resource-quota-sync-period"] ?? resourceQuotaFlags["resource-quota-sync-period"].default);
  const ms = parseGoDuration(raw);
  if (ms === undefined) throw new Error(`invalid value "${raw}" for flag --resource-quota-sync-period: time: invalid duration "${raw}"`);
  if (ms <= 0) throw new Error(`invalid value "${raw}" for flag --resource-quota-sync-period: must be positive`);
  return { syncPeriodMs: ms };
};

export const resourceQuotaControllerWith = ({ syncPeriodMs }: ResourceQuotaOptions): Controller => ({
  name: "resourcequota-controller",
  workers: 2,
  setup(ctx, queue) {
    const informers = new Map(WATCHED.map((r) => [r.resource, ctx.informer(r)]));
    for (const inf of informers.values()) inf.addIndex("namespace", standardIndexes.namespace!);
    const quotaInf = informers.get("resourcequotas")!;
    const quotasIn = (ns: string | undefined) => {
      for (const q of quotaInf.byIndex("namespace", ns ?? "")) queue.add(`${ns}/${meta(q).name}`);
    };
    quotaInf.addHandler({
      onAdd: (q) => queue.add(`${meta(q).namespace}/${meta(q).name}`),
      // Only a change of spec.hard, as kube: status changes are admission's charges and this
      // controller's own writes, and a recount on each could undo a charge whose object the
      // informers do not hold yet (letting a racing create in).
      onUpdate: (old, q) => {
        if (JSON.stringify((old.spec as Obj | undefined)?.hard ?? {}) !== JSON.stringify((q.spec as Obj | undefined)?.hard ?? {})) queue.add(`${meta(q).namespace}/${meta(q).name}`);
      },
    });
    for (const [resource, inf] of informers) {
      if (resource === "resourcequotas") {
        inf.addHandler({ onDelete: (q) => quotasIn(meta(q).namespace) });
        continue;
      }
      // Replenishment, as kube's: deletes and usage-changing updates free quota; adds were charged by admission.
      inf.addHandler({
        onDelete: (o) => quotasIn(meta(o).namespace),
        onUpdate: (old, o) => {
          // Cheap tests first: pod status updates are the busiest event stream, and most namespaces have no quota.
          if (old === o || quotaInf.byIndex("namespace", meta(o).namespace ?? "").length === 0) return;
          if (resource === "pods" && podUsageKey(old) === podUsageKey(o)) return;
          quotasIn(meta(o).namespace);
        },
      });
    }

    return async (key) => {
      const quota = quotaInf.get(key) as Obj | undefined;
      if (!quota || meta(quota).deletionTimestamp) return;
      const namespace = meta(quota).namespace ?? "";
      const spec = (quota.spec ?? {}) as { hard?: unknown };
      const status = (quota.status ?? {}) as { hard?: unknown; used?: unknown };
      const hard = parseResourceList(spec.hard);
      const hardNames = [...hard.keys()];
      // Kinds named by count/<resource>.<group> that no informer holds are listed now.
      const listed = new Map<string, readonly Obj[]>();
      for (const r of COUNTABLE) {
        if (informers.has(r.resource) && r.group === "") continue;
        if (!hardNames.includes(objectCountName(r.group, r.resource))) continue;
        const list = await ctx.api.list({ group: r.group, version: r.version, resource: r.resource }, namespace);
        listed.set(`${r.group}/${r.resource}`, ((list.items ?? []) as Obj[]));
      }
      const objectsOf = (group: string, resource: string): readonly Obj[] =>
        group === "" && informers.has(resource) ? (informers.get(resource)!.byIndex("namespace", namespace) as Obj[]) : (listed.get(`${group}/${resource}`) ?? []);
      const counted = calculateUsage(quota, hardNames, COUNTABLE, objectsOf);
      // Names no evaluator understands keep what they had; only names in hard are kept at all.
      const oldUsed = parseResourceList(status.used);
      const used: Usage = new Map();
      for (const n of hardNames) {
        const v = counted.get(n) ?? oldUsed.get(n);
        if (v) used.set(n, v);
      }
      const statusHard = parseResourceList(status.hard);
      if (status.hard !== undefined && status.used !== undefined && sameUsage(statusHard, hard) && sameUsage(oldUsed, used)) {
        return { requeueAfterMs: syncPeriodMs };
      }
      const next = clone(quota);
      next.status = { hard: resourceListJson(hard), used: resourceListJson(used) };
      try {
        // Conditional on the resourceVersion read: a charge admission made meanwhile makes this a Conflict, retried with a fresh count.
        await ctx.api.updateStatus(RESOURCE_QUOTAS, namespace, next);
      } catch (e) {
        if (isNotFound(e)) return;
        throw e;
      }
      return { requeueAfterMs: syncPeriodMs };
    };
  },
});

export const resourceQuotaController: Controller = resourceQuotaControllerWith({ syncPeriodMs: RESOURCE_QUOTA_SYNC_MS });
