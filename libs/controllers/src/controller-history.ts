/**
 * ControllerRevisions as DaemonSets keep them (pkg/controller/history and the
 * daemon controller's constructHistory / cleanupHistory): one revision per
 * distinct pod template, named `<owner>-<hash>`, labelled with the template
 * labels plus `controller-revision-hash`, carrying the owner's annotations;
 * the current one has the highest revision number (an old template coming
 * back — `kubectl rollout undo` — gets its revision renumbered to max + 1).
 */
import type { ApiClient, ResourceRef } from "@kubeactor/client";
import { podTemplateHash } from "./deployment-util.ts";
import { clone, controllerRef, isAlreadyExists, isNotFound, jsonEqual, meta, type Obj } from "./util.ts";

/** Pods and revisions carry the template's hash under this label (apps.ControllerRevisionHashLabelKey). */
export const REVISION_HASH_LABEL = "controller-revision-hash";

/** The hash of the owner's current template with its collision count (ComputeHash): revision names and labels use it. */
export const templateRevisionHash = (owner: Obj): string => podTemplateHash(owner.spec?.template, owner.status?.collisionCount);

/** Go's json.Marshal of a map: keys sorted at every level. */
const sortedKeys = (v: unknown): unknown => {
  if (Array.isArray(v)) return v.map(sortedKeys);
  if (v === null || typeof v !== "object") return v;
  return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortedKeys((v as Record<string, unknown>)[k])]));
};

/**
 * getPatch: the revision data, a patch that replaces spec.template with the
 * owner's, laid out as kube marshals it (sorted keys, the template's zero
 * creationTimestamp as null) so that kubectl's byte comparison in `rollout
 * undo` recognises the current revision.
 */
export const revisionData = (owner: Obj): Record<string, unknown> => {
  const template = clone(owner.spec?.template ?? {});
  template.metadata = { creationTimestamp: null, ...(template.metadata ?? {}) };
  return sortedKeys({ spec: { template: { ...template, $patch: "replace" } } }) as Record<string, unknown>;
};

/** Match: does this ControllerRevision record the owner's current template? */
export const revisionMatches = (owner: Obj, cr: Obj): boolean => jsonEqual(cr.data, revisionData(owner));

/** ControllerRevisionName: `<prefix>-<hash>`, the prefix cut to 223 characters. */
export const revisionName = (prefix: string, hash: string): string => `${prefix.length > 223 ? prefix.slice(0, 223) : prefix}-${hash}`;

export const CONTROLLERREVISIONS: ResourceRef = { group: "apps", version: "v1", resource: "controllerrevisions" };

const revisionOf = (cr: Obj): number => (typeof cr.revision === "number" ? cr.revision : 0);
export const maxHistoryRevision = (histories: readonly Obj[]): number => histories.reduce((m, h) => Math.max(m, revisionOf(h)), 0);

/** The revision a collision made us skip: the caller bumps status.collisionCount and retries. */
export class RevisionCollision extends Error {}

/**
 * The owner's current revision for `data`: an existing one that records it
 * (the highest if several), renumbered to max + 1 when it is not the newest;
 * else a new one. A name taken by a revision with other data is a hash
 * collision (RevisionCollision).
 */
export const ensureCurrentRevision = async (
  api: ApiClient,
  owner: Obj,
  histories: readonly Obj[],
  data: Record<string, unknown>,
  hash: string,
): Promise<Obj> => {
  const max = maxHistoryRevision(histories);
  const matching = histories.filter((h) => jsonEqual(h.data, data)).sort((a, b) => revisionOf(b) - revisionOf(a));
  const current = matching[0];
  if (current) {
    if (revisionOf(current) >= max) return current;
    const renumbered = { ...clone(current), revision: max + 1 };
    return (await api.update(CONTROLLERREVISIONS, meta(owner).namespace!, renumbered)) as Obj;
  }
  const body = {
    apiVersion: "apps/v1",
    kind: "ControllerRevision",
    metadata: {
      name: revisionName(meta(owner).name, hash),
      namespace: meta(owner).namespace,
      labels: { ...(owner.spec?.template?.metadata?.labels ?? {}), [REVISION_HASH_LABEL]: hash },
      ...(meta(owner).annotations ? { annotations: meta(owner).annotations } : {}),
      ownerReferences: [controllerRef(owner)],
    },
    data,
    revision: max + 1,
  };
  try {
    return (await api.create(CONTROLLERREVISIONS, meta(owner).namespace!, body)) as Obj;
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
    const existing = (await api.get(CONTROLLERREVISIONS, meta(owner).namespace!, body.metadata.name)) as Obj;
    const ours = meta(existing).ownerReferences?.some((r) => r.controller && r.uid === meta(owner).uid);
    if (ours && jsonEqual(existing.data, data)) return existing;
    throw new RevisionCollision(`controller revision ${body.metadata.name} already exists with other data`);
  }
};

/**
 * cleanupHistory: keeps the current revision, every revision a live pod still
 * runs (by its hash label) and the newest `limit` others; deletes the rest,
 * oldest first.
 */
export const revisionsToDelete = (histories: readonly Obj[], current: Obj, liveHashes: ReadonlySet<string>, limit: number): Obj[] => {
  const old = histories.filter((h) => meta(h).name !== meta(current).name && !liveHashes.has(meta(h).labels?.[REVISION_HASH_LABEL] ?? ""));
  const excess = old.length - limit;
  if (excess <= 0) return [];
  return [...old].sort((a, b) => revisionOf(a) - revisionOf(b)).slice(0, excess);
};

export const deleteRevisions = async (api: ApiClient, revisions: readonly Obj[]): Promise<void> => {
  for (const r of revisions) await api.delete(CONTROLLERREVISIONS, meta(r).namespace!, meta(r).name).catch((e) => { if (!isNotFound(e)) throw e; });
};
