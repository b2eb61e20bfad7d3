/** RFC 7386 JSON Merge Patch (pure; inputs are not mutated). */
import { deepCopy, getOwn, isObject, setOwn, type JsonObject } from "./util.ts";

function merge(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return deepCopy(patch);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (v !== undefined) setOwn(out, k, merge(getOwn(out, k), v));
  }
  return out;
}

/**
 * RFC 7386: objects merge recursively, `null` deletes a member, anything else (arrays, scalars, a non-object
 * patch) replaces the target. Note: the Kubernetes handler additionally rejects a merge patch body that is
 * `null` or a scalar with 400 "Invalid JSON Patch" (evanphx ErrBadJSONPatch); that check belongs to the caller.
 */
export function applyMergePatch(doc: unknown, patch: unknown): unknown {
  return deepCopy(merge(doc, patch));
}
