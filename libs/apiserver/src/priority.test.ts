import { describe, expect, it } from "vitest";
import { isStatusError } from "@kubeactor/api";
import { admitPriorityClass, type PriorityClasses } from "./priority.ts";

/** The PriorityClasses admitPriorityClass reads (a lister). */
const storeWith = (classes: object[]): PriorityClasses => ({ get: async () => undefined, list: async () => classes });
const pc = (name: string, value: number, globalDefault?: boolean) => ({ apiVersion: "scheduling.k8s.io/v1", kind: "PriorityClass", metadata: { name }, value, ...(globalDefault !== undefined ? { globalDefault } : {}) });

const outcome = async (p: Promise<void>) => {
  try {
    await p;
    return "ok";
  } catch (e) {
    return isStatusError(e) ? `${e.status.code} ${e.status.message}` : String(e);
  }
};

describe("admitPriorityClass: only one globalDefault", () => {
  const existing = [pc("low", 10, true), pc("high", 1000)];
  it.each([
    { name: "a second default on create", obj: pc("other", 5, true), op: "create" as const, want: '403 priorityclasses.scheduling.k8s.io "other" is forbidden: PriorityClass low is already marked as default. Only one default can exist' },
    { name: "another class made default on update", obj: pc("high", 1000, true), op: "update" as const, want: '403 priorityclasses.scheduling.k8s.io "high" is forbidden: PriorityClass low is already marked as default. Only one default can exist' },
    { name: "the default class itself updated", obj: pc("low", 10, true), op: "update" as const, want: "ok" },
    { name: "a non-default class", obj: pc("other", 5, false), op: "create" as const, want: "ok" },
  ])("$name", async ({ obj, op, want }) => {
    expect(await outcome(admitPriorityClass(storeWith(existing), obj, op))).toBe(want);
  });

  it("the first default is fine", async () => {
    expect(await outcome(admitPriorityClass(storeWith([pc("high", 1000)]), pc("low", 10, true), "create"))).toBe("ok");
  });
});
