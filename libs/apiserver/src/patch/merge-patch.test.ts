import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyMergePatch } from "./index.ts";

describe("RFC 7386 appendix A", () => {
  const cases: [unknown, unknown, unknown][] = [
    [{ a: "b" }, { a: "c" }, { a: "c" }],
    [{ a: "b" }, { b: "c" }, { a: "b", b: "c" }],
    [{ a: "b" }, { a: null }, {}],
    [{ a: "b", b: "c" }, { a: null }, { b: "c" }],
    [{ a: ["b"] }, { a: "c" }, { a: "c" }],
    [{ a: "c" }, { a: ["b"] }, { a: ["b"] }],
    [{ a: { b: "c" } }, { a: { b: "d", c: null } }, { a: { b: "d" } }],
    [{ a: [{ b: "c" }] }, { a: [1] }, { a: [1] }],
    [["a", "b"], ["c", "d"], ["c", "d"]],
    [{ a: "b" }, ["c"], ["c"]],
    [{ a: "foo" }, null, null],
    [{ a: "foo" }, "bar", "bar"],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: "b", c: null }, { a: "b" }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  cases.forEach(([doc, patch, want], i) => {
    it(`example ${i + 1}: ${JSON.stringify(patch)}`, () => expect(applyMergePatch(doc, patch)).toEqual(want));
  });

  it("kubectl label / annotate / scale", () => {
    const obj = { metadata: { name: "p", labels: { app: "web", old: "x" } }, spec: { replicas: 1 } };
    expect(applyMergePatch(obj, { metadata: { labels: { tier: "fe", old: null } } })).toEqual({
      metadata: { name: "p", labels: { app: "web", tier: "fe" } },
      spec: { replicas: 1 },
    });
    expect(applyMergePatch(obj, { spec: { replicas: 5 } })).toEqual({ ...obj, spec: { replicas: 5 } });
  });

  it("is idempotent", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (doc, patch) => {
        const once = applyMergePatch(doc, patch);
        expect(applyMergePatch(once, patch)).toEqual(once);
      }),
    );
  });
});
