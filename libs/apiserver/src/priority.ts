/**
 * The Priority admission plugin (plugin/pkg/admission/priority) for pod
 * creation: spec.priorityClassName is resolved into spec.priority and
 * spec.preemptionPolicy; a pod that names no class gets the globalDefault
 * class (the lowest-valued one if several claim it), or priority 0. A class
 * that does not exist, or a priority / preemptionPolicy in the pod that
 * disagrees with its class, is 403 Forbidden with kube-apiserver's words.
 * For PriorityClasses themselves, only one may be the globalDefault
 * (`admitPriorityClass`, on create and update).
 */
import { forbidden, isStatusError } from "@kubeactor/api";
import type { StoreClient } from "@kubeactor/client";
import { metaOf, type Obj } from "./objects.ts";

const PODS = { group: "", resource: "pods" };
const PRIORITY_CLASSES = { group: "scheduling.k8s.io", resource: "priorityclasses" };
export const DEFAULT_PREEMPTION_POLICY = "PreemptLowerPriority";

type PriorityClassObj = { metadata?: { name?: string }; value?: number; globalDefault?: boolean; preemptionPolicy?: string };

/** Where the plugin reads PriorityClasses: kube-apiserver's reads a lister (the API server's watch cache), or the store. */
export interface PriorityClasses {
  get(name: string): Promise<object | undefined>;
  list(): Promise<readonly object[]>;
}

export const storePriorityClasses = (store: StoreClient): PriorityClasses => ({
  get: async (name) => {
    try {
      return await store.get({ ...PRIORITY_CLASSES, namespace: "", name });
    } catch (e) {
      if (isStatusError(e) && e.status.code === 404) return undefined;
      throw e;
    }
  },
  list: async () => (await store.listAll({ ...PRIORITY_CLASSES })).items,
});

const defaultClass = async (classes: PriorityClasses): Promise<PriorityClassObj | undefined> => {
  const items = await classes.list();
  let best: PriorityClassObj | undefined;
  for (const c of items as PriorityClassObj[]) if (c.globalDefault && (best === undefined || (c.value ?? 0) < (best.value ?? 0))) best = c;
  return best;
};

/** Mutates a pod being created; throws a Forbidden StatusError. */
export const admitPodPriority = async (classes: PriorityClasses, pod: Obj): Promise<void> => {
  const spec = (pod.spec ??= {}) as { priorityClassName?: string; priority?: number; preemptionPolicy?: string };
  const podName = metaOf(pod).name ?? metaOf(pod).generateName ?? "";
  let cls: PriorityClassObj | undefined;
  if (spec.priorityClassName) {
    cls = (await classes.get(spec.priorityClassName)) as PriorityClassObj | undefined;
    if (!cls) throw forbidden(PODS, podName, `no PriorityClass with name ${spec.priorityClassName} was found`);
  } else {
    cls = await defaultClass(classes);
    if (cls) spec.priorityClassName = cls.metadata?.name ?? "";
  }
  const priority = cls?.value ?? 0;
  const policy = cls?.preemptionPolicy ?? DEFAULT_PREEMPTION_POLICY;
  if (spec.priority !== undefined && spec.priority !== null && spec.priority !== priority)
    throw forbidden(
      PODS,
      podName,
      `the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${priority} from the given PriorityClass name`,
    );
  if (spec.preemptionPolicy && spec.preemptionPolicy !== policy)
    throw forbidden(
      PODS,
      podName,
      `the string value of PreemptionPolicy (${spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${policy} from the given PriorityClass name`,
    );
  spec.priority = priority;
  spec.preemptionPolicy = policy;
};

/**
 * validatePriorityClass: a PriorityClass created or updated with
 * globalDefault true is 403 Forbidden while another class is the default
 * (updating the default class itself is fine).
 */
export const admitPriorityClass = async (classes: PriorityClasses, pc: Obj, operation: "create" | "update"): Promise<void> => {
  if ((pc as PriorityClassObj).globalDefault !== true) return;
  const current = await defaultClass(classes);
  const name = metaOf(pc).name ?? "";
  if (current && (operation === "create" || current.metadata?.name !== name))
    throw forbidden(PRIORITY_CLASSES, name, `PriorityClass ${current.metadata?.name ?? ""} is already marked as default. Only one default can exist`);
};
