/**
 * Conformance against the upstream apimachinery strategicpatch test-suite (patch_test.go): for every case we
 * apply the expected two-way patch to `original` (→ twoWayResult ?? modified) and the expected three-way patch
 * to `current` (→ result), using the same MergeItem struct tags the Go tests use.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { strategicMergeWithSchema, PatchError, type SchemaTable } from "./index.ts";

interface Case {
  description: string;
  original?: Record<string, unknown>;
  modified?: Record<string, unknown>;
  current?: Record<string, unknown>;
  twoWay?: Record<string, unknown>;
  threeWay?: Record<string, unknown>;
  result?: Record<string, unknown>;
  twoWayResult?: Record<string, unknown>;
}
interface RawCase {
  description: string;
  Original?: Record<string, unknown> | null;
  Modified?: Record<string, unknown> | null;
  Current?: Record<string, unknown> | null;
  TwoWay?: Record<string, unknown> | null;
  ThreeWay?: Record<string, unknown> | null;
  Result?: Record<string, unknown> | null;
  TwoWayResult?: Record<string, unknown> | null;
  ExpectedError?: string;
}
const fixtures = JSON.parse(readFileSync(new URL("./upstream-smp-cases.json", import.meta.url), "utf8")) as {
  yamlCases: Case[];
  rawCases: RawCase[];
};

// type MergeItem / RetainKeysMergeItem from patch_test.go
const TABLE: SchemaTable = {
  MergeItem: {
    mergingList: { s: "merge", k: "name", l: 1, t: "MergeItem" },
    nonMergingList: { l: 1, t: "MergeItem" },
    mergingIntList: { s: "merge", l: 0 },
    nonMergingIntList: { l: 0 },
    mergeItemPtr: { s: "merge", k: "name", t: "MergeItem" },
    replacingItem: { s: "replace" },
    retainKeysMap: { s: "retainKeys", t: "RetainKeysMergeItem" },
    retainKeysMergingList: { s: "merge,retainKeys", k: "name", l: 1, t: "MergeItem" },
  },
  RetainKeysMergeItem: {
    mergingIntList: { s: "merge", l: 0 },
    mergingList: { s: "merge", k: "name", l: 1, t: "MergeItem" },
    nonMergingList: { l: 1, t: "MergeItem" },
  },
};

const apply = (doc: unknown, patch: unknown) =>
  strategicMergeWithSchema((doc ?? {}) as Record<string, unknown>, (patch ?? {}) as Record<string, unknown>, "MergeItem", TABLE);

/** sortMergeListsByName-like normalisation: the YAML cases are compared order-insensitively upstream. */
function sortLists(v: unknown): unknown {
  if (Array.isArray(v)) {
    const items = v.map(sortLists);
    const key = (x: unknown) =>
      typeof x === "object" && x !== null ? String((x as Record<string, unknown>).name ?? JSON.stringify(x)) : String(x);
    return items.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  }
  if (typeof v === "object" && v !== null) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, sortLists(x)]));
  }
  return v;
}

describe("upstream createStrategicMergePatchTestCaseData (order-insensitive, like upstream)", () => {
  for (const c of fixtures.yamlCases) {
    if (c.twoWay !== undefined) {
      it(`${c.description} / two-way`, () => {
        expect(sortLists(apply(c.original, c.twoWay))).toEqual(sortLists(c.twoWayResult ?? c.modified ?? {}));
      });
    }
    if (c.threeWay !== undefined && c.result !== undefined) {
      it(`${c.description} / three-way`, () => {
        expect(sortLists(apply(c.current, c.threeWay))).toEqual(sortLists(c.result));
      });
    }
  }
});

describe("upstream strategicMergePatchRawTestCases (order-sensitive)", () => {
  for (const c of fixtures.rawCases) {
    if (c.TwoWay !== undefined) {
      it(`${c.description} / two-way`, () => {
        if (c.ExpectedError) {
          expect(() => apply(c.Original, c.TwoWay)).toThrow(c.ExpectedError);
          return;
        }
        expect(apply(c.Original, c.TwoWay)).toEqual(c.TwoWayResult ?? c.Modified ?? {});
      });
    }
    if (c.ThreeWay !== undefined && c.Result) {
      it(`${c.description} / three-way`, () => {
        if (c.ExpectedError) {
          let err: unknown;
          try {
            apply(c.Current, c.ThreeWay);
          } catch (e) {
            err = e;
          }
          expect(err).toBeInstanceOf(PatchError);
          expect((err as Error).message).toContain(c.ExpectedError);
          return;
        }
        expect(apply(c.Current, c.ThreeWay)).toEqual(c.Result);
      });
    }
  }
});
