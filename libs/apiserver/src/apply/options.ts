/**
 * The request options that decide who a write is recorded for: `fieldManager`
 * (else the User-Agent prefix) and, for apply, `force`. Checked as Kubernetes'
 * ValidateCreateOptions / ValidateUpdateOptions / ValidatePatchOptions do, with
 * the same 422 wording (`PatchOptions.meta.k8s.io "" is invalid: ...`).
 */
import { apiVersionOf, type ResourceInfo, StatusError } from "@kubeactor/api";
import { FIELD_MANAGER_MAX_LENGTH, managerFromUserAgent } from "./managed.ts";
import { hasStatus, type WriteContext } from "./fieldmanager.ts";
import { nowTimestamp } from "../objects.ts";

export type OptionsKind = "CreateOptions" | "UpdateOptions" | "PatchOptions";

interface Cause {
  readonly reason: string;
  readonly message: string;
  readonly field: string;
}

const optionsInvalid = (kind: OptionsKind, causes: readonly Cause[]): StatusError => {
  const parts = causes.map((c) => `${c.field}: ${c.message}`);
  return new StatusError({
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: `${kind}.meta.k8s.io "" is invalid: ${parts.length === 1 ? parts[0] : `[${parts.join(", ")}]`}`,
    reason: "Invalid",
    details: { group: "meta.k8s.io", kind, causes: causes.map((c) => ({ reason: c.reason, message: c.message, field: c.field })) },
    code: 422,
  });
};

const printable = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

/** Throws the 422 Kubernetes gives for a missing (apply), too long or unprintable fieldManager, or `force` on a non-apply patch. */
export const checkManagerOptions = (q: URLSearchParams, kind: OptionsKind, isApply: boolean): void => {
  const manager = q.get("fieldManager") ?? "";
  const causes: Cause[] = [];
  if (isApply && manager === "") causes.push({ reason: "FieldValueRequired", field: "fieldManager", message: "Required value: is required for apply patch" });
  if (kind === "PatchOptions" && !isApply && q.has("force")) {
    causes.push({ reason: "FieldValueForbidden", field: "force", message: "Forbidden: may not be specified for non-apply patch" });
  }
  if (manager.length > FIELD_MANAGER_MAX_LENGTH) {
    causes.push({ reason: "FieldValueTooLong", field: "fieldManager", message: `Too long: may not be more than ${FIELD_MANAGER_MAX_LENGTH} bytes` });
  }
  [...manager].forEach((ch, i) => {
    if (!printable.test(ch)) {
      const code = `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
      causes.push({ reason: "FieldValueInvalid", field: "fieldManager", message: `Invalid value: ${JSON.stringify(manager)}: invalid character ${code} (at position ${i})` });
    }
  });
  if (causes.length > 0) throw optionsInvalid(kind, causes);
};

/** Whether the request forces apply conflicts (`force=true`). */
export const isForced = (q: URLSearchParams): boolean => q.get("force") === "true";

/** Manager names by User-Agent: clients send the same few agents on every request. */
const managers = new Map<string, string>();
const managerOf = (userAgent: string | undefined): string => {
  const ua = userAgent ?? "";
  let m = managers.get(ua);
  if (m === undefined) {
    if (managers.size >= 1000) managers.clear();
    managers.set(ua, (m = managerFromUserAgent(ua)));
  }
  return m;
};

/** Who and what a write is recorded as. */
export const writeContext = (info: ResourceInfo, q: URLSearchParams, userAgent: string | undefined, subresource?: "status" | "scale" | "ephemeralcontainers"): WriteContext => ({
  manager: q.get("fieldManager") || managerOf(userAgent),
  apiVersion: apiVersionOf(info),
  kind: info.kind,
  ...(subresource ? { subresource } : {}),
  statusSubresource: hasStatus(info),
  now: nowTimestamp(),
});
