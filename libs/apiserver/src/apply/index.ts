/**
 * Server-side apply and field ownership (managedFields) for every write.
 * Pure functions over JSON objects; handlers.ts calls `recordUpdate` on every
 * write and `recordApply` for apply-patch requests.
 */
export { FieldSet, pathString, serializePE, parsePE, type Path, type PathElement } from "./fieldpath.ts";
export { decodeManaged, encodeManaged, managerFromUserAgent, FIELD_MANAGER_MAX_LENGTH, type Managed, type ManagerEntry } from "./managed.ts";
export { compare, deepEqual, merge, removeItems, toFieldSet, materialize } from "./typed.ts";
export { rootType } from "./schema.ts";
export { conflictError, describeManager, LAST_APPLIED_ANNOTATION, recordApply, recordUpdate, type ApplyResult, type WriteContext } from "./fieldmanager.ts";
