/**
 * Kubernetes `resource.Quantity`, parsed and printed exactly as
 * k8s.io/apimachinery/pkg/api/resource does, with exact bigint arithmetic.
 *
 * A quantity is held as an integer count of nano-units (Kubernetes rounds any
 * finer precision up to 1n, away from zero) plus the format its suffix chose,
 * which decides how it prints (`1.5Gi` prints `1536Mi`, `1000m` prints `1`).
 */

export type QuantityFormat = "DecimalSI" | "BinarySI" | "DecimalExponent";

export interface Quantity {
  /** The value times 10^9, exact. */
  readonly nanos: bigint;
  readonly format: QuantityFormat;
}

/** The regular expression Kubernetes quotes in its parse error. */
export const QUANTITY_REGEX_STRING = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$";
export const ERR_FORMAT_WRONG = `quantities must match the regular expression '${QUANTITY_REGEX_STRING}'`;
export const ERR_NUMERIC = "unable to parse numeric part of quantity";
export const ERR_SUFFIX = "unable to parse quantity's suffix";

/** Thrown by `parseQuantity`; `text` is the input that failed, `message` is Kubernetes' wording. */
export class QuantityParseError extends Error {
  readonly _tag = "QuantityParseError";
  constructor(
    readonly text: string,
    message: string,
  ) {
    super(message);
    this.name = "QuantityParseError";
  }
}

const NANO = 1_000_000_000n;
const MAX_INT64 = (1n << 63n) - 1n;

const decimalSuffixes: Record<string, number> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const binarySuffixes: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const decimalByExponent = new Map(Object.entries(decimalSuffixes).map(([s, e]) => [e, s]));
const binaryByExponent = new Map(Object.entries(binarySuffixes).map(([s, e]) => [e, s]));

const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";

interface Split {
  readonly positive: boolean;
  readonly num: string;
  readonly denom: string;
  readonly suffix: string;
}

/** Mirrors parseQuantityString in quantity.go, including its leniencies ("1.G", "."). */
const splitQuantity = (str: string): Split => {
  let positive = true;
  let pos = 0;
  const end = str.length;
  if (str[0] === "-") {
    positive = false;
    pos++;
  } else if (str[0] === "+") pos++;
  while (pos < end && str[pos] === "0") pos++;
  if (pos >= end) return { positive, num: "0", denom: "", suffix: "" };
  let start = pos;
  while (pos < end && isDigit(str[pos])) pos++;
  const num = str.slice(start, pos) || "0";
  let denom = "";
  if (pos < end && str[pos] === ".") {
    pos++;
    start = pos;
    while (pos < end && isDigit(str[pos])) pos++;
    denom = str.slice(start, pos);
  }
  const suffixStart = pos;
  while (pos < end && "eEinumkKMGTP".includes(str[pos]!)) pos++;
  if (pos < end && (str[pos] === "-" || str[pos] === "+")) pos++;
  while (pos < end && isDigit(str[pos])) pos++;
  if (pos < end) throw new QuantityParseError(str, ERR_FORMAT_WRONG);
  return { positive, num, denom, suffix: str.slice(suffixStart) };
};

const interpretSuffix = (text: string, suffix: string): { base: 10 | 2; exponent: number; format: QuantityFormat } => {
  const dec = decimalSuffixes[suffix];
  if (dec !== undefined) return { base: 10, exponent: dec, format: "DecimalSI" };
  const bin = binarySuffixes[suffix];
  if (bin !== undefined) return { base: 2, exponent: bin, format: "BinarySI" };
  if (suffix.length > 1 && (suffix[0] === "e" || suffix[0] === "E") && /^[+-]?[0-9]+$/.test(suffix.slice(1))) {
    const exponent = Number(suffix.slice(1));
    // Kubernetes would accept any int32 here; beyond this nothing is representable sensibly.
    if (Math.abs(exponent) > 400) throw new QuantityParseError(text, ERR_NUMERIC);
    return { base: 10, exponent, format: "DecimalExponent" };
  }
  throw new QuantityParseError(text, ERR_SUFFIX);
};

/** Divides rounding the magnitude up (away from zero), as Kubernetes rounds to nano and to Value(). */
const divAwayFromZero = (n: bigint, d: bigint): bigint => {
  const q = n / d;
  return q * d === n ? q : n < 0n ? q - 1n : q + 1n;
};

/**
 * Parses a quantity as Kubernetes does (JSON numbers are read from their text).
 * Throws `QuantityParseError` for anything Kubernetes rejects.
 */
export const parseQuantity = (input: string | number): Quantity => {
  const str = typeof input === "number" ? numberText(input) : input;
  if (str.length === 0) throw new QuantityParseError(str, ERR_FORMAT_WRONG);
  if (str === "0") return { nanos: 0n, format: "DecimalSI" };
  const { positive, num, denom, suffix } = splitQuantity(str);
  const { base, exponent, format: suffixFormat } = interpretSuffix(str, suffix);
  // value = (num.denom) * base^exponent, as an exact fraction numerator / 10^len(denom)
  let numerator = BigInt(num + denom);
  let denominator = 10n ** BigInt(denom.length);
  if (base === 10) {
    if (exponent >= 0) numerator *= 10n ** BigInt(exponent);
    else denominator *= 10n ** BigInt(-exponent);
  } else {
    numerator *= 1n << BigInt(exponent);
  }
  let nanos = divAwayFromZero(numerator * NANO, denominator);
  let format = suffixFormat;
  if (format === "BinarySI") {
    if (nanos > MAX_INT64 * NANO) nanos = MAX_INT64 * NANO;
    if (nanos < 1024n * NANO) format = "DecimalSI";
  }
  return { nanos: positive ? nanos : -nanos, format };
};

/** JSON number → the text Go's decoder would hand to Quantity.UnmarshalJSON. */
const numberText = (n: number): string => {
  if (!Number.isFinite(n)) throw new QuantityParseError(String(n), ERR_FORMAT_WRONG);
  return String(n);
};

/** Like `parseQuantity` but returns undefined instead of throwing. */
export const tryParseQuantity = (input: string | number): Quantity | undefined => {
  try {
    return parseQuantity(input);
  } catch {
    return undefined;
  }
};

export const isQuantity = (input: unknown): boolean =>
  (typeof input === "string" || typeof input === "number") && tryParseQuantity(input) !== undefined;

/** Value in milli-units, rounded up (away from zero) like Quantity.MilliValue. */
export const milliValue = (q: Quantity): bigint => divAwayFromZero(q.nanos, 1_000_000n);
/** Integer value, rounded up (away from zero) like Quantity.Value. */
export const value = (q: Quantity): bigint => divAwayFromZero(q.nanos, NANO);
/** Value scaled to 10^scale units, rounded up like Quantity.ScaledValue. */
export const scaledValue = (q: Quantity, scale: number): bigint =>
  scale + 9 >= 0 ? divAwayFromZero(q.nanos, 10n ** BigInt(scale + 9)) : q.nanos * 10n ** BigInt(-(scale + 9));

/** -1, 0 or 1, a total order on values (format is ignored, as in Quantity.Cmp). */
export const compareQuantity = (a: Quantity, b: Quantity): -1 | 0 | 1 => (a.nanos < b.nanos ? -1 : a.nanos > b.nanos ? 1 : 0);
export const equalQuantity = (a: Quantity, b: Quantity): boolean => a.nanos === b.nanos;

/** Sum; keeps `a`'s format unless `a` is zero (as Quantity.Add). */
export const addQuantity = (a: Quantity, b: Quantity): Quantity => ({
  nanos: a.nanos + b.nanos,
  format: a.nanos === 0n ? b.format : a.format,
});
export const subQuantity = (a: Quantity, b: Quantity): Quantity => ({
  nanos: a.nanos - b.nanos,
  format: a.nanos === 0n ? b.format : a.format,
});

export const quantityFromMilli = (milli: bigint | number, format: QuantityFormat = "DecimalSI"): Quantity => ({
  nanos: BigInt(milli) * 1_000_000n,
  format,
});
export const quantityFromValue = (v: bigint | number, format: QuantityFormat = "DecimalSI"): Quantity => ({
  nanos: BigInt(v) * NANO,
  format,
});

/** The canonical text Kubernetes prints (Quantity.String / CanonicalizeBytes). */
export const formatQuantity = (q: Quantity): string => {
  if (q.nanos === 0n) return "0";
  const negative = q.nanos < 0n;
  const abs = negative ? -q.nanos : q.nanos;
  const sign = negative ? "-" : "";
  let format = q.format;
  if (format === "BinarySI" && (abs < 1024n * NANO || abs % NANO !== 0n)) format = "DecimalSI";
  if (format === "BinarySI") {
    let amount = abs / NANO;
    let exponent = 0;
    while (amount % 1024n === 0n && exponent < 60) {
      amount /= 1024n;
      exponent += 10;
    }
    return `${sign}${amount}${binaryByExponent.get(exponent) ?? ""}`;
  }
  let amount = abs;
  let exponent = -9;
  while (amount % 10n === 0n) {
    amount /= 10n;
    exponent++;
  }
  while (((exponent % 3) + 3) % 3 !== 0) {
    amount *= 10n;
    exponent--;
  }
  if (format === "DecimalExponent") return `${sign}${amount}${exponent === 0 ? "" : `e${exponent}`}`;
  const suffix = decimalByExponent.get(exponent);
  // Kubernetes has no SI suffix past E; print an exponent so the text still parses back to the value.
  return `${sign}${amount}${suffix ?? `e${exponent}`}`;
};

/** Canonical form of any accepted input (throws like parseQuantity). */
export const canonicalQuantity = (input: string | number): string => formatQuantity(parseQuantity(input));

/**
 * A resource list's quantities made canonical in place, as kube stores them
 * (`1024Mi` → `1Gi`); values that do not parse stay for validation to report.
 */
export const canonicalQuantities = (list: unknown): void => {
  if (typeof list !== "object" || list === null || Array.isArray(list)) return;
  const entries = list as Record<string, unknown>;
  for (const [k, v] of Object.entries(entries)) {
    if (typeof v !== "string" && typeof v !== "number") continue;
    try {
      entries[k] = formatQuantity(parseQuantity(v));
    } catch {
      // reported by validation
    }
  }
};
