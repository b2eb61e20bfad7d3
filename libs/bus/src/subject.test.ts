import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { decodeToken, encodeToken, isValidSubject, subjectMatches } from "./subject.ts";
import { subjectFor, watchChange } from "./index.ts";

describe("subject tokens", () => {
  it("encodes names so they never split a subject", () => {
    expect(encodeToken("my.config")).toBe("my~2econfig");
    expect(encodeToken("")).toBe("_");
    expect(encodeToken("a_b")).toBe("a~5fb");
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        const t = encodeToken(s);
        expect(isValidSubject(`kube.${t}.x`, false)).toBe(true);
        expect(decodeToken(t)).toBe(s);
      }),
    );
  });

  it("builds watch subjects and subscription patterns", () => {
    expect(subjectFor(watchChange, { group: "", resource: "pods", namespace: "default", name: "web.1" })).toBe("kube.watch._.pods.default.web~2e1");
    expect(subjectFor(watchChange, { group: "apps", resource: "deployments" }, true)).toBe("kube.watch.apps.deployments.>");
    expect(subjectFor(watchChange, { group: "apps", name: "x" }, true)).toBe("kube.watch.apps.*.*.x");
  });

  it("matches wildcards like NATS", () => {
    expect(subjectMatches("a.*.c", "a.b.c")).toBe(true);
    expect(subjectMatches("a.>", "a")).toBe(false);
    expect(subjectMatches("a.>", "a.b.c")).toBe(true);
    expect(subjectMatches("a.*", "a.b.c")).toBe(false);
  });
});
