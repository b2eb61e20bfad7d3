/**
 * The Deployment controller (Kubernetes' deployment/{sync,rolling,recreate,
 * progress}.go): owns ReplicaSets labelled with the pod-template-hash, rolls
 * from the old ones to the one whose template is the deployment's
 * (RollingUpdate within maxSurge/maxUnavailable, or Recreate), scales
 * proportionally when replicas change mid-rollout, keeps revisions and the
 * revision history limit, and reports status and the Available/Progressing
 * conditions `kubectl rollout status` reads. The arithmetic lives in
 * deployment-util.ts; this file is the wiring and the writes.
 */
import type { JsonObject } from "@kubeactor/bus";
import { objectKey, type WorkQueue } from "@kubeactor/client";
import type { ControllerContext, Controller } from "./runtime.ts";
import { DEPLOYMENTS, PODS, REPLICASETS } from "./runtime.ts";
import {
  availableScaleDown, byCreation, calculateStatus, deploymentComplete, deploymentProgressing, deploymentTimedOut, DESIRED_REPLICAS, getCondition, HASH_LABEL,
  hasProgressDeadline, isActiveRS, maxRevision, maxSurge, newCondition, newRSNewReplicas, podTemplateHash, Reason,
  removeCondition, replicasOf, REVISION, revisionOf, scalePlan, type ScaleStep, setCondition, setNewReplicaSetAnnotations,
  setReplicasAnnotations, templatesEqual, unhealthyScaleDown,
} from "./deployment-util.ts";
import { clone, controllerOf, controllerRef, isAlreadyExists, isNotFound, jsonEqual, matches, meta, type Obj, selectorOf } from "./util.ts";

const active = isActiveRS;

export const deploymentController: Controller = {
  name: "deployment-controller",
  workers: 5,
  setup(ctx, queue: WorkQueue) {
    const dInf = ctx.informer(DEPLOYMENTS);
    const rsInf = ctx.informer(REPLICASETS);
    const podInf = ctx.informer(PODS);

    const ownerKey = (o: JsonObject, kind: string, inf = dInf): string | undefined => {
      const ref = controllerOf(o);
      if (ref?.kind !== kind) return undefined;
      const key = `${meta(o).namespace}/${ref.name}`;
      return meta(inf.get(key) ?? { metadata: {} }).uid === ref.uid ? key : undefined;
    };
    const enqueueForRS = (rs: JsonObject) => {
      const key = ownerKey(rs, "Deployment");
      if (key) return queue.add(key);
      if (controllerOf(rs)) return;
      for (const d of dInf.byIndex("namespace", meta(rs).namespace ?? "") as Obj[]) if (matches(selectorOf(d), rs)) queue.add(objectKey(d));
    };

    dInf.addHandler({ onAdd: (d) => queue.add(objectKey(d)), onUpdate: (_, d) => queue.add(objectKey(d)), onDelete: (d) => queue.add(objectKey(d)) });
    rsInf.addHandler({
      onAdd: enqueueForRS,
      onUpdate: (old, rs) => {
        const oldKey = ownerKey(old, "Deployment");
        if (oldKey && oldKey !== ownerKey(rs, "Deployment")) queue.add(oldKey);
        enqueueForRS(rs);
      },
      onDelete: enqueueForRS,
    });
    // Recreate waits for the old pods to be gone: their deletion is news.
    podInf.addHandler({
      onDelete: (pod) => {
        const rsKey = ownerKey(pod, "ReplicaSet", rsInf);
        const rs = rsKey ? rsInf.get(rsKey) : undefined;
        const dKey = rs ? ownerKey(rs, "Deployment") : undefined;
        if (dKey && (dInf.get(dKey) as Obj | undefined)?.spec?.strategy?.type === "Recreate") queue.add(dKey);
      },
    });

    return async (key) => {
      const d = dInf.get(key) as Obj | undefined;
      if (!d || !d.spec?.selector) return;
      try {
        return await new DeploymentSync(ctx, clone(d), podInf).run(rsInf.byIndex("namespace", meta(d).namespace ?? "") as Obj[]);
      } catch (e) {
        // Deleted under our feet: the cache will say so shortly; look again then, quietly.
        if (isNotFound(e)) return { requeueAfterMs: 200 };
        throw e;
      }
    };
  },
};

type Result = { requeueAfterMs?: number } | void;

/** One reconcile of one deployment; `d` follows every write so later writes are not stale. */
class DeploymentSync {
  private readonly events;
  private readonly ns: string;
  private rsList: Obj[] = [];
  private found: { newRS: Obj | undefined; oldRSs: Obj[] } | undefined;

  constructor(
    private readonly ctx: ControllerContext,
    private d: Obj,
    private readonly podInf: ReturnType<ControllerContext["informer"]>,
  ) {
    this.events = ctx.recorder("deployment-controller");
    this.ns = meta(d).namespace!;
  }

  async run(candidates: Obj[]): Promise<Result> {
    this.rsList = await this.claimReplicaSets(candidates);
    if (meta(this.d).deletionTimestamp) return this.syncStatusOnly();
    await this.checkPausedConditions();
    if (this.d.spec.paused || this.isScalingEvent(await this.allReplicaSets(false))) return this.sync();
    return this.d.spec.strategy?.type === "Recreate" ? this.rolloutRecreate() : this.rolloutRolling();
  }

  private async writeStatus(status: unknown): Promise<void> {
    this.d = (await this.ctx.api.updateStatus(DEPLOYMENTS, this.ns, { ...this.d, status } as JsonObject)) as Obj;
  }

  private async claimReplicaSets(candidates: Obj[]): Promise<Obj[]> {
    const sel = selectorOf(this.d);
    const uid = meta(this.d).uid;
    const deleting = !!meta(this.d).deletionTimestamp;
    const owned: Obj[] = [];
    for (const rs of candidates) {
      const ref = controllerOf(rs);
      if (ref && ref.uid !== uid) continue;
      if (ref && matches(sel, rs)) owned.push(rs);
      else if (ref && !deleting) {
        const released = clone(rs);
        released.metadata.ownerReferences = released.metadata.ownerReferences!.filter((r) => r.uid !== uid);
        await this.ctx.api.update(REPLICASETS, this.ns, released).catch((e) => { if (!isNotFound(e)) throw e; });
      } else if (!ref && matches(sel, rs) && !deleting && !meta(rs).deletionTimestamp) {
        const adopted = clone(rs);
        adopted.metadata.ownerReferences = [...(adopted.metadata.ownerReferences ?? []), controllerRef(this.d)];
        owned.push((await this.ctx.api.update(REPLICASETS, this.ns, adopted)) as Obj);
      }
    }
    return owned;
  }

  /** getAllReplicaSetsAndSyncRevision: the current RS (created when asked) and the old ones. */
  private async allReplicaSets(create: boolean): Promise<{ newRS: Obj | undefined; oldRSs: Obj[] }> {
    if (this.found && (this.found.newRS || !create)) return this.found;
    const existing = [...this.rsList].sort(byCreation).find((rs) => templatesEqual(rs.spec?.template, this.d.spec.template));
    const oldRSs = this.rsList.filter((rs) => rs !== existing);
    const newRS = await this.newReplicaSet(existing, oldRSs, create);
    return (this.found = { newRS, oldRSs });
  }

  private async newReplicaSet(existing: Obj | undefined, oldRSs: Obj[], create: boolean): Promise<Obj | undefined> {
    const d = this.d;
    const newRevision = maxRevision(oldRSs) + 1;
    if (existing) {
      const copy = clone(existing);
      const annotationsChanged = setNewReplicaSetAnnotations(d, copy, newRevision, true);
      const minReadyChanged = (copy.spec.minReadySeconds ?? 0) !== (d.spec.minReadySeconds ?? 0);
      if (annotationsChanged || minReadyChanged) {
        copy.spec.minReadySeconds = d.spec.minReadySeconds ?? 0;
        return (await this.ctx.api.update(REPLICASETS, this.ns, copy)) as Obj;
      }
      let needsUpdate = this.setRevision(meta(existing).annotations?.[REVISION] ?? "");
      const status = clone(d.status ?? {});
      if (hasProgressDeadline(d) && !getCondition(status, "Progressing")) {
        setCondition(status, newCondition("Progressing", "True", Reason.FoundNewReplicaSet, `Found new replica set "${meta(existing).name}"`));
        needsUpdate = true;
      }
      if (needsUpdate) await this.writeStatus(status);
      return existing;
    }
    if (!create) return undefined;

    const hash = podTemplateHash(d.spec.template, d.status?.collisionCount);
    const template = clone(d.spec.template ?? {});
    template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), [HASH_LABEL]: hash } };
    const selector = clone(d.spec.selector);
    selector.matchLabels = { ...(selector.matchLabels ?? {}), [HASH_LABEL]: hash };
    const rs = {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: { name: `${meta(d).name}-${hash}`, namespace: this.ns, labels: template.metadata.labels, ownerReferences: [controllerRef(d)] },
      spec: { replicas: 0, minReadySeconds: d.spec.minReadySeconds ?? 0, selector, template },
    } as unknown as Obj;
    const replicas = newRSNewReplicas(d, [...oldRSs, rs], rs);
    rs.spec.replicas = replicas;
    setNewReplicaSetAnnotations(d, rs, newRevision, false);
    let createdRS: Obj;
    let alreadyExists = false;
    try {
      createdRS = (await this.ctx.api.create(REPLICASETS, this.ns, rs)) as Obj;
    } catch (e) {
      if (isAlreadyExists(e)) {
        const other = (await this.ctx.api.get(REPLICASETS, this.ns, meta(rs).name)) as Obj;
        if (controllerOf(other)?.uid !== meta(d).uid || !templatesEqual(other.spec?.template, d.spec.template)) {
          // A hash collision: the next hash includes a bumped collisionCount.
          await this.writeStatus({ ...(d.status ?? {}), collisionCount: (d.status?.collisionCount ?? 0) + 1 });
          throw e;
        }
        createdRS = other;
        alreadyExists = true;
      } else {
        const msg = `Failed to create new replica set "${meta(rs).name}": ${(e as Error).message}`;
        if (hasProgressDeadline(d)) {
          const status = clone(d.status ?? {});
          setCondition(status, newCondition("Progressing", "False", Reason.FailedRSCreate, msg));
          await this.writeStatus(status).catch(() => {});
        }
        void this.events.record(d, "Warning", Reason.FailedRSCreate, msg);
        throw e;
      }
    }
    if (!alreadyExists && replicas > 0) {
      void this.events.record(d, "Normal", "ScalingReplicaSet", `Scaled up replica set ${meta(createdRS).name} from 0 to ${replicas}`);
    }
    let needsUpdate = this.setRevision(String(newRevision));
    const status = clone(this.d.status ?? {});
    if (!alreadyExists && hasProgressDeadline(d)) {
      setCondition(status, newCondition("Progressing", "True", Reason.NewReplicaSetCreated, `Created new replica set "${meta(createdRS).name}"`));
      needsUpdate = true;
    }
    if (needsUpdate) await this.writeStatus(status);
    this.rsList.push(createdRS);
    return createdRS;
  }

  /** SetDeploymentRevision on our copy; written with the next status write. */
  private setRevision(revision: string): boolean {
    const ann = (this.d.metadata.annotations ??= {});
    if (!revision || ann[REVISION] === revision) return false;
    ann[REVISION] = revision;
    return true;
  }

  private isScalingEvent({ newRS, oldRSs }: { newRS: Obj | undefined; oldRSs: Obj[] }): boolean {
    return [...oldRSs, newRS].filter(active).some((rs) => {
      const desired = meta(rs).annotations?.[DESIRED_REPLICAS];
      return desired !== undefined && Number(desired) !== replicasOf(this.d);
    });
  }

  private async checkPausedConditions(): Promise<void> {
    if (!hasProgressDeadline(this.d)) return;
    const cond = getCondition(this.d.status, "Progressing");
    if (cond?.reason === Reason.TimedOut) return;
    const pausedCond = cond?.reason === Reason.Paused;
    const status = clone(this.d.status ?? {});
    if (this.d.spec.paused && !pausedCond) setCondition(status, newCondition("Progressing", "Unknown", Reason.Paused, "Deployment is paused"));
    else if (!this.d.spec.paused && pausedCond) setCondition(status, newCondition("Progressing", "Unknown", Reason.Resumed, "Deployment is resumed"));
    else return;
    await this.writeStatus(status);
  }

  // ---- scaling ----

  /** scaleReplicaSet: size and the desired/max annotations; a ScalingReplicaSet event when the size changed. */
  private async scaleReplicaSet(rs: Obj, size: number, operation?: string): Promise<Obj> {
    const d = this.d;
    const sizeChanged = replicasOf(rs) !== size;
    const copy = clone(rs);
    const annotationsChanged = setReplicasAnnotations(copy, replicasOf(d), replicasOf(d) + maxSurge(d));
    if (!sizeChanged && !annotationsChanged) return rs;
    copy.spec.replicas = size;
    const updated = (await this.ctx.api.update(REPLICASETS, this.ns, copy)) as Obj;
    if (sizeChanged) {
      const op = operation ?? (size > replicasOf(rs) ? "up" : "down");
      void this.events.record(d, "Normal", "ScalingReplicaSet", `Scaled ${op} replica set ${meta(rs).name} from ${replicasOf(rs)} to ${size}`);
    }
    this.replace(rs, updated);
    return updated;
  }

  private async scaleIfNeeded(rs: Obj, size: number): Promise<boolean> {
    if (replicasOf(rs) === size) return false;
    await this.scaleReplicaSet(rs, size);
    return true;
  }

  private replace(old: Obj, updated: Obj): void {
    const f = this.found;
    if (!f) return;
    if (f.newRS === old) f.newRS = updated;
    f.oldRSs = f.oldRSs.map((rs) => (rs === old ? updated : rs));
  }

  /** Proportional scaling: a replicas change mid-rollout is shared by the active ReplicaSets by size (scalePlan). */
  private async scale(newRS: Obj | undefined, oldRSs: Obj[]): Promise<void> {
    await this.perform(scalePlan(this.d, newRS, oldRSs));
  }

  /** Writes the steps in order; a ReplicaSet named twice is written from its updated copy. */
  private async perform(steps: readonly ScaleStep[]): Promise<number> {
    const latest = new Map<Obj, Obj>();
    let writes = 0;
    for (const step of steps) {
      const rs = latest.get(step.rs) ?? step.rs;
      if (step.onlyIfResized && replicasOf(rs) === step.size) continue;
      latest.set(step.rs, await this.scaleReplicaSet(rs, step.size, step.operation));
      writes++;
    }
    return writes;
  }

  private async sync(): Promise<Result> {
    const { newRS, oldRSs } = await this.allReplicaSets(false);
    await this.scale(newRS, oldRSs);
    if (this.d.spec.paused) await this.cleanup(this.found!.oldRSs);
    return this.syncDeploymentStatus();
  }

  private async syncStatusOnly(): Promise<Result> {
    await this.allReplicaSets(false);
    return this.syncDeploymentStatus();
  }

  private async syncDeploymentStatus(): Promise<Result> {
    const { newRS, oldRSs } = this.found!;
    const status = calculateStatus([...oldRSs, ...(newRS ? [newRS] : [])], newRS, this.d);
    if (!jsonEqual(status, this.d.status ?? {})) await this.writeStatus(status);
  }

  // ---- strategies ----

  private async rolloutRolling(): Promise<Result> {
    const { newRS } = await this.allReplicaSets(true);
    if (!(await this.reconcileNewReplicaSet(newRS!))) {
      if (!(await this.reconcileOldReplicaSets()) && deploymentComplete(this.d, this.d.status ?? {})) await this.cleanup(this.found!.oldRSs);
    }
    return this.syncRolloutStatus();
  }

  private async reconcileNewReplicaSet(newRS: Obj): Promise<boolean> {
    const d = this.d;
    if (replicasOf(newRS) === replicasOf(d)) return false;
    if (replicasOf(newRS) > replicasOf(d)) return this.scaleIfNeeded(newRS, replicasOf(d));
    const all = [...this.found!.oldRSs, newRS];
    return this.scaleIfNeeded(newRS, newRSNewReplicas(d, all, newRS));
  }

  /** First old pods that are not available anyway, then available ones down to the minimum (oldReplicaSetsScaleDown). */
  private async reconcileOldReplicaSets(): Promise<boolean> {
    const unhealthy = unhealthyScaleDown(this.d, this.found!.newRS!, this.found!.oldRSs);
    if (!unhealthy) return false;
    let writes = await this.perform(unhealthy.map((s) => ({ ...s, onlyIfResized: false })));
    // The second half sees the ReplicaSets as the first half's writes returned them.
    const available = availableScaleDown(this.d, this.found!.newRS!, this.found!.oldRSs);
    writes += await this.perform(available.map((s) => ({ ...s, onlyIfResized: false })));
    return writes > 0;
  }

  private async rolloutRecreate(): Promise<Result> {
    let scaledDown = false;
    for (const rs of (await this.allReplicaSets(false)).oldRSs.filter(active)) scaledDown = (await this.scaleIfNeeded(rs, 0)) || scaledDown;
    if (scaledDown || this.oldPodsRunning()) return this.syncRolloutStatus();
    const { newRS } = await this.allReplicaSets(true);
    await this.scaleIfNeeded(newRS!, replicasOf(this.d));
    if (deploymentComplete(this.d, this.d.status ?? {})) await this.cleanup(this.found!.oldRSs);
    return this.syncRolloutStatus();
  }

  private oldPodsRunning(): boolean {
    const { oldRSs } = this.found!;
    if (oldRSs.some((rs) => (rs.status?.replicas ?? 0) > 0)) return true;
    return oldRSs.some((rs) =>
      (this.podInf.byIndex("ownerUid", meta(rs).uid) as Obj[]).some((p) => p.status?.phase !== "Failed" && p.status?.phase !== "Succeeded"),
    );
  }

  /** revisionHistoryLimit: delete the oldest revisions that are scaled to zero and settled. */
  private async cleanup(oldRSs: Obj[]): Promise<void> {
    const limit = this.d.spec.revisionHistoryLimit;
    if (limit === undefined || limit === null) return;
    const cleanable = oldRSs.filter((rs) => !meta(rs).deletionTimestamp);
    const diff = cleanable.length - limit;
    if (diff <= 0) return;
    cleanable.sort((a, b) => revisionOf(a) - revisionOf(b) || byCreation(a, b));
    for (const rs of cleanable.slice(0, diff)) {
      if ((rs.status?.replicas ?? 0) !== 0 || replicasOf(rs) !== 0 || (meta(rs).generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
      await this.ctx.api.delete(REPLICASETS, this.ns, meta(rs).name).catch((e) => { if (!isNotFound(e)) throw e; });
    }
  }

  // ---- progress ----

  private async syncRolloutStatus(): Promise<Result> {
    const d = this.d;
    const { newRS, oldRSs } = this.found!;
    const all = [...oldRSs, ...(newRS ? [newRS] : [])];
    const status = calculateStatus(all, newRS, d);
    if (!hasProgressDeadline(d)) removeCondition(status, "Progressing");
    const current = getCondition(d.status, "Progressing");
    const complete = (status.replicas ?? 0) === (status.updatedReplicas ?? 0) && current?.reason === Reason.NewRSAvailable;
    const subject = newRS ? `ReplicaSet "${meta(newRS).name}"` : `Deployment "${meta(d).name}"`;
    if (hasProgressDeadline(d) && !complete) {
      if (deploymentComplete(d, status)) {
        setCondition(status, newCondition("Progressing", "True", Reason.NewRSAvailable, `${subject} has successfully progressed.`));
      } else if (deploymentProgressing(d, status)) {
        const c = newCondition("Progressing", "True", Reason.ReplicaSetUpdated, `${subject} is progressing.`);
        if (current?.status === "True") c.lastTransitionTime = current.lastTransitionTime;
        removeCondition(status, "Progressing");
        setCondition(status, c);
      } else if (deploymentTimedOut(d)) {
        setCondition(status, newCondition("Progressing", "False", Reason.TimedOut, `${subject} has timed out progressing.`));
      }
    }
    const failure = [newRS, ...oldRSs].map((rs) => getCondition(rs?.status, "ReplicaFailure")).find(Boolean);
    if (failure) setCondition(status, { ...newCondition("ReplicaFailure", failure.status, failure.reason ?? "", failure.message ?? "") });
    else removeCondition(status, "ReplicaFailure");
    if (!jsonEqual(status, d.status ?? {})) return void (await this.writeStatus(status));
    // Nothing new: come back when the progress deadline would pass.
    if (!hasProgressDeadline(d) || !current || current.reason === Reason.NewRSAvailable || current.reason === Reason.TimedOut) return;
    if (deploymentComplete(d, status)) return;
    const after = Date.parse(current.lastUpdateTime ?? "") + d.spec.progressDeadlineSeconds * 1000 - Date.now();
    return { requeueAfterMs: Math.max(0, after) + 1000 };
  }
}
