/**
 * The review kinds: questions a client asks the API server, answered in the
 * response and never stored (create is their only verb).
 * - authorization.k8s.io/v1 SelfSubjectAccessReview (`kubectl auth can-i`),
 *   SubjectAccessReview, LocalSubjectAccessReview and SelfSubjectRulesReview
 *   (`kubectl auth can-i --list`);
 * - authentication.k8s.io/v1 SelfSubjectReview (`kubectl auth whoami`).
 */
import * as Schema from "effect/Schema";
import { described as d, describedRequired as dr, objectFields } from "../meta.ts";

const Str = Schema.String;
const Strings = Schema.Array(Str);

const FieldSelectorAttributes = Schema.Struct({
  rawSelector: d(Str, "The serialization of a field selector, as it would appear in a query parameter."),
  requirements: d(Schema.Array(Schema.Struct({ key: Str, operator: Str, values: Schema.optional(Strings) })), "The parsed field selector."),
});
const LabelSelectorAttributes = Schema.Struct({
  rawSelector: d(Str, "The serialization of a label selector, as it would appear in a query parameter."),
  requirements: d(Schema.Array(Schema.Struct({ key: Str, operator: Str, values: Schema.optional(Strings) })), "The parsed label selector."),
});

export const ResourceAttributes = Schema.Struct({
  namespace: d(Str, 'The namespace of the action being requested; "" means all namespaces (or a cluster-scoped resource).'),
  verb: d(Str, 'A kubernetes resource API verb, like get, list, watch, create, update, delete, proxy; "*" means all.'),
  group: d(Str, 'The API group of the resource; "*" means all.'),
  version: d(Str, 'The API version of the resource; "*" means all.'),
  resource: d(Str, 'One of the existing resource types; "*" means all.'),
  subresource: d(Str, 'One of the existing subresources; "" means none.'),
  name: d(Str, 'The name of the resource being requested for a get or deleted for a delete; "" means all.'),
  fieldSelector: d(FieldSelectorAttributes, "The field selector of a list or watch being asked about."),
  labelSelector: d(LabelSelectorAttributes, "The label selector of a list or watch being asked about."),
}).annotations({ documentation: "The attributes of a request on a resource, as an authorizer sees it." });

export const NonResourceAttributes = Schema.Struct({
  path: d(Str, "The URL path of the request."),
  verb: d(Str, "The standard HTTP verb."),
}).annotations({ documentation: "The attributes of a request to a URL that is not a resource (/healthz, /version, ...)." });

const AccessReviewStatus = Schema.Struct({
  allowed: d(Schema.Boolean, "Whether the action would be allowed."),
  denied: d(Schema.Boolean, "Whether the action would be denied (an explicit no, as opposed to no opinion)."),
  reason: d(Str, "Why the action is allowed or denied."),
  evaluationError: d(Str, "An error the authorizer met while deciding; it may still have decided."),
});

const SelfAccessSpec = Schema.Struct({
  resourceAttributes: d(ResourceAttributes, "The request on a resource to ask about."),
  nonResourceAttributes: d(NonResourceAttributes, "The request on a non-resource URL to ask about."),
});
const AccessSpec = Schema.Struct({
  ...SelfAccessSpec.fields,
  user: d(Str, "The user to ask about."),
  groups: d(Strings, "The groups to ask about."),
  extra: d(Schema.Record({ key: Str, value: Strings }), "Extra attributes of the user, as the authenticator gave them."),
  uid: d(Str, "The UID of the user to ask about."),
});

export const SelfSubjectAccessReview = Schema.Struct({
  ...objectFields,
  spec: dr(SelfAccessSpec, "The action to ask about; exactly one of resourceAttributes and nonResourceAttributes."),
  status: d(AccessReviewStatus, "The answer, filled in by the server."),
}).annotations({ documentation: "Asks whether the requesting user may perform an action (kubectl auth can-i)." });

export const SubjectAccessReview = Schema.Struct({
  ...objectFields,
  spec: dr(AccessSpec, "The user and the action to ask about."),
  status: d(AccessReviewStatus, "The answer, filled in by the server."),
}).annotations({ documentation: "Asks whether a given user or group may perform an action." });

export const LocalSubjectAccessReview = Schema.Struct({
  ...objectFields,
  spec: dr(AccessSpec, "The user and the action to ask about; the action must be in the review's namespace."),
  status: d(AccessReviewStatus, "The answer, filled in by the server."),
}).annotations({ documentation: "A SubjectAccessReview scoped to one namespace." });

export const SelfSubjectRulesReview = Schema.Struct({
  ...objectFields,
  spec: dr(Schema.Struct({ namespace: d(Str, "The namespace to list the rules of.") }), "The namespace to ask about."),
  status: d(
    Schema.Struct({
      resourceRules: d(
        Schema.Array(Schema.Struct({ verbs: Strings, apiGroups: Schema.optional(Strings), resources: Schema.optional(Strings), resourceNames: Schema.optional(Strings) })),
        "What the user may do on resources.",
      ),
      nonResourceRules: d(Schema.Array(Schema.Struct({ verbs: Strings, nonResourceURLs: Schema.optional(Strings) })), "What the user may do on non-resource URLs."),
      incomplete: d(Schema.Boolean, "True when the list is known to be incomplete."),
      evaluationError: d(Str, "An error met while listing the rules."),
    }),
    "The rules, filled in by the server.",
  ),
}).annotations({ documentation: "Lists what the requesting user may do in a namespace (kubectl auth can-i --list)." });

export const UserInfo = Schema.Struct({
  username: d(Str, "The name that uniquely identifies this user among all active users."),
  uid: d(Str, "A unique value that identifies this user across time."),
  groups: d(Strings, "The names of groups this user is a part of."),
  extra: d(Schema.Record({ key: Str, value: Strings }), "Any additional information provided by the authenticator."),
});

export const SelfSubjectReview = Schema.Struct({
  ...objectFields,
  status: d(Schema.Struct({ userInfo: d(UserInfo, "The user the request was authenticated as.") }), "Filled in by the server."),
}).annotations({ documentation: "Tells the requesting user who the server thinks they are (kubectl auth whoami)." });
