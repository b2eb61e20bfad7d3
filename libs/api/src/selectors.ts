/**
 * Label and field selectors, parsed, printed and matched as
 * k8s.io/apimachinery/pkg/labels and pkg/fields do.
 */
import type { LabelSelector } from "./meta.ts";
import type { ResourceInfo } from "./registry.ts";
import { isQualifiedName, isValidLabelValue } from "./validation.ts";

/** selection.Operator values. */
export type LabelOperator = "=" | "==" | "!=" | "in" | "notin" | "exists" | "!" | "gt" | "lt";

export interface Requirement {
  readonly key: string;
  readonly operator: LabelOperator;
  /** Sorted, without duplicates (Kubernetes keeps a string set). */
  readonly values: readonly string[];
}

/** A parsed label selector: the AND of its requirements, sorted by key. `nothing` matches no object (a nil API selector). */
export interface Selector {
  readonly requirements: readonly Requirement[];
  readonly nothing?: boolean;
}

/** Thrown for any selector text or API selector Kubernetes would reject; the message is Kubernetes'. */
export class SelectorParseError extends Error {
  readonly _tag = "SelectorParseError";
  constructor(message: string) {
    super(message);
    this.name = "SelectorParseError";
  }
}

export const everything: Selector = { requirements: [] };
export const nothing: Selector = { requirements: [], nothing: true };

// ---- lexer ----
type Tok = "id" | "!" | "!=" | "(" | ")" | "," | "=" | "==" | ">" | "<" | "in" | "notin" | "end" | "error";
const SPECIAL = new Set(["=", "!", "(", ")", ",", ">", "<"]);
const SYMBOLS = new Set(["!", "!=", "(", ")", ",", "=", "==", ">", "<"]);
const isWhitespace = (c: string) => c === " " || c === "\t" || c === "\r" || c === "\n";

interface Token {
  readonly tok: Tok;
  readonly lit: string;
}

const lex = (s: string): Token[] => {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (isWhitespace(c)) {
      i++;
    } else if (SPECIAL.has(c)) {
      // longest run of special characters that is a known symbol
      let buf = "";
      let last: string | undefined;
      let j = i;
      while (j < s.length && SPECIAL.has(s[j]!)) {
        buf += s[j];
        if (SYMBOLS.has(buf)) last = buf;
        else if (last !== undefined) break;
        j++;
      }
      if (last === undefined) {
        out.push({ tok: "error", lit: `error expected: keyword found '${buf}'` });
        return out;
      }
      out.push({ tok: last as Tok, lit: last });
      i += last.length;
    } else {
      let j = i;
      while (j < s.length && !isWhitespace(s[j]!) && !SPECIAL.has(s[j]!)) j++;
      out.push({ tok: "id", lit: s.slice(i, j) });
      i = j;
    }
  }
  out.push({ tok: "end", lit: "" });
  return out;
};

// ---- requirements ----
const fieldInvalid = (path: string, value: unknown, detail: string) => `${path}: Invalid value: ${JSON.stringify(value)}: ${detail}`;

/** NewRequirement: validates key, operator and values; throws SelectorParseError. */
export const newRequirement = (key: string, operator: LabelOperator, values: readonly string[]): Requirement => {
  const errs: string[] = [];
  const keyErrs = isQualifiedName(key);
  if (keyErrs.length) errs.push(fieldInvalid("key", key, keyErrs.join("; ")));
  const vals = [...new Set(values)].sort();
  switch (operator) {
    case "in":
    case "notin":
      if (vals.length === 0) errs.push(fieldInvalid("values", vals, "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case "=":
    case "==":
    case "!=":
      if (vals.length !== 1) errs.push(fieldInvalid("values", vals, "exact-match compatibility requires one single value"));
      break;
    case "exists":
    case "!":
      if (vals.length !== 0) errs.push(fieldInvalid("values", vals, "values set must be empty for exists and does not exist"));
      break;
    case "gt":
    case "lt":
      if (vals.length !== 1) errs.push(fieldInvalid("values", vals, "for 'Gt', 'Lt' operators, exactly one value is required"));
      vals.forEach((v, i) => {
        if (!/^[+-]?[0-9]+$/.test(v)) errs.push(fieldInvalid(`values[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"));
      });
      break;
    default:
      errs.push(`operator: Unsupported value: ${JSON.stringify(operator)}`);
  }
  vals.forEach((v, i) => {
    const m = isValidLabelValue(v);
    if (m.length) errs.push(fieldInvalid(`values[${i}][${key}]`, v, m.join("; ")));
  });
  if (errs.length) throw new SelectorParseError(errs.length === 1 ? errs[0]! : `[${errs.join(", ")}]`);
  return { key, operator, values: vals };
};

const sortByKey = (rs: Requirement[]): Requirement[] => rs.map((r, i) => [r, i] as const).sort((a, b) => (a[0].key < b[0].key ? -1 : a[0].key > b[0].key ? 1 : a[1] - b[1])).map(([r]) => r);

// ---- parser (labels.Parser) ----
class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}
  /** In "values" context `in`/`notin` are identifiers; in operator context they are keywords. */
  private at(i: number, keywords: boolean): Token {
    const t = this.tokens[Math.min(i, this.tokens.length - 1)]!;
    if (t.tok === "error") throw new SelectorParseError(t.lit);
    if (keywords && t.tok === "id" && (t.lit === "in" || t.lit === "notin")) return { tok: t.lit, lit: t.lit };
    return t;
  }
  lookahead(keywords = false): Token {
    return this.at(this.pos, keywords);
  }
  consume(keywords = false): Token {
    const t = this.at(this.pos, keywords);
    this.pos++;
    return t;
  }

  parse(): Requirement[] {
    const reqs: Requirement[] = [];
    for (;;) {
      const { tok, lit } = this.lookahead();
      if (tok === "id" || tok === "!") {
        try {
          reqs.push(this.parseRequirement());
        } catch (e) {
          throw new SelectorParseError(`unable to parse requirement: ${(e as Error).message}`);
        }
        const next = this.consume();
        if (next.tok === "end") return reqs;
        if (next.tok === ",") {
          const after = this.lookahead();
          if (after.tok !== "id" && after.tok !== "!") throw new SelectorParseError(`found '${after.lit}', expected: identifier after ','`);
        } else throw new SelectorParseError(`found '${next.lit}', expected: ',' or 'end of string'`);
      } else if (tok === "end") return reqs;
      else throw new SelectorParseError(`found '${lit}', expected: !, identifier, or 'end of string'`);
    }
  }

  private parseRequirement(): Requirement {
    let t = this.consume();
    let op: LabelOperator | undefined;
    if (t.tok === "!") {
      op = "!";
      t = this.consume();
    }
    if (t.tok !== "id") throw new Error(`found '${t.lit}', expected: identifier`);
    const key = t.lit;
    const keyErrs = isQualifiedName(key);
    if (keyErrs.length) throw new Error(fieldInvalid("key", key, keyErrs.join("; ")));
    const la = this.lookahead().tok;
    if ((la === "end" || la === ",") && op === undefined) op = "exists";
    if (op === "exists" || op === "!") return newRequirement(key, op, []);
    const opTok = this.consume(true);
    const ops: Partial<Record<Tok, LabelOperator>> = { in: "in", notin: "notin", "=": "=", "==": "==", "!=": "!=", ">": "gt", "<": "lt" };
    const operator = ops[opTok.tok];
    if (!operator) throw new Error(`found '${opTok.lit}', expected: in, notin, =, ==, !=, gt, lt`);
    const values = operator === "in" || operator === "notin" ? this.parseValues() : this.parseExactValue();
    return newRequirement(key, operator, values);
  }

  private parseValues(): string[] {
    const open = this.consume();
    if (open.tok !== "(") throw new Error(`found '${open.lit}' expected: '('`);
    const la = this.lookahead();
    if (la.tok === ")") {
      this.consume();
      return [""];
    }
    if (la.tok !== "id" && la.tok !== ",") throw new Error(`found '${la.lit}', expected: ',', ')' or identifier`);
    const values = this.parseIdentifiersList();
    const close = this.consume();
    if (close.tok !== ")") throw new Error(`found '${close.lit}', expected: ')'`);
    return values;
  }

  private parseIdentifiersList(): string[] {
    const s = new Set<string>();
    for (;;) {
      const t = this.consume();
      if (t.tok === "id") {
        s.add(t.lit);
        const n = this.lookahead();
        if (n.tok === ",") continue;
        if (n.tok === ")") return [...s];
        throw new Error(`found '${n.lit}', expected: ',' or ')'`);
      } else if (t.tok === ",") {
        if (s.size === 0) s.add("");
        const n = this.lookahead();
        if (n.tok === ")") {
          s.add("");
          return [...s];
        }
        if (n.tok === ",") {
          this.consume();
          s.add("");
        }
      } else throw new Error(`found '${t.lit}', expected: ',', or identifier`);
    }
  }

  private parseExactValue(): string[] {
    const la = this.lookahead();
    if (la.tok === "end" || la.tok === ",") return [""];
    const t = this.consume();
    if (t.tok === "id") return [t.lit];
    throw new Error(`found '${t.lit}', expected: identifier`);
  }
}

/** labels.Parse: `a=b,c!=d,e in (f,g),h notin (i),j,!k,l>1`. Empty text selects everything. */
export function parseLabelSelector(text: string): Selector {
  try {
    return { requirements: sortByKey(new Parser(lex(text)).parse()) };
  } catch (e) {
    // ParseToLabelSelector's wording, so the 400 names the text the user sent.
    throw new SelectorParseError(`couldn't parse the selector string "${text}": ${(e as Error).message}`);
  }
}

/** metav1.LabelSelectorAsSelector: undefined → nothing, {} → everything. */
export function labelSelectorFromApi(sel: LabelSelector | undefined): Selector {
  if (sel === undefined || sel === null) return nothing;
  const reqs: Requirement[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) reqs.push(newRequirement(k, "=", [v]));
  for (const expr of sel.matchExpressions ?? []) {
    const ops: Record<string, LabelOperator> = { In: "in", NotIn: "notin", Exists: "exists", DoesNotExist: "!" };
    const op = ops[expr.operator];
    if (!op) throw new SelectorParseError(`${JSON.stringify(expr.operator)} is not a valid label selector operator`);
    reqs.push(newRequirement(expr.key, op, expr.values ?? []));
  }
  return { requirements: sortByKey(reqs) };
}

/** A selector from matchLabels-style equality (Service spec.selector). An empty map selects everything. */
export const selectorFromSet = (set: Readonly<Record<string, string>>): Selector => ({
  requirements: sortByKey(Object.entries(set).map(([k, v]) => ({ key: k, operator: "=" as const, values: [v] }))),
});

const parseInt64 = (s: string): bigint | undefined => (/^[+-]?[0-9]+$/.test(s) ? BigInt(s) : undefined);

export const requirementMatches = (r: Requirement, labels: Readonly<Record<string, string>>): boolean => {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const v = has ? labels[r.key]! : undefined;
  switch (r.operator) {
    case "=":
    case "==":
    case "in":
      return has && r.values.includes(v!);
    case "!=":
    case "notin":
      return !has || !r.values.includes(v!);
    case "exists":
      return has;
    case "!":
      return !has;
    case "gt":
    case "lt": {
      if (!has) return false;
      const lv = parseInt64(v!);
      const rv = r.values.length === 1 ? parseInt64(r.values[0]!) : undefined;
      if (lv === undefined || rv === undefined) return false;
      return r.operator === "gt" ? lv > rv : lv < rv;
    }
  }
};

/** True when every requirement matches (an empty selector matches everything; `nothing` matches nothing). */
export function matchesLabels(selector: Selector, labels: Readonly<Record<string, string>> | undefined): boolean {
  if (selector.nothing) return false;
  const l = labels ?? {};
  return selector.requirements.every((r) => requirementMatches(r, l));
}

const formatRequirement = (r: Requirement): string => {
  switch (r.operator) {
    case "exists":
      return r.key;
    case "!":
      return `!${r.key}`;
    case "in":
    case "notin":
      return `${r.key} ${r.operator} (${r.values.join(",")})`;
    case "gt":
      return `${r.key}>${r.values[0] ?? ""}`;
    case "lt":
      return `${r.key}<${r.values[0] ?? ""}`;
    default:
      return `${r.key}${r.operator}${r.values[0] ?? ""}`;
  }
};

/** Selector.String(): requirements joined by ",". `parseLabelSelector(formatLabelSelector(s))` gives `s` back. */
export function formatLabelSelector(selector: Selector): string {
  return selector.requirements.map(formatRequirement).join(",");
}

// ---- field selectors (k8s.io/apimachinery/pkg/fields) ----

export interface FieldTerm {
  readonly field: string;
  readonly operator: "=" | "==" | "!=";
  readonly value: string;
}
export interface FieldSelector {
  readonly terms: readonly FieldTerm[];
}

/** fields.EscapeValue: `\`, `,` and `=` are backslash-escaped. */
export const escapeFieldValue = (s: string): string => s.replace(/[\\,=]/g, (c) => `\\${c}`);

/** fields.UnescapeValue. */
export const unescapeFieldValue = (s: string): string => {
  if (!/[\\,=]/.test(s)) return s;
  let out = "";
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c === "\\" || c === "," || c === "=") out += c;
      else throw new SelectorParseError(`invalid field selector: invalid escape sequence: \\${c}`);
      inSlash = false;
      continue;
    }
    if (c === "\\") inSlash = true;
    else if (c === "," || c === "=") throw new SelectorParseError(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    else out += c;
  }
  if (inSlash) throw new SelectorParseError("invalid field selector: invalid escape sequence: \\");
  return out;
};

const splitTerms = (s: string): string[] => {
  if (s === "") return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inSlash) inSlash = false;
    else if (c === "\\") inSlash = true;
    else if (c === ",") {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
};

/** fields.ParseSelector: comma-separated `field=value`, `field==value`, `field!=value` terms (ANDed), terms sorted. */
export function parseFieldSelector(text: string): FieldSelector {
  const parts = splitTerms(text).sort();
  const terms: FieldTerm[] = [];
  for (const part of parts) {
    if (part === "") continue;
    let found: FieldTerm | undefined;
    for (let i = 0; i < part.length && !found; i++) {
      for (const op of ["!=", "==", "="] as const) {
        if (part.startsWith(op, i)) {
          found = { field: part.slice(0, i), operator: op, value: unescapeFieldValue(part.slice(i + op.length)) };
          break;
        }
      }
    }
    if (!found) throw new SelectorParseError(`invalid selector: '${text}'; can't understand '${part}'`);
    terms.push(found);
  }
  return { terms };
}

/** Selector.String() for fields. */
export function formatFieldSelector(sel: FieldSelector): string {
  return sel.terms.map((t) => `${t.field}${t.operator === "!=" ? "!=" : "="}${escapeFieldValue(t.value)}`).join(",");
}

/** A missing field reads as "" (fields.Set.Get). */
export function matchesFields(sel: FieldSelector, fields: Readonly<Record<string, string>>): boolean {
  return sel.terms.every((t) => {
    const v = fields[t.field] ?? "";
    return t.operator === "!=" ? v !== t.value : v === t.value;
  });
}

type Obj = Record<string, unknown>;
const get = (o: unknown, path: string): unknown => {
  let cur = o;
  for (const seg of path.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Obj)[seg];
  }
  return cur;
};
const s = (v: unknown): string => (v === undefined || v === null ? "" : String(v));
const b = (v: unknown): string => (v === true ? "true" : "false");

const copyFields = (obj: unknown, paths: readonly string[]): Record<string, string> =>
  Object.fromEntries(paths.map((p) => [p, s(get(obj, p))]));

const INVOLVED = ["kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"];

/** Per-resource selectable fields beyond metadata.name/namespace, with how to read each. */
const extraFields: Record<string, (obj: unknown) => Record<string, string>> = {
  "/pods": (o) => ({
    ...copyFields(o, ["spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName", "status.phase", "status.podIP", "status.nominatedNodeName"]),
    "spec.hostNetwork": b(get(o, "spec.hostNetwork")),
  }),
  "/events": (o) => ({
    ...copyFields(o, [...INVOLVED.map((f) => `involvedObject.${f}`), "reason", "reportingComponent", "type"]),
    source: s(get(o, "source.component")),
  }),
  "events.k8s.io/events": (o) => ({
    ...copyFields(o, [...INVOLVED.map((f) => `regarding.${f}`), "reason", "reportingController", "type"]),
  }),
  "/secrets": (o) => copyFields(o, ["type"]),
  "/nodes": (o) => ({ "spec.unschedulable": b(get(o, "spec.unschedulable")) }),
  "/namespaces": (o) => copyFields(o, ["status.phase"]),
  "/services": (o) => copyFields(o, ["spec.clusterIP", "spec.type"]),
  "apps/replicasets": (o) => ({ "status.replicas": String(get(o, "status.replicas") ?? 0) }),
  // ControllerToSelectableFields (pkg/registry/core/replicationcontroller).
  "/replicationcontrollers": (o) => ({ "status.replicas": String(get(o, "status.replicas") ?? 0) }),
  // JobToSelectableFields: status.successful is status.succeeded.
  "batch/jobs": (o) => ({ "status.successful": String(get(o, "status.succeeded") ?? 0) }),
};

/** The field-selector values of an object, as Kubernetes' GetAttrs gives them (cluster-scoped kinds have no metadata.namespace). */
export function fieldsOf(info: ResourceInfo, obj: unknown): Record<string, string> {
  const base: Record<string, string> = { "metadata.name": s(get(obj, "metadata.name")) };
  if (info.namespaced) base["metadata.namespace"] = s(get(obj, "metadata.namespace"));
  return { ...base, ...(extraFields[`${info.group}/${info.resource}`]?.(obj) ?? {}) };
}

/** The labels a field selector may use for this resource. */
export const selectableFields = (info: ResourceInfo): string[] => Object.keys(fieldsOf(info, {}));

/** `field label not supported: <label>` for the first label the resource does not support (answer 400 BadRequest), else undefined. */
export function validateFieldSelector(info: ResourceInfo, sel: FieldSelector): string | undefined {
  const allowed = new Set(selectableFields(info));
  for (const t of sel.terms) if (!allowed.has(t.field)) return `field label not supported: ${t.field}`;
  return undefined;
}
