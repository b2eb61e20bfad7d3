/**
 * How a controller of pods follows them (kube's addPod / updatePod /
 * deletePod in the ReplicaSet and DaemonSet controllers): an owned pod's
 * events requeue its owner and settle the owner's expectations; an orphan's
 * requeue every owner in its namespace whose selector matches it, since one
 * of them may adopt it.
 */
import { type Informer, objectKey, type WorkQueue } from "@kubeactor/client";
import type { Expectations } from "./expectations.ts";
import { controllerOf, matches, meta, type Obj, selectorOf } from "./util.ts";

/** The queue key of the `kind` controlling `o`, when that very owner (same uid) is in `owners`' cache; undefined otherwise. */
export const cachedControllerKey =
  (owners: Informer, kind: string) =>
  (o: Obj): string | undefined => {
    const ref = controllerOf(o);
    if (ref?.kind !== kind) return undefined;
    const key = `${meta(o).namespace}/${ref.name}`;
    return meta((owners.get(key) as Obj | undefined) ?? { metadata: {} }).uid === ref.uid ? key : undefined;
  };

/**
 * Wires the owner and pod informers to `queue` and `expectations`; returns
 * the owner-key function for the controller's other informers.
 */
export const followOwnedPods = (opts: { owners: Informer; pods: Informer; kind: string; queue: WorkQueue; expectations: Expectations }): ((o: Obj) => string | undefined) => {
  const { owners, pods, queue, expectations } = opts;
  const ownerKey = cachedControllerKey(owners, opts.kind);
  const queueMatching = (pod: Obj) => {
    for (const owner of owners.byIndex("namespace", meta(pod).namespace ?? "") as Obj[]) if (matches(selectorOf(owner), pod)) queue.add(objectKey(owner));
  };
  const podGone = (pod: Obj) => {
    const key = ownerKey(pod);
    if (!key) return;
    expectations.deletionObserved(key, objectKey(pod));
    queue.add(key);
  };
  owners.addHandler({
    onAdd: (o) => queue.add(objectKey(o)),
    onUpdate: (_, o) => queue.add(objectKey(o)),
    onDelete: (o) => {
      expectations.delete(objectKey(o));
      queue.add(objectKey(o));
    },
  });
  pods.addHandler({
    onAdd: (p) => {
      const pod = p as Obj;
      if (meta(pod).deletionTimestamp) return podGone(pod);
      const key = ownerKey(pod);
      if (key) {
        expectations.creationObserved(key);
        queue.add(key);
      } else if (!controllerOf(pod)) queueMatching(pod);
    },
    onUpdate: (o, p) => {
      const [old, pod] = [o as Obj, p as Obj];
      if (meta(pod).deletionTimestamp && !meta(old).deletionTimestamp) return podGone(pod);
      const oldKey = ownerKey(old);
      const key = ownerKey(pod);
      if (oldKey && oldKey !== key) queue.add(oldKey);
      if (key) queue.add(key);
      else if (!controllerOf(pod)) queueMatching(pod);
    },
    onDelete: (p) => podGone(p as Obj),
  });
  return ownerKey;
};
