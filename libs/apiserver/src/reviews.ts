/**
 * The review kinds (libs/api resources/reviews.ts): a POST is a question,
 * answered in the 201 response and never stored.
 *
 * kubeactor has no authentication and no authorization, which in
 * kube-apiserver's terms is anonymous auth with the AlwaysAllow authorizer:
 * every request is `system:anonymous` in `system:unauthenticated`, every
 * access review is allowed (no reason), and the rules review lists `*`
 * everywhere — what `kubectl auth can-i` / `auth can-i --list` /
 * `auth whoami` print against such a cluster.
 */
import { decodeObject, type FieldCause, invalid, invalidCause, isObj, methodNotSupported, type ResourceInfo } from "@kubeactor/api";
import type { Reply } from "./handlers.ts";
import type { ResourceTarget } from "./routes.ts";

type Obj = Record<string, unknown>;

export interface UserInfo {
  readonly username: string;
  readonly uid?: string;
  readonly groups: readonly string[];
  readonly extra?: Record<string, string[]>;
}

export const ANONYMOUS_USER: UserInfo = { username: "system:anonymous", groups: ["system:unauthenticated"] };

/**
 * Who a request is: anonymous, or whom it impersonates (`kubectl --as alice
 * --as-group dev`), which AlwaysAllow permits. As kube's impersonation filter
 * does, an impersonated user (other than system:anonymous) is also in
 * system:authenticated.
 */
export const requestUser = (headers: Record<string, string | string[] | undefined>): UserInfo => {
  const all = (name: string): string[] => {
    const v = headers[name];
    return v === undefined ? [] : Array.isArray(v) ? v : v.split(/,\s*/);
  };
  const username = all("impersonate-user")[0];
  if (!username) return ANONYMOUS_USER;
  const groups = all("impersonate-group");
  if (username !== "system:anonymous" && !groups.includes("system:authenticated")) groups.push("system:authenticated");
  const uid = all("impersonate-uid")[0];
  const extra: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (!k.startsWith("impersonate-extra-") || v === undefined) continue;
    extra[decodeURIComponent(k.slice("impersonate-extra-".length))] = Array.isArray(v) ? v : v.split(/,\s*/);
  }
  return { username, ...(uid ? { uid } : {}), groups, ...(Object.keys(extra).length > 0 ? { extra } : {}) };
};


/** metadata must be empty (managedFields aside; namespace too for a LocalSubjectAccessReview), as ValidateSubjectAccessReview has it. */
const metadataCauses = (obj: Obj, allowNamespace: boolean): FieldCause[] => {
  const meta = isObj(obj["metadata"]) ? obj["metadata"] : {};
  const rest = Object.keys(meta).filter((k) => k !== "managedFields" && !(allowNamespace && k === "namespace"));
  return rest.length === 0 ? [] : [invalidCause("metadata", meta, allowNamespace ? "must be empty except for namespace" : "must be empty")];
};

/** ValidateSelfSubjectAccessReviewSpec / ValidateSubjectAccessReviewSpec. */
const specCauses = (spec: Obj, subject: boolean): FieldCause[] => {
  const out: FieldCause[] = [];
  const resource = spec["resourceAttributes"];
  const nonResource = spec["nonResourceAttributes"];
  if (resource !== undefined && nonResource !== undefined) out.push(invalidCause("spec.nonResourceAttributes", nonResource, "cannot be specified in combination with resourceAttributes"));
  if (resource === undefined && nonResource === undefined) out.push(invalidCause("spec.resourceAttributes", null, "exactly one of nonResourceAttributes or resourceAttributes must be specified"));
  const groups = spec["groups"];
  if (subject && !spec["user"] && !(Array.isArray(groups) && groups.length > 0)) out.push(invalidCause("spec.user", spec["user"] ?? "", "at least one of user or group must be specified"));
  return out;
};

const ALLOWED = { allowed: true };

/** The object a client asked about, answered: 201 with status filled in, or a 422 Invalid listing what is wrong. */
export const answerReview = (t: ResourceTarget, body: Obj, user: UserInfo = ANONYMOUS_USER): Reply => {
  const info = t.info;
  if (t.name !== undefined) throw methodNotSupported(info, "create");
  const decoded = decodeObject(info, body);
  if (!decoded.ok) throw invalid(info.kind, info.group, "", decoded.causes);
  const obj = decoded.value as Obj;
  const spec = isObj(obj["spec"]) ? obj["spec"] : {};
  const causes: FieldCause[] = [];
  let status: unknown;
  switch (info.kind) {
    case "SelfSubjectAccessReview":
      causes.push(...specCauses(spec, false), ...metadataCauses(obj, false));
      status = ALLOWED;
      break;
    case "SubjectAccessReview":
      causes.push(...specCauses(spec, true), ...metadataCauses(obj, false));
      status = ALLOWED;
      break;
    case "LocalSubjectAccessReview": {
      causes.push(...specCauses(spec, true), ...metadataCauses(obj, true));
      const attrs = isObj(spec["resourceAttributes"]) ? spec["resourceAttributes"] : undefined;
      if (attrs && (attrs["namespace"] ?? "") !== t.namespace) causes.push(invalidCause("spec.resourceAttributes.namespace", attrs["namespace"] ?? "", "must match metadata.namespace"));
      if (spec["nonResourceAttributes"] !== undefined) causes.push(invalidCause("spec.nonResourceAttributes", spec["nonResourceAttributes"], "disallowed on this kind of request"));
      status = ALLOWED;
      break;
    }
    case "SelfSubjectRulesReview":
      status = {
        resourceRules: [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }],
        nonResourceRules: [{ verbs: ["*"], nonResourceURLs: ["*"] }],
        incomplete: false,
      };
      break;
    case "SelfSubjectReview":
      status = { userInfo: { ...user, groups: [...user.groups] } };
      break;
    default:
      throw methodNotSupported(info, "create");
  }
  if (causes.length > 0) throw invalid(info.kind, info.group, "", causes);
  const meta = isObj(obj["metadata"]) ? obj["metadata"] : {};
  return {
    code: 201,
    body: {
      kind: info.kind,
      apiVersion: `${info.group}/${info.version}`,
      metadata: { ...meta, ...(info.namespaced ? { namespace: t.namespace } : {}) },
      ...(info.kind === "SelfSubjectReview" ? {} : { spec }),
      status,
    },
  };
};

export const isReview = (info: ResourceInfo): boolean => info.servedFrom === "request";
