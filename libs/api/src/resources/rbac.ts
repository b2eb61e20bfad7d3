/**
 * rbac.authorization.k8s.io/v1 Role, ClusterRole, RoleBinding and
 * ClusterRoleBinding. kubeactor authorizes everything (AlwaysAllow, see
 * libs/apiserver reviews.ts), so these are stored, validated and printed as
 * Kubernetes does but not enforced — what manifests, Helm charts and
 * operators that ship their RBAC need in order to apply.
 */
import * as Schema from "effect/Schema";
import { described as d, describedRequired as dr, LabelSelector, objectFields } from "../meta.ts";

const Strings = Schema.Array(Schema.String);

export const RBAC_GROUP = "rbac.authorization.k8s.io";

export const PolicyRule = Schema.Struct({
  verbs: dr(Strings, "The verbs the rule allows ('get', 'list', ...); '*' means all."),
  apiGroups: d(Strings, 'The API groups of the resources; "" is the core group, "*" all groups.'),
  resources: d(Strings, "The resources the rule applies to; '*' means all."),
  resourceNames: d(Strings, "An optional allow list of object names; empty means all."),
  nonResourceURLs: d(Strings, "Non-resource URLs (/healthz, /api/*) the rule allows; only in ClusterRoles and without resources."),
}).annotations({ documentation: "One permission: verbs on resources or on non-resource URLs." });

export const Role = Schema.Struct({
  ...objectFields,
  rules: d(Schema.Array(PolicyRule), "All the policy rules of this Role."),
}).annotations({ documentation: "A namespaced set of permissions, granted by a RoleBinding." });

export const ClusterRole = Schema.Struct({
  ...objectFields,
  rules: d(Schema.Array(PolicyRule), "All the policy rules of this ClusterRole."),
  aggregationRule: d(
    Schema.Struct({ clusterRoleSelectors: d(Schema.Array(LabelSelector), "The ClusterRoles whose rules are aggregated into this one.") }),
    "Describes how to build the rules of this ClusterRole from others.",
  ),
}).annotations({ documentation: "A cluster-wide set of permissions, granted by a RoleBinding or a ClusterRoleBinding." });

export const Subject = Schema.Struct({
  kind: dr(Schema.String, 'The kind of subject: "User", "Group" or "ServiceAccount".'),
  apiGroup: d(Schema.String, 'The API group of the subject: "" for ServiceAccount, "rbac.authorization.k8s.io" for User and Group (the default).'),
  name: dr(Schema.String, "The name of the subject."),
  namespace: d(Schema.String, "The namespace of a ServiceAccount subject."),
}).annotations({ documentation: "A user, group or service account a binding grants a role to." });

export const RoleRef = Schema.Struct({
  apiGroup: d(Schema.String, "The group of the referenced role (rbac.authorization.k8s.io, the default)."),
  kind: dr(Schema.String, '"Role" or "ClusterRole".'),
  name: dr(Schema.String, "The name of the referenced role."),
}).annotations({ documentation: "The role a binding grants. It cannot be changed once the binding exists." });

export const RoleBinding = Schema.Struct({
  ...objectFields,
  subjects: d(Schema.Array(Subject), "Who the role is granted to."),
  roleRef: dr(RoleRef, "A Role in the binding's namespace or a ClusterRole. Cannot be updated."),
}).annotations({ documentation: "Grants the permissions of a Role or ClusterRole within one namespace." });

export const ClusterRoleBinding = Schema.Struct({
  ...objectFields,
  subjects: d(Schema.Array(Subject), "Who the role is granted to."),
  roleRef: dr(RoleRef, "A ClusterRole. Cannot be updated."),
}).annotations({ documentation: "Grants the permissions of a ClusterRole across the whole cluster." });
