import { describe, expect, it } from "vitest";
import { deletionConditions, needsFinalizing } from "./namespace.ts";
import type { Obj } from "./util.ts";

const ns = (o: { deleting?: boolean; finalizers?: string[] }): Obj =>
  ({ metadata: { name: "team", ...(o.deleting ? { deletionTimestamp: "2025-01-01T00:00:00Z" } : {}) }, spec: o.finalizers ? { finalizers: o.finalizers } : {} }) as unknown as Obj;

describe("needsFinalizing (observed: the namespace)", () => {
  const cases: [string, Obj, boolean][] = [
    ["Active", ns({ finalizers: ["kubernetes"] }), false],
    ["Terminating with the kubernetes finalizer", ns({ deleting: true, finalizers: ["kubernetes"] }), true],
    ["Terminating, finalizer already removed", ns({ deleting: true, finalizers: [] }), false],
    ["Terminating, only someone else's finalizer", ns({ deleting: true, finalizers: ["example.com/x"] }), false],
  ];
  it.each(cases)("%s", (_, n, want) => expect(needsFinalizing(n)).toBe(want));
});

describe("deletionConditions (observed: what deletion left behind)", () => {
  const AT = "2025-01-01T00:00:05Z";
  const byType = (cs: { type: string }[] | undefined) => Object.fromEntries((cs ?? []).map((c) => [c.type, c]));
  it.each([
    ["pods remain", { pods: 3 }, [], { status: "False", reason: "ContentDeleted" }, { status: "True", reason: "SomeResourcesRemain", message: "Some resources are remaining: pods has 3 resource instances" }],
    ["a resource failed", {}, ["apps/v1/deployments: boom"], { status: "True", reason: "ContentDeletionFailed", message: "Failed to delete all resource types, 1 remaining: apps/v1/deployments: boom" }, { status: "False", reason: "ContentRemoved" }],
    ["everything gone", {}, [], { status: "False", reason: "ContentDeleted", message: "All content successfully deleted, may be waiting on finalization" }, { status: "False", reason: "ContentRemoved", message: "All content successfully removed" }],
  ] as const)("%s", (_, remaining, errors, failure, content) => {
    const cs = byType(deletionConditions([], remaining, errors, AT));
    expect(cs.NamespaceDeletionContentFailure).toMatchObject({ ...failure, lastTransitionTime: AT });
    expect(cs.NamespaceContentRemaining).toMatchObject({ ...content, lastTransitionTime: AT });
  });

  it("keeps other conditions and writes nothing when unchanged", () => {
    const other = { type: "NamespaceFinalizersRemaining", status: "False", reason: "ContentHasNoFinalizers", message: "All content-preserving finalizers finished" };
    const first = deletionConditions([other], { pods: 1 }, [], AT)!;
    expect(first.map((c) => c.type)).toEqual(["NamespaceFinalizersRemaining", "NamespaceDeletionContentFailure", "NamespaceContentRemaining"]);
    expect(deletionConditions(first, { pods: 1 }, [], "2025-01-01T00:00:09Z")).toBeUndefined();
    const next = deletionConditions(first, {}, [], "2025-01-01T00:00:09Z")!;
    expect(byType(next).NamespaceContentRemaining).toMatchObject({ status: "False", lastTransitionTime: "2025-01-01T00:00:09Z" });
  });
});
