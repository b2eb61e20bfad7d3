import { describe, expect, it } from "vitest";
import { deletingOwnerAction, dependentAction, gcRelevantChange, type OwnerState, ownerState } from "./garbage-collector.ts";
import type { Obj, OwnerReference } from "./util.ts";

const ref = (uid: string, blockOwnerDeletion = false): OwnerReference =>
  ({ apiVersion: "apps/v1", kind: "ReplicaSet", name: uid, uid, controller: true, ...(blockOwnerDeletion ? { blockOwnerDeletion } : {}) }) as OwnerReference;
const obj = (o: { uid?: string; deleting?: boolean; finalizers?: string[]; owners?: OwnerReference[] } = {}): Obj =>
  ({
    metadata: {
      name: o.uid ?? "x", uid: o.uid ?? "x",
      ...(o.deleting ? { deletionTimestamp: "2025-01-01T00:00:00Z" } : {}),
      ...(o.finalizers ? { finalizers: o.finalizers } : {}),
      ...(o.owners ? { ownerReferences: o.owners } : {}),
    },
  }) as unknown as Obj;

describe("ownerState (a live lookup's answer)", () => {
  const cases: [string, Obj | undefined | "unknown", OwnerState][] = [
    ["404 or another uid", undefined, "gone"],
    ["a kind we cannot look up", "unknown", "present"],
    ["there", obj(), "present"],
    ["being deleted in the background", obj({ deleting: true }), "present"],
    ["being deleted in the foreground", obj({ deleting: true, finalizers: ["foregroundDeletion"] }), "waitingForeground"],
  ];
  it.each(cases)("%s", (_, owner, want) => expect(ownerState(owner)).toBe(want));
});

describe("deletingOwnerAction (desired: the owner's deletion policy; observed: its dependents)", () => {
  const blocking = obj({ uid: "d1", owners: [ref("o", true)] });
  const nonBlocking = obj({ uid: "d2", owners: [ref("o")] });
  const cases: [string, Obj, Obj[], ReturnType<typeof deletingOwnerAction>][] = [
    ["not being deleted", obj({ uid: "o", finalizers: ["orphan"] }), [blocking], "none"],
    ["Orphan: dependents are released first", obj({ uid: "o", deleting: true, finalizers: ["orphan"] }), [blocking], "orphanDependents"],
    ["Orphan with no dependents still drops its finalizer", obj({ uid: "o", deleting: true, finalizers: ["orphan"] }), [], "orphanDependents"],
    ["Foreground with a blocking dependent", obj({ uid: "o", deleting: true, finalizers: ["foregroundDeletion"] }), [blocking, nonBlocking], "deleteDependents"],
    ["Foreground with only non-blocking dependents", obj({ uid: "o", deleting: true, finalizers: ["foregroundDeletion"] }), [nonBlocking], "releaseForeground"],
    ["Foreground with no dependents", obj({ uid: "o", deleting: true, finalizers: ["foregroundDeletion"] }), [], "releaseForeground"],
    ["Background (no finalizer of ours)", obj({ uid: "o", deleting: true, finalizers: ["example.com/other"] }), [blocking], "none"],
  ];
  it.each(cases)("%s", (_, owner, deps, want) => expect(deletingOwnerAction(owner, deps)).toBe(want));
});

describe("dependentAction (desired: its owners exist; observed: what the lookups found)", () => {
  const a = ref("a"), b = ref("b");
  const cases: [string, Obj, { ref: OwnerReference; state: OwnerState }[], boolean, ReturnType<typeof dependentAction>][] = [
    ["no owners", obj(), [], false, { type: "none" }],
    ["every owner present", obj(), [{ ref: a, state: "present" }, { ref: b, state: "present" }], false, { type: "none" }],
    ["one owner gone, one present: drop the dangling reference", obj(), [{ ref: a, state: "gone" }, { ref: b, state: "present" }], false, { type: "keepOwners", refs: [b] }],
    ["one owner going in the foreground, one present", obj(), [{ ref: a, state: "waitingForeground" }, { ref: b, state: "present" }], false, { type: "keepOwners", refs: [b] }],
    ["all owners gone: Background", obj(), [{ ref: a, state: "gone" }], false, { type: "delete", policy: "Background" }],
    ["all gone, own orphan finalizer", obj({ finalizers: ["orphan"] }), [{ ref: a, state: "gone" }], false, { type: "delete", policy: "Orphan" }],
    ["all gone, own foreground finalizer", obj({ finalizers: ["foregroundDeletion"] }), [{ ref: a, state: "gone" }], false, { type: "delete", policy: "Foreground" }],
    ["owner waits in the foreground, dependent has dependents: Foreground", obj(), [{ ref: a, state: "waitingForeground" }], true, { type: "delete", policy: "Foreground" }],
    ["owner waits in the foreground, a leaf dependent: Background", obj(), [{ ref: a, state: "waitingForeground" }], false, { type: "delete", policy: "Background" }],
  ];
  it.each(cases)("%s", (_, o, owners, hasDependents, want) => expect(dependentAction(o, owners, () => hasDependents)).toEqual(want));
});

describe("gcRelevantChange (which updates the collector looks at)", () => {
  const base = obj({ uid: "p", owners: [ref("a")] });
  const cases: [string, Obj, boolean][] = [
    ["status only", { ...base, status: { phase: "Running" } } as Obj, false],
    ["labels only", { ...base, metadata: { ...base.metadata, labels: { x: "y" } } } as Obj, false],
    ["an owner reference dropped", obj({ uid: "p", owners: [] }), true],
    ["blockOwnerDeletion set", obj({ uid: "p", owners: [ref("a", true)] }), true],
    ["marked for deletion", obj({ uid: "p", owners: [ref("a")], deleting: true }), true],
    ["a finalizer added", obj({ uid: "p", owners: [ref("a")], finalizers: ["orphan"] }), true],
  ];
  it.each(cases)("%s", (_, updated, want) => expect(gcRelevantChange(base, updated)).toBe(want));
});
