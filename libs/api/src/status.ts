/**
 * Kubernetes `Status` errors: the one error shape that crosses the bus and the
 * HTTP API. Constructors produce exactly the reason, code and message wording
 * the real API server uses, so kubectl prints what users already know.
 */
import * as Schema from "effect/Schema";

export const StatusCause = Schema.Struct({
  reason: Schema.optional(Schema.String),
  message: Schema.optional(Schema.String),
  field: Schema.optional(Schema.String),
});
export type StatusCause = typeof StatusCause.Type;

export const StatusDetails = Schema.Struct({
  name: Schema.optional(Schema.String),
  group: Schema.optional(Schema.String),
  kind: Schema.optional(Schema.String),
  uid: Schema.optional(Schema.String),
  causes: Schema.optional(Schema.Array(StatusCause)),
  retryAfterSeconds: Schema.optional(Schema.Number),
});

export const Status = Schema.Struct({
  kind: Schema.Literal("Status"),
  apiVersion: Schema.Literal("v1"),
  metadata: Schema.Struct({}),
  status: Schema.Literal("Success", "Failure"),
  message: Schema.optional(Schema.String),
  reason: Schema.optional(Schema.String),
  details: Schema.optional(StatusDetails),
  code: Schema.Number,
});
export type Status = typeof Status.Type;

/** Thrown inside a process when a Status must reach the caller unchanged. */
export class StatusError extends Error {
  readonly _tag = "StatusError";
  constructor(readonly status: Status) {
    super(status.message ?? status.reason ?? "error");
  }
}

export const isStatusError = (e: unknown): e is StatusError =>
  e instanceof StatusError || (typeof e === "object" && e !== null && (e as { _tag?: unknown })._tag === "StatusError");

/** The HTTP code of a failed API call's Status (404, 409, ...); undefined for any other error. */
export const statusCodeOf = (e: unknown): number | undefined => (e as { status?: { code?: number } } | null | undefined)?.status?.code;

/** What a resource is called in messages: `configmaps "x"`, `deployments.apps "web"`. */
export interface QualifiedResource {
  readonly group: string;
  readonly resource: string;
}
const qualified = (r: QualifiedResource) => (r.group === "" ? r.resource : `${r.resource}.${r.group}`);

const failure = (code: number, reason: string, message: string, details?: Status["details"]): Status => ({
  kind: "Status",
  apiVersion: "v1",
  metadata: {},
  status: "Failure",
  message,
  reason,
  ...(details ? { details } : {}),
  code,
});

export const notFound = (r: QualifiedResource, name: string): StatusError =>
  new StatusError(failure(404, "NotFound", `${qualified(r)} "${name}" not found`, { name, group: r.group, kind: r.resource }));

export const alreadyExists = (r: QualifiedResource, name: string): StatusError =>
  new StatusError(failure(409, "AlreadyExists", `${qualified(r)} "${name}" already exists`, { name, group: r.group, kind: r.resource }));

export const conflict = (r: QualifiedResource, name: string, why: string): StatusError =>
  new StatusError(
    failure(409, "Conflict", `Operation cannot be fulfilled on ${qualified(r)} "${name}": ${why}`, { name, group: r.group, kind: r.resource }),
  );

/** The message etcd3-backed Kubernetes gives a stale resourceVersion. */
export const CONFLICT_STALE = "the object has been modified; please apply your changes to the latest version and try again";

export interface FieldCause {
  /** A StatusCause reason: FieldValueRequired, FieldValueInvalid, FieldValueDuplicate, FieldValueNotSupported, FieldValueForbidden, FieldValueTooLong, FieldValueTooMany, FieldValueTypeInvalid. */
  readonly reason: string;
  /** `Invalid value: "X": a lowercase RFC 1123 subdomain ...` — the text after the field path. */
  readonly message: string;
  /** Dotted field path with indices: `spec.template.spec.containers[0].name`. */
  readonly field: string;
}

/**
 * 422 Invalid: `ConfigMap "x" is invalid: metadata.name: Invalid value: ...`
 * (several causes joined as a list). The message names the kind qualified by
 * its group as kube's NewInvalid does (`Deployment.apps "x" is invalid`);
 * details.kind is the bare kind, which kubectl prints ("The Deployment ...").
 */
export const invalid = (kind: string, group: string, name: string, causes: readonly FieldCause[]): StatusError => {
  const parts = causes.map((c) => `${c.field}: ${c.message}`);
  const summary = parts.length === 1 ? parts[0] : `[${parts.join(", ")}]`;
  return new StatusError(
    failure(422, "Invalid", `${group ? `${kind}.${group}` : kind} "${name}" is invalid: ${summary}`, {
      name,
      group,
      kind,
      causes: causes.map((c) => ({ reason: c.reason, message: c.message, field: c.field })),
    }),
  );
};

export const badRequest = (message: string): StatusError => new StatusError(failure(400, "BadRequest", message));

export const forbidden = (r: QualifiedResource, name: string, why: string): StatusError =>
  new StatusError(failure(403, "Forbidden", `${qualified(r)} "${name}" is forbidden: ${why}`, { name, group: r.group, kind: r.resource }));

export const methodNotSupported = (r: QualifiedResource, verb: string): StatusError =>
  new StatusError(failure(405, "MethodNotAllowed", `${verb} is not supported on resources of kind "${qualified(r)}"`, { group: r.group, kind: r.resource }));

/** 405 for a method the resource has no route for (a GET on a create-only kind). */
export const methodNotAllowed = (): StatusError => new StatusError(failure(405, "MethodNotAllowed", "the server does not allow this method on the requested resource"));

export const notAcceptable = (message: string): StatusError => new StatusError(failure(406, "NotAcceptable", message));

export const requestEntityTooLarge = (message: string): StatusError =>
  new StatusError(failure(413, "RequestEntityTooLarge", message));

export const unsupportedMediaType = (contentType: string): StatusError =>
  new StatusError(failure(415, "UnsupportedMediaType", `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`));

/** 410 Gone: a watch or list from a revision that has been compacted away. */
export const expired = (message: string): StatusError => new StatusError(failure(410, "Expired", message));

export const timeout = (message: string): StatusError => new StatusError(failure(504, "Timeout", message));

export const serviceUnavailable = (message: string): StatusError => new StatusError(failure(503, "ServiceUnavailable", message));

export const internalError = (message: string): StatusError =>
  new StatusError(failure(500, "InternalError", `Internal error occurred: ${message}`, { causes: [{ message }] }));

export const success = (details?: Status["details"]): Status => ({
  kind: "Status",
  apiVersion: "v1",
  metadata: {},
  status: "Success",
  ...(details ? { details } : {}),
  code: 200,
});

/** Any thrown value as a Status, so a bug still answers with a Status rather than a dropped request. */
export const toStatus = (e: unknown): Status =>
  isStatusError(e) ? e.status : internalError(e instanceof Error ? e.message : String(e)).status;
