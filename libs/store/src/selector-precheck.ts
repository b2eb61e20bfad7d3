/**
 * A cheap test on an object's stored JSON text that a selector can only
 * match if it passes: a LIST with a selector the store answers (an exact
 * resourceVersion, a continue token) then decodes only the objects that
 * might match, not every object under the prefix (50k pods: decoding each
 * was most of such a LIST's time).
 *
 * Sound because the store's text is JSON.stringify's: a label `k: v` is in it
 * as `"k":"v"`, so `"k"` and `"v"` occur as written by JSON.stringify; a
 * field `spec.nodeName=node-7` needs the value's text somewhere. Whatever
 * passes is still decided by the real selector on the decoded object.
 */
import type { FieldSelector, Selector } from "@kubeactor/api";

/**
 * Field values that a field selector reads from an absent field ("" for a
 * missing string, "0" for a missing count, "false" for a missing flag, see
 * fieldsOf): they may match an object whose text does not contain them.
 */
const DEFAULTED = new Set(["", "0", "false"]);

/** The snippets that must all be in the text (each entry: at least one of its alternatives). */
type Needs = readonly (readonly string[])[];

const labelNeeds = (labels: Selector | undefined): Needs => {
  if (!labels) return [];
  const needs: string[][] = [];
  for (const r of labels.requirements) {
    switch (r.operator) {
      case "=":
      case "==":
      case "in":
        needs.push([JSON.stringify(r.key)], r.values.map((v) => JSON.stringify(v)));
        break;
      case "exists":
      case "gt":
      case "lt":
        needs.push([JSON.stringify(r.key)]);
        break;
      default: // "!=", "notin", "!" also match objects without the label
    }
  }
  return needs;
};

const fieldNeeds = (fields: FieldSelector | undefined): Needs => {
  if (!fields) return [];
  const needs: string[][] = [];
  for (const t of fields.terms) {
    if (t.operator === "!=" || DEFAULTED.has(t.value)) continue;
    // A string field holds the value JSON-escaped; a number or flag as its plain text, which needs no escaping.
    needs.push([JSON.stringify(t.value).slice(1, -1)]);
  }
  return needs;
};

/** The pre-check for a selector, or undefined when it would pass everything. */
export const selectorPrecheck = (labels: Selector | undefined, fields: FieldSelector | undefined): ((json: string) => boolean) | undefined => {
  const needs = [...labelNeeds(labels), ...fieldNeeds(fields)];
  if (needs.length === 0) return undefined;
  return (json) => needs.every((alternatives) => alternatives.some((s) => json.includes(s)));
};
