/**
 * The subject catalogue: every subject kubeactor uses, with the one schema
 * its messages must decode with. docs/subjects.md is generated from this list
 * (`npm run docs:subjects`), so it cannot drift.
 */
import * as Schema from "effect/Schema";
import { eventSubject, requestSubject } from "./define.ts";
import { nodeInject, nodeLogs, nodeStats, nodeStream, podLogCancel, podLogStream, podStreamIn, podStreamOut } from "./subjects/node.ts";
import { schedulerCycle } from "./subjects/scheduler.ts";
import { inspectAnnounce, inspectSubject } from "./subjects/inspect.ts";

export * from "./subjects/node.ts";
export * from "./subjects/scheduler.ts";
export * from "./subjects/inspect.ts";

/** Any Kubernetes object as JSON; its own schema is checked by the API server, not the bus. */
export const JsonObject = Schema.Record({ key: Schema.String, value: Schema.Unknown });
export type JsonObject = typeof JsonObject.Type;

export const WatchEventType = Schema.Literal("ADDED", "MODIFIED", "DELETED");
export type WatchEventType = typeof WatchEventType.Type;

/** One committed change, as the store publishes it and watchers replay it. */
export const ChangeEvent = Schema.Struct({
  type: WatchEventType,
  /** Store key `/<group>/<resource>/<namespace>/<name>` (core group written `core`). */
  key: Schema.String,
  revision: Schema.Number,
  object: JsonObject,
});
export type ChangeEvent = typeof ChangeEvent.Type;

const Key = Schema.Struct({ key: Schema.String });
const ObjectReply = Schema.Struct({ object: JsonObject });

export const storeCreate = requestSubject({
  pattern: "kube.store.create",
  example: `nats request kube.store.create '{"key":"/core/configmaps/default/demo","object":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"demo","namespace":"default"},"data":{"k":"v"}}}'`,
  description: "Create an object; fails AlreadyExists (409) when the key exists. The reply carries the stored object with its resourceVersion.",
  publishers: ["apiserver"],
  subscribers: ["store (queue group store)"],
  request: Schema.Struct({ key: Schema.String, object: JsonObject }),
  response: ObjectReply,
});

export const storeGet = requestSubject({
  pattern: "kube.store.get",
  example: `nats request kube.store.get '{"key":"/core/configmaps/default/demo"}'`,
  description: "Read one object at the latest revision; NotFound (404) when absent.",
  publishers: ["apiserver"],
  subscribers: ["store (queue group store)"],
  request: Key,
  response: ObjectReply,
});

export const storeUpdate = requestSubject({
  pattern: "kube.store.update",
  example: `nats request kube.store.update '{"key":"/core/configmaps/default/demo","resourceVersion":"42","object":{"metadata":{"name":"demo","namespace":"default"},"data":{"k":"v2"}}}'`,
  description: "Replace an object. With resourceVersion it is a compare-and-swap: Conflict (409) when the stored version differs.",
  publishers: ["apiserver"],
  subscribers: ["store (queue group store)"],
  request: Schema.Struct({ key: Schema.String, object: JsonObject, resourceVersion: Schema.optional(Schema.String) }),
  response: ObjectReply,
});

export const storeDelete = requestSubject({
  pattern: "kube.store.delete",
  example: `nats request kube.store.delete '{"key":"/core/configmaps/default/demo"}'`,
  description: "Remove an object, optionally only if its uid and/or resourceVersion match (Conflict otherwise). The reply is the last state.",
  publishers: ["apiserver"],
  subscribers: ["store (queue group store)"],
  request: Schema.Struct({
    key: Schema.String,
    precondition: Schema.optional(Schema.Struct({ uid: Schema.optional(Schema.String), resourceVersion: Schema.optional(Schema.String) })),
  }),
  response: ObjectReply,
});

export const storeList = requestSubject({
  pattern: "kube.store.list",
  example: `nats request kube.store.list '{"prefix":"/core/configmaps/default/","group":"","resource":"configmaps","limit":10,"labelSelector":"app=web"}'`,
  description:
    "List objects under a key prefix, filtered by label and field selectors, at a revision (default: latest). With limit, `continue` pages stay consistent at the first page's revision; a compacted revision fails Expired (410).",
  publishers: ["apiserver"],
  subscribers: ["store (queue group store)"],
  request: Schema.Struct({
    prefix: Schema.String,
    group: Schema.String,
    resource: Schema.String,
    revision: Schema.optional(Schema.Number),
    limit: Schema.optional(Schema.Number),
    continue: Schema.optional(Schema.String),
    labelSelector: Schema.optional(Schema.String),
    fieldSelector: Schema.optional(Schema.String),
  }),
  response: Schema.Struct({
    items: Schema.Array(JsonObject),
    revision: Schema.Number,
    continue: Schema.optional(Schema.String),
    remainingItemCount: Schema.optional(Schema.Number),
  }),
});

export const storeHistory = requestSubject({
  pattern: "kube.store.history",
  example: `nats request kube.store.history '{"prefix":"/core/configmaps/","afterRevision":0,"limit":100}'`,
  description:
    "Replay committed changes under a prefix after a revision, oldest first, at most `limit` per reply (`more` says ask again). Expired (410) when the revision has been compacted. Watchers subscribe to kube.watch first, then catch up with this.",
  publishers: ["apiserver"],
  subscribers: ["store (queue group store)"],
  request: Schema.Struct({ prefix: Schema.String, afterRevision: Schema.Number, limit: Schema.Number }),
  response: Schema.Struct({ events: Schema.Array(ChangeEvent), more: Schema.Boolean, revision: Schema.Number }),
});

export const storeStatus = requestSubject({
  pattern: "kube.store.status",
  example: `nats request kube.store.status '{}'`,
  description: "The store's lifecycle phase and current revision; the API server's /readyz asks it.",
  publishers: ["apiserver", "kubeactor"],
  subscribers: ["store"],
  request: Schema.Struct({}),
  response: Schema.Struct({
    phase: Schema.String,
    revision: Schema.Number,
    oldestRevision: Schema.Number,
    objects: Schema.Number,
    backend: Schema.String,
  }),
});

export const ApiVerb = Schema.Literal("create", "get", "list", "update", "updateStatus", "delete", "deletecollection", "patch", "bind");
export type ApiVerb = typeof ApiVerb.Type;

export const apiRequest = requestSubject({
  pattern: "kube.api.request",
  example: `nats request kube.api.request '{"verb":"create","group":"","version":"v1","resource":"configmaps","namespace":"default","body":{"metadata":{"name":"demo"},"data":{"k":"v"}}}'`,
  description:
    "The Kubernetes API on the bus, with the same semantics as the REST API (defaulting, validation, admission, generation, finalizers): what controllers, the scheduler and kubelets use to write. `query` carries the REST query parameters (dryRun, labelSelector, ...); `contentType` selects the patch type for verb patch.",
  publishers: ["controller-manager", "scheduler", "kubelet", "any NATS client"],
  subscribers: ["apiserver (queue group apiserver)"],
  request: Schema.Struct({
    verb: ApiVerb,
    group: Schema.String,
    version: Schema.String,
    resource: Schema.String,
    namespace: Schema.optional(Schema.String),
    name: Schema.optional(Schema.String),
    subresource: Schema.optional(Schema.String),
    body: Schema.optional(JsonObject),
    query: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String })),
    contentType: Schema.optional(Schema.String),
  }),
  response: Schema.Struct({ object: JsonObject }),
});

export const watchChange = eventSubject({
  pattern: "kube.watch.{group}.{resource}.{namespace}.{name}",
  example: `nats sub 'kube.watch._.configmaps.default.>'`,
  description:
    "Every committed change, published by the store after it is durable, in revision order. The core group's token is `_`, as is a cluster-scoped object's namespace; names are token-encoded (`.` → `~2e`).",
  publishers: ["store"],
  subscribers: ["apiserver (watch streams)"],
  schema: ChangeEvent,
});

export const storeRevision = eventSubject({
  pattern: "kube.store.revision",
  example: `nats sub kube.store.revision`,
  description: "The store's latest committed revision, published every second; watchers turn it into BOOKMARK events.",
  publishers: ["store"],
  subscribers: ["apiserver (watch bookmarks)"],
  schema: Schema.Struct({ revision: Schema.Number }),
});

/** Everything above, in the order docs/subjects.md lists it. */
export const catalogue = {
  storeCreate,
  storeGet,
  storeUpdate,
  storeDelete,
  storeList,
  storeHistory,
  storeStatus,
  apiRequest,
  watchChange,
  storeRevision,
  schedulerCycle,
  nodeInject,
  nodeLogs,
  nodeStats,
  podLogStream,
  podLogCancel,
  nodeStream,
  podStreamIn,
  podStreamOut,
  inspectSubject,
  inspectAnnounce,
} as const;
