/**
 * rbac.authorization.k8s.io/v1 validation (pkg/apis/rbac/validation): policy
 * rules, role references and subjects, with Kubernetes' field paths and
 * messages. Names of roles and bindings only need to be valid path segments
 * (`system:controller:x` is a fine name).
 */
import { RBAC_GROUP } from "./resources/rbac.ts";
import type { FieldCause } from "./status.ts";
import { invalidCause, isDNS1123Subdomain, notSupportedCause, requiredCause } from "./validation.ts";
import { type Obj, isObj, objects, str } from "./plain.ts";

const count = (v: unknown): number => (Array.isArray(v) ? v.length : 0);

/** IsValidPathSegmentName: the whole name rule for roles and bindings. */
export const isValidPathSegmentName = (name: string): string[] => {
  if (name === "." || name === "..") return [`may not be '${name}'`];
  return ["/", "%"].filter((c) => name.includes(c)).map((c) => `may not contain '${c}'`);
};

const validatePolicyRule = (rule: Obj, namespaced: boolean, p: string): FieldCause[] => {
  const out: FieldCause[] = [];
  if (count(rule["verbs"]) === 0) out.push(requiredCause(`${p}.verbs`, "verbs must contain at least one value"));
  if (count(rule["nonResourceURLs"]) > 0) {
    if (namespaced) out.push(invalidCause(`${p}.nonResourceURLs`, rule["nonResourceURLs"], "namespaced rules cannot apply to non-resource URLs"));
    if (count(rule["apiGroups"]) > 0 || count(rule["resources"]) > 0 || count(rule["resourceNames"]) > 0)
      out.push(invalidCause(`${p}.nonResourceURLs`, rule["nonResourceURLs"], "rules cannot apply to both regular resources and non-resource URLs"));
    return out;
  }
  if (count(rule["apiGroups"]) === 0) out.push(requiredCause(`${p}.apiGroups`, "resource rules must supply at least one api group"));
  if (count(rule["resources"]) === 0) out.push(requiredCause(`${p}.resources`, "resource rules must supply at least one resource"));
  if (count(rule["resourceNames"]) > 0 && count(rule["resources"]) > 1) out.push(requiredCause(`${p}.resourceNames`, "resource names cannot apply to multiple resources"));
  return out;
};

const validateSubject = (s: Obj, namespaced: boolean, p: string): FieldCause[] => {
  const out: FieldCause[] = [];
  const name = str(s["name"]);
  const apiGroup = str(s["apiGroup"]);
  if (!name) out.push(requiredCause(`${p}.name`));
  switch (s["kind"]) {
    case "ServiceAccount":
      if (name) for (const m of isDNS1123Subdomain(name)) out.push(invalidCause(`${p}.name`, name, m));
      if (apiGroup) out.push(notSupportedCause(`${p}.apiGroup`, apiGroup, [""]));
      if (!namespaced && !str(s["namespace"])) out.push(requiredCause(`${p}.namespace`));
      break;
    case "User":
    case "Group":
      if (!name) out.push(invalidCause(`${p}.name`, name, `${s["kind"] === "User" ? "user" : "group"} name cannot be empty`));
      if (apiGroup !== RBAC_GROUP) out.push(notSupportedCause(`${p}.apiGroup`, apiGroup, [RBAC_GROUP]));
      break;
    default:
      out.push(notSupportedCause(`${p}.kind`, s["kind"] ?? "", ["ServiceAccount", "User", "Group"]));
  }
  return out;
};

const validateBinding = (obj: Obj, namespaced: boolean): FieldCause[] => {
  const out: FieldCause[] = [];
  const ref = isObj(obj["roleRef"]) ? obj["roleRef"] : {};
  if (ref["apiGroup"] !== RBAC_GROUP) out.push(notSupportedCause("roleRef.apiGroup", ref["apiGroup"] ?? "", [RBAC_GROUP]));
  const kinds = namespaced ? ["Role", "ClusterRole"] : ["ClusterRole"];
  if (!kinds.includes(str(ref["kind"]))) out.push(notSupportedCause("roleRef.kind", ref["kind"] ?? "", kinds));
  const name = str(ref["name"]);
  if (!name) out.push(requiredCause("roleRef.name"));
  else for (const m of isValidPathSegmentName(name)) out.push(invalidCause("roleRef.name", name, m));
  objects(obj["subjects"]).forEach((s, i) => out.push(...validateSubject(s, namespaced, `subjects[${i}]`)));
  return out;
};

/** The kind-specific checks for create and update (metadata is checked by validateObject). */
export const validateRbacObject = (kind: string, obj: Obj): FieldCause[] => {
  switch (kind) {
    case "Role":
    case "ClusterRole":
      return objects(obj["rules"]).flatMap((r, i) => validatePolicyRule(r, kind === "Role", `rules[${i}]`));
    case "RoleBinding":
      return validateBinding(obj, true);
    case "ClusterRoleBinding":
      return validateBinding(obj, false);
    default:
      return [];
  }
};

/** ValidateRoleBindingUpdate / ValidateClusterRoleBindingUpdate: the roleRef is fixed for a binding's life. */
export const validateRbacUpdate = (kind: string, newObj: Obj, oldObj: Obj): FieldCause[] => {
  if (kind !== "RoleBinding" && kind !== "ClusterRoleBinding") return [];
  const n = isObj(newObj["roleRef"]) ? newObj["roleRef"] : {};
  const o = isObj(oldObj["roleRef"]) ? oldObj["roleRef"] : {};
  const same = ["apiGroup", "kind", "name"].every((k) => str(n[k]) === str(o[k]));
  return same ? [] : [invalidCause("roleRef", { apiGroup: str(n["apiGroup"]), kind: str(n["kind"]), name: str(n["name"]) }, "cannot change roleRef")];
};

/** SetDefaults_RoleBinding / _ClusterRoleBinding / _Subject. */
export const defaultRbacBinding = (binding: Obj): void => {
  if (isObj(binding["roleRef"]) && !binding["roleRef"]["apiGroup"]) binding["roleRef"]["apiGroup"] = RBAC_GROUP;
  for (const s of objects(binding["subjects"])) {
    if (s["apiGroup"]) continue;
    // A ServiceAccount's group is "", which the wire form omits.
    if (s["kind"] === "User" || s["kind"] === "Group") s["apiGroup"] = RBAC_GROUP;
  }
};
