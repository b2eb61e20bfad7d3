/**
 * Server-side field validation (`fieldValidation=Strict|Warn|Ignore`, Warn
 * when absent, as kube-apiserver): unknown fields — anything the libs/api
 * schema of the kind does not declare — and duplicate fields in a request
 * body. Strict answers 400 with Kubernetes' `strict decoding error: ...`;
 * Warn returns each problem as a `Warning: 299` header; Ignore says nothing.
 * In every mode unknown fields are dropped before the object is stored, as
 * Go's typed decoding drops them.
 *
 * JSON bodies are scanned once, in document order, with the kind's model
 * alongside (a field that is both unknown and duplicated is reported once,
 * as unknown, and nothing below an unknown field is checked). YAML
 * duplicates are reported with their line numbers, as go-yaml does.
 * Loosely modelled sub-objects (`Loose` in libs/api) accept any field.
 */
import type { IncomingMessage } from "node:http";
import { isMap, LineCounter, parseDocument, type Node as YamlNode } from "yaml";
import { badRequest, invalid, type ResourceInfo } from "@kubeactor/api";
import { parseObjectBody } from "./http.ts";
import { type Model, resourceModel } from "./openapi/model.ts";

export type FieldValidation = "Strict" | "Warn" | "Ignore";

/** The request's directive; an unsupported value is rejected as kube-apiserver does. */
export const fieldValidationOf = (q: URLSearchParams, optionsKind = "CreateOptions"): FieldValidation => {
  const v = q.get("fieldValidation") ?? "";
  if (v === "") return "Warn";
  if (v === "Strict" || v === "Warn" || v === "Ignore") return v;
  throw invalid(optionsKind, "meta.k8s.io", "", [
    { reason: "FieldValueNotSupported", field: "fieldValidation", message: `Unsupported value: "${v}": supported values: "", "Ignore", "Strict", "Warn"` },
  ]);
};

const child = (path: string, key: string) => (path === "" ? key : `${path}.${key}`);

/** Where a value of model `m` leads for `key`: its model, or undefined when anything goes below. */
const propertyModel = (m: Model | undefined, key: string): { model: Model | undefined; unknown: boolean } => {
  if (!m) return { model: undefined, unknown: false };
  if (m.kind === "object") {
    const p = m.properties.get(key);
    return p ? { model: p.model, unknown: false } : { model: undefined, unknown: true };
  }
  if (m.kind === "map") return { model: m.values, unknown: false };
  return { model: undefined, unknown: false };
};
const itemModel = (m: Model | undefined): Model | undefined => (m?.kind === "array" ? m.items : undefined);

interface Frame {
  readonly array: boolean;
  /** How the parent reaches this value: a key, an array index, or undefined at the root. */
  readonly seg: string | number | undefined;
  readonly model: Model | undefined;
  /** The object's keys so far (made on its first key; arrays have none). */
  keys: Set<string> | undefined;
  /** Below an unknown field: nothing is reported. */
  readonly skip: boolean;
  index: number;
}

/** The path of the value `seg` leads to from the innermost frame of `stack` (built only for a report). */
const pathAt = (stack: readonly Frame[], seg: string | number): string => {
  let path = "";
  const step = (s: string | number | undefined) => {
    if (s === undefined) return;
    path = typeof s === "number" ? `${path}[${s}]` : child(path, s);
  };
  for (const f of stack) step(f.seg);
  step(seg);
  return path;
};

const QUOTE = 34, BACKSLASH = 92, OPEN_BRACE = 123, OPEN_BRACKET = 91, CLOSE_BRACE = 125, CLOSE_BRACKET = 93, COMMA = 44;

/**
 * Duplicate and (with a model) unknown fields of a JSON text, in document
 * order, as sigs.k8s.io/json reports them. The text must already be valid JSON.
 * Every create and update body goes through it: paths are built only for a
 * field that is reported.
 */
export const scanJson = (text: string, model: Model | undefined): string[] => {
  const issues: string[] = [];
  const stack: Frame[] = [];
  let pendingSeg: string | number | undefined;
  let pendingModel: Model | undefined = model;
  let pendingSkip = false;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      const array = c === OPEN_BRACKET;
      stack.push({ array, seg: pendingSeg, model: pendingModel, keys: undefined, index: 0, skip: pendingSkip });
      expectKey = !array;
      if (array) {
        pendingSeg = 0;
        pendingModel = itemModel(pendingModel);
      }
      continue;
    }
    if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      stack.pop();
      continue;
    }
    if (c === COMMA) {
      const top = stack[stack.length - 1];
      if (!top) continue;
      if (top.array) {
        pendingSeg = ++top.index;
        pendingModel = itemModel(top.model);
        pendingSkip = top.skip;
      } else expectKey = true;
      continue;
    }
    if (c === QUOTE) {
      let j = i + 1;
      let escaped = false;
      for (;;) {
        const d = text.charCodeAt(j);
        if (d === QUOTE) break;
        if (d === BACKSLASH) {
          escaped = true;
          j += 2;
        } else j++;
      }
      const top = stack[stack.length - 1];
      if (expectKey && top && !top.array) {
        const key = escaped ? (JSON.parse(text.slice(i, j + 1)) as string) : text.slice(i + 1, j);
        const { model: m, unknown } = propertyModel(top.model, key);
        const seen = top.keys?.has(key) ?? false;
        // Inside an unknown field nothing is reported; an unknown key repeated is reported once, as unknown.
        if (!top.skip && unknown && !seen) issues.push(`unknown field "${pathAt(stack, key)}"`);
        if (!top.skip && !unknown && seen) issues.push(`duplicate field "${pathAt(stack, key)}"`);
        (top.keys ??= new Set()).add(key);
        expectKey = false;
        pendingSeg = key;
        pendingModel = m;
        pendingSkip = top.skip || unknown;
      }
      i = j;
      continue;
    }
    // whitespace, ':', numbers, true, false, null: nothing to check
  }
  return issues;
};

/** Unknown fields of a decoded value (keys in sorted order when `sorted`, as Go re-marshals maps). */
export const unknownFields = (value: unknown, model: Model | undefined, sorted: boolean, path = "", out: string[] = []): string[] => {
  if (!model || value === null || typeof value !== "object") return out;
  if (Array.isArray(value)) {
    const items = itemModel(model);
    value.forEach((v, i) => unknownFields(v, items, sorted, `${path}[${i}]`, out));
    return out;
  }
  const keys = Object.keys(value);
  for (const key of sorted ? keys.sort() : keys) {
    const { model: m, unknown } = propertyModel(model, key);
    if (unknown) out.push(`unknown field "${child(path, key)}"`);
    else unknownFields((value as Record<string, unknown>)[key], m, sorted, child(path, key), out);
  }
  return out;
};

/** Removes every field the model does not declare, in place. */
export const pruneUnknown = (value: unknown, model: Model | undefined): void => {
  if (!model || value === null || typeof value !== "object") return;
  if (Array.isArray(value)) {
    const items = itemModel(model);
    for (const v of value) pruneUnknown(v, items);
    return;
  }
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    const { model: m, unknown } = propertyModel(model, key);
    if (unknown) delete obj[key];
    else pruneUnknown(obj[key], m);
  }
};

/** go-yaml's complaint about repeated keys, one line per key, in document order. */
export const yamlDuplicateKeys = (text: string): string[] => {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: false, lineCounter });
  const lines: string[] = [];
  const visit = (node: YamlNode | null | undefined) => {
    if (!node || typeof node !== "object") return;
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const keyNode = pair.key as YamlNode & { value?: unknown; range?: [number, number, number] };
        const key = String(keyNode?.value ?? keyNode);
        if (seen.has(key) && keyNode?.range) lines.push(`line ${lineCounter.linePos(keyNode.range[0]).line}: key "${key}" already set in map`);
        seen.add(key);
        visit(pair.value as YamlNode);
      }
    } else if ("items" in node && Array.isArray((node as { items: unknown[] }).items)) {
      for (const item of (node as { items: YamlNode[] }).items) visit(item);
    }
  };
  visit(doc.contents as YamlNode);
  return lines;
};

const mediaType = (req: IncomingMessage) => (req.headers["content-type"] ?? "application/json").split(";")[0]!.trim().toLowerCase();
const isYaml = (type: string) => type === "application/yaml" || type === "application/x-yaml" || type === "text/yaml" || type === "application/apply-patch+yaml";

/** The problems of a raw body: JSON scanned with the model, YAML duplicates by line then unknown fields (sorted). */
export const bodyIssues = (raw: Buffer, type: string, parsed: unknown, model: Model | undefined): string[] => {
  const text = raw.toString("utf8");
  if (isYaml(type) && !/^\s*[{[]/.test(text)) {
    const dups = yamlDuplicateKeys(text);
    const head = dups.length ? [`yaml: unmarshal errors:\n  ${dups.join("\n  ")}`] : [];
    return [...head, ...unknownFields(parsed, model, true)];
  }
  if (type === "application/vnd.kubernetes.protobuf") return unknownFields(parsed, model, false);
  return scanJson(text, model);
};

export const strictError = (info: ResourceInfo, issues: readonly string[]) =>
  badRequest(`${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}: strict decoding error: ${issues.join(", ")}`);

/** What a write body becomes after field validation: the object (unknown fields dropped) and the warnings to send. */
export interface Checked {
  readonly body: Record<string, unknown>;
  readonly warnings: readonly string[];
}

/**
 * Parses a create/update body and applies field validation: throws the
 * Strict error, or returns the pruned object with its warnings (Warn).
 */
export const parseValidatedBody = (info: ResourceInfo, raw: Buffer, req: IncomingMessage, q: URLSearchParams, optionsKind: string): Checked => {
  const mode = fieldValidationOf(q, optionsKind);
  const type = mediaType(req);
  const yaml = isYaml(type);
  // Duplicate YAML keys would fail a strict parse: read leniently (last wins, as go-yaml), then report.
  const body = yaml ? parseLenientYaml(raw) : parseObjectBody(raw, req);
  const model = resourceModel(info);
  const issues = mode === "Ignore" ? [] : bodyIssues(raw, type, body, model);
  if (mode === "Strict" && issues.length > 0) throw strictError(info, issues);
  // The scan reports every unknown field (JSON, YAML and protobuf alike): none reported, none to drop.
  if (mode === "Ignore" || issues.some(isUnknownFieldIssue)) pruneUnknown(body, model);
  return { body, warnings: mode === "Warn" ? issues.flatMap(splitYamlIssue) : [] };
};

const isUnknownFieldIssue = (issue: string) => issue.startsWith("unknown field ");

/** A Warning header carries one line: go-yaml's multi-line error becomes one warning per key. */
const splitYamlIssue = (issue: string): string[] =>
  issue.startsWith("yaml: unmarshal errors:\n") ? issue.split("\n").slice(1).map((l) => l.trim()) : [issue];

const parseLenientYaml = (raw: Buffer): Record<string, unknown> => {
  let value: unknown;
  try {
    const doc = parseDocument(raw.toString("utf8"), { uniqueKeys: false });
    if (doc.errors.length > 0) throw doc.errors[0];
    value = doc.toJS();
  } catch (e) {
    throw badRequest(`yaml: ${(e as Error).message.split("\n")[0]}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw badRequest(`the body of the request must be a JSON object, got ${Array.isArray(value) ? "an array" : typeof value}`);
  }
  return value as Record<string, unknown>;
};

/**
 * Field validation of a PATCH: duplicates in the patch body (kube-apiserver
 * reports those first), then unknown fields of the patched object in sorted
 * order. Returns the warnings; prunes `patched`; throws in Strict mode.
 */
export const validatePatched = (info: ResourceInfo, patched: Record<string, unknown>, mode: FieldValidation, patchIssues: readonly string[]): string[] => {
  const model = resourceModel(info);
  const issues = mode === "Ignore" ? [] : [...patchIssues, ...unknownFields(patched, model, true)];
  if (mode === "Strict" && issues.length > 0) throw strictError(info, issues);
  pruneUnknown(patched, model);
  return mode === "Warn" ? issues.flatMap(splitYamlIssue) : [];
};

/** Duplicates in a raw patch body (no model: the patch is checked once applied). */
export const patchBodyIssues = (raw: Buffer, contentType: string | undefined): string[] => {
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  const text = raw.toString("utf8");
  try {
    if (isYaml(type) && !/^\s*[{[]/.test(text)) {
      const dups = yamlDuplicateKeys(text);
      return dups.length ? [`yaml: unmarshal errors:\n  ${dups.join("\n  ")}`] : [];
    }
    JSON.parse(text);
  } catch {
    return []; // the patch parser reports malformed bodies
  }
  const dups = scanJson(text, undefined);
  return type === "application/json-patch+json" ? dups.map((d) => `json patch ${d}`) : dups;
};

/** `Warning: 299 - "<text>"` header values (RFC 7234 warn-text, quotes and backslashes escaped). */
export const warningHeaders = (warnings: readonly string[]): string[] =>
  warnings.map((w) => `299 - "${w.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`);
