import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  addQuantity, compareQuantity, ERR_FORMAT_WRONG, ERR_SUFFIX, formatQuantity, milliValue, parseQuantity, QuantityParseError, value,
} from "./quantity.ts";

const canon = (s: string | number) => formatQuantity(parseQuantity(s));

describe("quantity", () => {
  it("prints canonical forms like Kubernetes", () => {
    const cases: [string | number, string][] = [
      ["1.5Gi", "1536Mi"], ["1000m", "1"], ["500m", "500m"], ["0.5", "500m"], ["1e3", "1e3"], ["1000", "1k"],
      ["1500", "1500"], ["2000m", "2"], ["1024", "1024"], ["1024Ki", "1Mi"], ["1Ki", "1Ki"], ["0.5Ki", "512"],
      ["100Mi", "100Mi"], ["1G", "1G"], ["0", "0"], ["-1", "-1"], ["1n", "1n"], ["0.0000000001", "1n"],
      ["1.1Ki", "1126400m"], [1, "1"], [0.25, "250m"], [128974848, "128974848"], ["129e6", "129e6"], ["129M", "129M"], ["Mi", "0"], ["123Mi", "123Mi"],
      ["12e-1", "1200e-3"], ["1.2", "1200m"], ["+5", "5"], ["1.", "1"], ["1E", "1E"], ["00100", "100"],
    ];
    for (const [input, out] of cases) expect(canon(input), String(input)).toBe(out);
  });

  it("exposes milli and integer values rounded up", () => {
    expect(milliValue(parseQuantity("1.5"))).toBe(1500n);
    expect(milliValue(parseQuantity("1n"))).toBe(1n);
    expect(value(parseQuantity("1500m"))).toBe(2n);
    expect(value(parseQuantity("-1500m"))).toBe(-2n);
    expect(value(parseQuantity("1Gi"))).toBe(1073741824n);
    expect(value(parseQuantity("1e3"))).toBe(1000n);
  });

  it("adds and compares exactly", () => {
    expect(formatQuantity(addQuantity(parseQuantity("100m"), parseQuantity("900m")))).toBe("1");
    expect(formatQuantity(addQuantity(parseQuantity("1Gi"), parseQuantity("512Mi")))).toBe("1536Mi");
    expect(compareQuantity(parseQuantity("1Gi"), parseQuantity("1G"))).toBe(1);
    expect(compareQuantity(parseQuantity("1000m"), parseQuantity("1"))).toBe(0);
  });

  it("rejects invalid text with Kubernetes' messages", () => {
    for (const bad of ["abc", "", "1.2.3", "1Gb", "1 Gi", "--1", "1e"]) {
      expect(() => parseQuantity(bad), bad).toThrow(QuantityParseError);
    }
    try {
      parseQuantity("abc");
    } catch (e) {
      expect((e as QuantityParseError).message).toBe(ERR_FORMAT_WRONG);
      expect((e as QuantityParseError).text).toBe("abc");
    }
    expect(() => parseQuantity("1Q")).toThrow(ERR_FORMAT_WRONG);
    expect(() => parseQuantity("1ki")).toThrow(ERR_SUFFIX);
  });

  const suffix = fc.constantFrom("", "n", "u", "m", "k", "M", "G", "T", "P", "Ki", "Mi", "Gi", "Ti", "e3", "e-2", "E");
  const quantityText = fc
    .tuple(fc.constantFrom("", "-", "+"), fc.stringMatching(/^[0-9]{1,8}$/), fc.option(fc.stringMatching(/^[0-9]{0,6}$/), { nil: undefined }), suffix)
    .map(([sign, num, frac, suf]) => `${sign}${num}${frac !== undefined ? `.${frac}` : ""}${suf}`);

  it("property: parse(format(q)) == q", () => {
    fc.assert(
      fc.property(quantityText, (text) => {
        const q = parseQuantity(text);
        const again = parseQuantity(formatQuantity(q));
        expect(again.nanos).toBe(q.nanos);
        expect(formatQuantity(again)).toBe(formatQuantity(q));
      }),
      { numRuns: 500 },
    );
  });

  it("property: compare is a total order consistent with milliValue", () => {
    fc.assert(
      fc.property(quantityText, quantityText, quantityText, (x, y, z) => {
        const [a, b, c] = [parseQuantity(x), parseQuantity(y), parseQuantity(z)];
        expect(compareQuantity(a, b)).toBe(-compareQuantity(b, a) || 0);
        if (compareQuantity(a, b) <= 0 && compareQuantity(b, c) <= 0) expect(compareQuantity(a, c)).toBeLessThanOrEqual(0);
        if (milliValue(a) < milliValue(b)) expect(compareQuantity(a, b)).toBe(-1);
        if (compareQuantity(a, b) <= 0) expect(milliValue(a) <= milliValue(b)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
