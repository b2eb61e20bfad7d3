/**
 * PATCH on a resource, its status or its scale: the four content types
 * kubectl sends (JSON patch, merge patch, strategic merge patch, server-side
 * apply), applied to the stored object and then put through the same update
 * strategy as a PUT — so validation, generation and status rules are one.
 */
import { parse as parseYaml } from "yaml";
import { badRequest, conflict, isStatusError, invalid, requestEntityTooLarge, StatusError, unsupportedMediaType } from "@kubeactor/api";
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, MAX_JSON_PATCH_OPERATIONS, PatchError } from "./patch/index.ts";
import { metaOf, type Obj } from "./objects.ts";

export const PATCH_TYPES = [
  "application/json-patch+json",
  "application/merge-patch+json",
  "application/strategic-merge-patch+json",
  "application/apply-patch+yaml",
] as const;
export type PatchType = (typeof PATCH_TYPES)[number];

export const patchTypeOf = (contentType: string | undefined): PatchType => {
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if ((PATCH_TYPES as readonly string[]).includes(type)) return type as PatchType;
  throw unsupportedMediaType(type);
};

/** The patch document: an array for JSON patch, an object otherwise (apply configurations may be YAML). */
export const parsePatch = (type: PatchType, raw: Buffer): unknown => {
  const text = raw.toString("utf8");
  let value: unknown;
  try {
    value = type === "application/apply-patch+yaml" ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw badRequest(`error decoding patch: ${(e as Error).message.split("\n")[0]}`);
  }
  if (type === "application/json-patch+json") {
    if (!Array.isArray(value)) throw badRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch");
  } else if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw badRequest("error decoding patch: the patch must be a JSON object");
  }
  return value;
};

const fromPatchError = (e: unknown, kind: string, name: string): unknown => {
  if (!(e instanceof PatchError)) return e;
  if (e.code === 422) return invalid(kind, "", name, [{ reason: "FieldValueInvalid", field: "", message: e.message }]);
  if (e.code === 409) return conflict({ group: "", resource: kind.toLowerCase() }, name, e.message);
  return badRequest(e.message);
};

/**
 * A JSON patch the server cannot apply (a failed test, a missing path) is a
 * bare 422 in Kubernetes: its generic "rejected" message with empty details,
 * which kubectl prints as "The request is invalid". Too many operations is 413.
 */
const jsonPatched = (doc: Obj, patch: unknown): Obj => {
  if (Array.isArray(patch) && patch.length > MAX_JSON_PATCH_OPERATIONS) {
    throw requestEntityTooLarge(`Request entity too large: The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${patch.length}`);
  }
  try {
    return applyJsonPatch(doc, patch) as Obj;
  } catch (e) {
    if (!(e instanceof PatchError && e.code === 422)) throw e;
    throw new StatusError({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: "the server rejected our request due to an error in our request",
      reason: "Invalid",
      details: {},
      code: 422,
    });
  }
};

/**
 * `doc` patched; errors are Status errors. Apply patches on objects and their
 * status go through apply/ (field ownership); here they only reach the scale
 * subresource, whose Scale view is merged strategically.
 */
export const applyPatch = (type: PatchType, doc: Obj, patch: unknown, kind: string): Obj => {
  const name = metaOf(doc).name ?? "";
  try {
    switch (type) {
      case "application/json-patch+json":
        return jsonPatched(doc, patch);
      case "application/merge-patch+json":
        return applyMergePatch(doc, patch) as Obj;
      case "application/strategic-merge-patch+json":
      case "application/apply-patch+yaml":
        return applyStrategicMergePatch(doc, patch as Obj, kind);
    }
  } catch (e) {
    throw fromPatchError(e, kind, name);
  }
};

export const isNotFound = (e: unknown): boolean => isStatusError(e) && (e as StatusError).status.code === 404;
