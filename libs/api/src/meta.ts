/**
 * meta/v1 wire types: ObjectMeta, TypeMeta, ListMeta, LabelSelector, plus the
 * small shared schemas every resource uses (integers, quantities, IntOrString).
 *
 * Schemas describe Kubernetes' JSON exactly (camelCase, optional fields absent
 * rather than null). `decodeObject` strips JSON nulls first, the way Go's
 * decoder turns them into zero values, and preserves unknown fields.
 */
import * as Schema from "effect/Schema";

/** A JSON integer (Go int32/int64). */
export const Int = Schema.Number.pipe(Schema.int(), Schema.annotations({ identifier: "integer", title: "integer" }));
/** RFC 3339 timestamp text (`2024-01-02T03:04:05Z`); kept as text on the wire. */
export const Time = Schema.String.annotations({ identifier: "string", title: "Time" });
/** A resource.Quantity in JSON: Kubernetes accepts a string or a number; validation checks the syntax. */
export const QuantityJson = Schema.Union(Schema.String, Schema.Number).annotations({ identifier: "string", title: "Quantity" });
/** intstr.IntOrString: `8080` or `"http"` / `"25%"`. */
export const IntOrString = Schema.Union(Int, Schema.String).annotations({ identifier: "string", title: "IntOrString" });
export type IntOrString = typeof IntOrString.Type;
export const StringMap = Schema.Record({ key: Schema.String, value: Schema.String });
export const ResourceList = Schema.Record({ key: Schema.String, value: QuantityJson });
/** An object whose inner shape we do not model (kept verbatim). */
export const Loose = Schema.Record({ key: Schema.String, value: Schema.Unknown });

export const TypeMeta = Schema.Struct({
  apiVersion: Schema.optional(Schema.String),
  kind: Schema.optional(Schema.String),
});
export type TypeMeta = typeof TypeMeta.Type;

export const OwnerReference = Schema.Struct({
  apiVersion: Schema.String,
  kind: Schema.String,
  name: Schema.String,
  uid: Schema.String,
  controller: Schema.optional(Schema.Boolean),
  blockOwnerDeletion: Schema.optional(Schema.Boolean),
});
export type OwnerReference = typeof OwnerReference.Type;

export const ManagedFieldsEntry = Schema.Struct({
  manager: Schema.optional(Schema.String),
  operation: Schema.optional(Schema.String),
  apiVersion: Schema.optional(Schema.String),
  time: Schema.optional(Time),
  fieldsType: Schema.optional(Schema.String),
  fieldsV1: Schema.optional(Loose),
  subresource: Schema.optional(Schema.String),
});
export type ManagedFieldsEntry = typeof ManagedFieldsEntry.Type;

// Types carry their description as a `documentation` annotation (decode errors never print it; OpenAPI does).
export const ObjectMeta = Schema.Struct({
  name: Schema.optional(Schema.String),
  generateName: Schema.optional(Schema.String),
  namespace: Schema.optional(Schema.String),
  /** Deprecated and never set (as in Kubernetes ≥ 1.20), but old manifests still carry it. */
  selfLink: Schema.optional(Schema.String),
  uid: Schema.optional(Schema.String),
  resourceVersion: Schema.optional(Schema.String),
  generation: Schema.optional(Int),
  creationTimestamp: Schema.optional(Time),
  deletionTimestamp: Schema.optional(Time),
  deletionGracePeriodSeconds: Schema.optional(Int),
  labels: Schema.optional(StringMap),
  annotations: Schema.optional(StringMap),
  ownerReferences: Schema.optional(Schema.Array(OwnerReference)),
  finalizers: Schema.optional(Schema.Array(Schema.String)),
  managedFields: Schema.optional(Schema.Array(ManagedFieldsEntry)),
}).annotations({ documentation: "Metadata that every persisted resource has, including those users create." });
export type ObjectMeta = typeof ObjectMeta.Type;

export const ListMeta = Schema.Struct({
  resourceVersion: Schema.optional(Schema.String),
  continue: Schema.optional(Schema.String),
  remainingItemCount: Schema.optional(Int),
  selfLink: Schema.optional(Schema.String),
});
export type ListMeta = typeof ListMeta.Type;

export const LabelSelectorRequirement = Schema.Struct({
  key: Schema.String,
  operator: Schema.String,
  values: Schema.optional(Schema.Array(Schema.String)),
});
export type LabelSelectorRequirement = typeof LabelSelectorRequirement.Type;

export const LabelSelector = Schema.Struct({
  matchLabels: Schema.optional(StringMap),
  matchExpressions: Schema.optional(Schema.Array(LabelSelectorRequirement)),
});
export type LabelSelector = typeof LabelSelector.Type;

/** metav1.Condition (used by newer APIs; apps/core use their own condition shapes). */
export const Condition = Schema.Struct({
  type: Schema.String,
  status: Schema.String,
  observedGeneration: Schema.optional(Int),
  lastTransitionTime: Schema.optional(Time),
  reason: Schema.optional(Schema.String),
  message: Schema.optional(Schema.String),
});

/** The common envelope: apiVersion, kind, metadata. */
export const objectFields = {
  apiVersion: Schema.optional(Schema.String).annotations({
    description: "The versioned schema of this object (group/version, or just the version for the core group). The server converts to the version it serves.",
  }),
  kind: Schema.optional(Schema.String).annotations({ description: "The REST resource this object represents, in CamelCase. Cannot be updated." }),
  metadata: Schema.optional(ObjectMeta).annotations({ description: "Standard object metadata: name, namespace, labels, annotations, owners, finalizers." }),
} as const;

/**
 * An optional field with the description `kubectl explain` prints. The
 * description sits on the property signature, so decode errors are unchanged
 * (the OpenAPI generator in libs/apiserver reads it from there).
 */
export const described = <S extends Schema.Schema.All>(schema: S, description: string) => Schema.optional(schema).annotations({ description });
/** A required field with a description (see `described`). */
export const describedRequired = <S extends Schema.Schema.All>(schema: S, description: string) =>
  Schema.propertySignature(schema).annotations({ description });
