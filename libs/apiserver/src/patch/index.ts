/**
 * Kubernetes PATCH semantics (pure functions, no I/O):
 *  - application/json-patch+json            → applyJsonPatch      (RFC 6902, evanphx/json-patch v4 behaviour)
 *  - application/merge-patch+json           → applyMergePatch     (RFC 7386)
 *  - application/strategic-merge-patch+json → applyStrategicMergePatch (apimachinery strategicpatch)
 * All functions leave their inputs untouched and throw PatchError { code: 400 | 409 | 422 } on failure.
 */
export { PatchError } from "./util.ts";
export { applyJsonPatch, MAX_JSON_PATCH_OPERATIONS } from "./json-patch.ts";
export { applyMergePatch } from "./merge-patch.ts";
export { applyStrategicMergePatch, listStrategy, normalizeKind, strategicMergeWithSchema } from "./strategic.ts";
export type { FieldMeta, SchemaTable } from "./schema.ts";
