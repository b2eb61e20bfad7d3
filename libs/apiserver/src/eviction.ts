/**
 * POST pods/{name}/eviction (policy/v1 Eviction, also v1beta1): the polite
 * delete that `kubectl drain` uses, honouring PodDisruptionBudgets as
 * kube-apiserver's EvictionREST does (pkg/registry/core/pod/storage/eviction.go):
 *
 * - a pod that is terminal, Pending or already terminating is deleted without
 *   consulting any budget (canIgnorePDB);
 * - a pod selected by more than one budget: 500, not supported;
 * - an unready pod whose budget is healthy (currentHealthy ≥ desiredHealthy >
 *   0), or any unready pod under `unhealthyPodEvictionPolicy: AlwaysAllow`, is
 *   deleted without spending the budget (pinned to the pod's resourceVersion,
 *   so a pod turning Ready meanwhile gets 429 rather than an unbudgeted delete);
 * - otherwise the budget's status.disruptionsAllowed is decremented and the
 *   pod recorded in status.disruptedPods (a compare-and-swap on the budget,
 *   retried on conflict with a fresh copy) before the pod is deleted; with
 *   nothing left, 429 TooManyRequests with a DisruptionBudget cause.
 *
 * The deletion is the ordinary delete with the Eviction's deleteOptions
 * (graceful for bound pods), after marking the pod with the DisruptionTarget
 * condition; the answer is 201 with a Success Status.
 */
import { badRequest, findResource, labelSelectorFromApi, matchesLabels, type Status, StatusError, isStatusError, rfc3339, timeout } from "@kubeactor/api";
import type { Reply, ResourceHandlers } from "./handlers.ts";
import type { Obj } from "./objects.ts";
import type { ResourceTarget } from "./routes.ts";

const EVICTION_VERSIONS = new Set(["policy/v1", "policy/v1beta1"]);
const PDBS = findResource("policy", "v1", "poddisruptionbudgets")!;
/** Upstream's EvictionsRetry: a handful of attempts against conflicting writers. */
const EVICTION_RETRIES = 5;
/** Upstream's MaxDisruptedPodSize: evictions the disruption controller has not confirmed yet. */
const MAX_DISRUPTED_PODS = 2000;

const VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget.";

/** errors.NewTooManyRequests with policy/v1's DisruptionBudget cause. */
const tooManyRequests = (cause: string, retryAfterSeconds: number): StatusError =>
  new StatusError({
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: VIOLATION,
    reason: "TooManyRequests",
    details: { causes: [{ reason: "DisruptionBudget", message: cause }], ...(retryAfterSeconds > 0 ? { retryAfterSeconds } : {}) },
    code: 429,
  });
/** createTooManyRequestsError: the budget has not caught up with the pods yet. */
const stillProcessing = (pdb: string) => tooManyRequests(`The disruption budget ${pdb} is still being processed by the server.`, 10);

const isConflict = (e: unknown) => isStatusError(e) && e.status.reason === "Conflict";
const isReady = (pod: Obj) =>
  (((pod.status as Obj | undefined)?.conditions ?? []) as { type?: string; status?: string }[]).some((c) => c.type === "Ready" && c.status === "True");
const phaseOf = (pod: Obj) => (pod.status as { phase?: string } | undefined)?.phase;
const metaOf = (o: Obj) => (o.metadata ?? {}) as { name?: string; namespace?: string; labels?: Record<string, string>; resourceVersion?: string; generation?: number; deletionTimestamp?: string };
const isTerminal = (pod: Obj) => phaseOf(pod) === "Succeeded" || phaseOf(pod) === "Failed";

/** canIgnorePDB: evicting these causes no new disruption. */
export const canIgnorePDB = (pod: Obj): boolean => isTerminal(pod) || phaseOf(pod) === "Pending" || !!metaOf(pod).deletionTimestamp;
/** shouldEnforceResourceVersion: a live pod could become Ready between our read and the delete. */
const shouldEnforceResourceVersion = (pod: Obj): boolean => !isTerminal(pod) && !metaOf(pod).deletionTimestamp;

/** The budgets selecting the pod. A budget with an empty or missing selector selects nothing here (upstream's eviction rule). */
export const budgetsFor = (pod: Obj, pdbs: readonly Obj[]): Obj[] =>
  pdbs.filter((pdb) => {
    const sel = (pdb.spec as { selector?: unknown } | undefined)?.selector;
    try {
      const parsed = labelSelectorFromApi(sel as never);
      return parsed.requirements.length > 0 && matchesLabels(parsed, metaOf(pod).labels ?? {});
    } catch {
      return false;
    }
  });

interface BudgetStatus {
  observedGeneration?: number;
  disruptionsAllowed?: number;
  currentHealthy?: number;
  desiredHealthy?: number;
  disruptedPods?: Record<string, string>;
  conditions?: { type: string; status: string; reason?: string; message?: string; observedGeneration?: number; lastTransitionTime?: string }[];
}


/**
 * checkAndDecrement as a pure step: the budget with one disruption spent and
 * the pod recorded, or the Status error the eviction answers.
 */
export const spendDisruption = (pdb: Obj, podName: string, now = new Date()): Obj => {
  const name = metaOf(pdb).name ?? "";
  const status = (pdb.status ?? {}) as BudgetStatus;
  if ((status.observedGeneration ?? 0) < (metaOf(pdb).generation ?? 0)) throw stillProcessing(name);
  const allowed = status.disruptionsAllowed ?? 0;
  const forbidden = (why: string) =>
    new StatusError({
      kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", reason: "Forbidden", code: 403,
      message: `poddisruptionbudgets.policy "${name}" is forbidden: ${why}`,
      details: { name, group: "policy", kind: "poddisruptionbudgets" },
    });
  if (allowed < 0) throw forbidden("pdb disruptions allowed is negative");
  if (Object.keys(status.disruptedPods ?? {}).length > MAX_DISRUPTED_PODS)
    throw forbidden("DisruptedPods map too big - too many evictions not confirmed by PDB controller");
  if (allowed === 0)
    throw tooManyRequests(`The disruption budget ${name} needs ${status.desiredHealthy ?? 0} healthy pods and has ${status.currentHealthy ?? 0} currently`, 0);
  const next: BudgetStatus = { ...status, disruptionsAllowed: allowed - 1, disruptedPods: { ...(status.disruptedPods ?? {}), [podName]: rfc3339(now) } };
  if (next.disruptionsAllowed === 0) {
    // UpdateDisruptionAllowedCondition: the last allowed disruption flips the condition at once.
    const conditions = [...(status.conditions ?? [])];
    const i = conditions.findIndex((c) => c.type === "DisruptionAllowed");
    const cond = {
      type: "DisruptionAllowed", status: "False", reason: "InsufficientPods", message: "",
      ...(status.observedGeneration !== undefined ? { observedGeneration: status.observedGeneration } : {}),
      lastTransitionTime: i >= 0 && conditions[i]!.status === "False" ? conditions[i]!.lastTransitionTime : rfc3339(now),
    };
    if (i >= 0) conditions[i] = cond;
    else conditions.push(cond);
    next.conditions = conditions;
  }
  return { ...pdb, status: next };
};

export const evictPod = async (handlers: ResourceHandlers, t: ResourceTarget, name: string, eviction: Obj, q: URLSearchParams): Promise<Reply> => {
  if (eviction.kind !== undefined && eviction.kind !== "Eviction") {
    throw badRequest(`the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf`);
  }
  if (eviction.apiVersion !== undefined && !EVICTION_VERSIONS.has(String(eviction.apiVersion))) {
    throw badRequest(`the API version in the data (${String(eviction.apiVersion)}) does not match the expected API version (policy/v1)`);
  }
  const meta = (eviction.metadata ?? {}) as { name?: string; namespace?: string };
  if (meta.name && meta.name !== name) throw badRequest("name in URL does not match name in Eviction object");
  if (meta.namespace && t.namespace && meta.namespace !== t.namespace) {
    throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
  }
  const options = (eviction.deleteOptions ?? {}) as Obj;
  const dryRun = (Array.isArray(options.dryRun) && options.dryRun.includes("All")) || q.getAll("dryRun").includes("All");
  const query = new URLSearchParams(q);
  if (dryRun && !query.getAll("dryRun").includes("All")) query.append("dryRun", "All");
  const podT = { ...t, subresource: undefined } as ResourceTarget;
  const userRV = (options.preconditions as { resourceVersion?: string } | undefined)?.resourceVersion;
  const withRV = (rv: string | undefined): Obj => ({ ...options, preconditions: { ...((options.preconditions as Obj | undefined) ?? {}), resourceVersion: rv } });

  /** addConditionAndDeletePod: DisruptionTarget on the pod's status, then the ordinary delete. */
  const deletePod = async (opts: Obj): Promise<void> => {
    let deleteOptions = opts;
    const wanted = (opts.preconditions as { resourceVersion?: string } | undefined)?.resourceVersion;
    // Without a pinned version the condition is written to the latest pod, re-read after a lost race.
    for (let attempt = 0; !dryRun; attempt++) {
      const current = (await handlers.get(podT, name)).body as Obj;
      if (isTerminal(current)) break;
      try {
        const status = (current.status ?? {}) as { conditions?: Obj[] };
        const at = rfc3339();
        const conditions = (status.conditions ?? []).filter((c) => c.type !== "DisruptionTarget");
        const old = (status.conditions ?? []).find((c) => c.type === "DisruptionTarget");
        conditions.push({
          type: "DisruptionTarget", status: "True",
          lastTransitionTime: old?.status === "True" ? old.lastTransitionTime : at,
          reason: "EvictionByEvictionAPI", message: "Eviction API: evicting",
        });
        const updated = await handlers.update(
          podT, name,
          { ...current, metadata: { ...metaOf(current), resourceVersion: wanted ?? metaOf(current).resourceVersion }, status: { ...status, conditions } },
          new URLSearchParams(), "status",
        );
        // We moved the pod's resourceVersion ourselves: the delete's precondition follows it.
        if (wanted) deleteOptions = withRV(metaOf(updated.body as Obj).resourceVersion);
        break;
      } catch (e) {
        if (wanted || !isConflict(e) || attempt >= EVICTION_RETRIES) throw e;
      }
    }
    await handlers.delete(podT, name, deleteOptions, query);
  };
  const done: Reply = { code: 201, body: { ...success201 } };

  // Pods whose eviction disrupts nothing new are deleted without looking at budgets.
  let pod: Obj | undefined;
  for (let attempt = 0; ; attempt++) {
    pod = (await handlers.get(podT, name)).body as Obj;
    if (!canIgnorePDB(pod)) break;
    try {
      await deletePod(shouldEnforceResourceVersion(pod) && !userRV ? withRV(metaOf(pod).resourceVersion) : options);
      return done;
    } catch (e) {
      if (!isConflict(e) || userRV || attempt >= EVICTION_RETRIES) throw e;
    }
  }

  const namespace = metaOf(pod).namespace ?? t.namespace;
  const pdbT: ResourceTarget = { kind: "resource", info: PDBS, namespace, watchPrefix: false };
  const listed = ((await handlers.list(pdbT, new URLSearchParams())).body as { items: Obj[] }).items;
  const budgets = budgetsFor(pod, listed);
  if (budgets.length > 1) {
    const body: Status = {
      kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure",
      message: "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
      code: 500,
    };
    return { code: 500, body };
  }
  let pinToPod = false;
  const budget = budgets[0];
  if (budget) {
    const spec = (budget.spec ?? {}) as { unhealthyPodEvictionPolicy?: string };
    const status = (budget.status ?? {}) as BudgetStatus;
    // An unready pod does not count as healthy, so evicting it spends nothing — when the policy allows it.
    if (!isReady(pod) && (spec.unhealthyPodEvictionPolicy === "AlwaysAllow" || ((status.currentHealthy ?? 0) >= (status.desiredHealthy ?? 0) && (status.desiredHealthy ?? 0) > 0))) {
      pinToPod = true;
    } else {
      let current = budget;
      const pdbName = metaOf(budget).name ?? "";
      for (let attempt = 0; ; attempt++) {
        const spent = spendDisruption(current, name);
        if (dryRun) break;
        try {
          await handlers.update(pdbT, pdbName, spent, new URLSearchParams(), "status");
          break;
        } catch (e) {
          if (!isConflict(e)) throw e;
          if (attempt >= EVICTION_RETRIES) throw timeout(`Timeout: couldn't update PodDisruptionBudget "${pdbName}" due to conflicts`);
          current = (await handlers.get(pdbT, pdbName)).body as Obj;
        }
      }
    }
  }
  try {
    await deletePod(pinToPod && !userRV ? withRV(metaOf(pod).resourceVersion) : options);
  } catch (e) {
    // The pod changed (perhaps became Ready) since we judged it unready: the client should ask again.
    if (isConflict(e) && pinToPod && !userRV) throw stillProcessing(metaOf(budget!).name ?? "");
    throw e;
  }
  return done;
};

const success201: Status = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 };
