/**
 * The store actor's face on the bus: answers `kube.store.*` requests from a
 * backend, publishes every committed change on `kube.watch.*` (after it is
 * durable, in revision order) and the latest revision on `kube.store.revision`
 * every second, which watchers turn into bookmarks.
 */
import {
  alreadyExists,
  badRequest,
  conflict,
  CONFLICT_STALE,
  expired,
  fieldsOf,
  internalError,
  matchesFields,
  matchesLabels,
  notFound,
  parseFieldSelector,
  parseLabelSelector,
  requestEntityTooLarge,
  serviceUnavailable,
  resources,
} from "@kubeactor/api";
import {
  type Bus,
  type BusSubscription,
  EncodedReply,
  parseStoreKey,
  storeCreate,
  storeDelete,
  storeGet,
  storeHistory,
  storeList,
  storeRevision,
  storeStatus,
  storeUpdate,
  watchChange,
} from "@kubeactor/bus";
import { isStoreError, type JsonChange, type JsonObject, type StoreBackend } from "./engine/types.ts";
import { selectorPrecheck } from "./selector-precheck.ts";

export interface StoreServerOptions {
  readonly bus: Bus;
  readonly backend: StoreBackend;
  /** Reported by kube.store.status: the lifecycle state of the store machine. */
  readonly phase?: () => string;
  readonly backendName?: string;
  readonly revisionTickMs?: number;
}

export interface StoreServer {
  stop(): Promise<void>;
}

/** The largest page the store sends in one reply, whatever the caller asks. */
const MAX_PAGE = 1000;

const resourceOfKey = (key: string) => {
  const k = parseStoreKey(key);
  return k ? { group: k.group, resource: k.resource, name: k.name } : { group: "", resource: "objects", name: key };
};

/** StoreError → the Status Kubernetes' registry would answer with. */
const toStatusError = (e: unknown, key: string): unknown => {
  if (!isStoreError(e)) return e;
  const r = resourceOfKey(key);
  switch (e.code) {
    case "NotFound":
      return notFound(r, r.name);
    case "AlreadyExists":
      return alreadyExists(r, r.name);
    case "Conflict":
      // The engine says "<key>: precondition failed: ..."; Kubernetes says "Precondition failed: ...".
      return conflict(r, r.name, e.message.includes("precondition failed") ? `Precondition failed: ${e.message.split("precondition failed: ")[1]}` : CONFLICT_STALE);
    case "Expired":
      return expired(e.message);
    case "TooLarge":
      return requestEntityTooLarge(e.message);
    case "Closed":
      return serviceUnavailable(`store is not serving: ${e.message}`);
    case "Corrupt":
      return internalError(e.message);
  }
};

const wrap = <T>(key: string, f: () => Promise<T> | T): Promise<T> =>
  Promise.resolve()
    .then(f)
    .catch((e) => {
      throw toStatusError(e, key);
    });

interface ContinueToken {
  readonly rv: number;
  readonly start: string;
}

/** Opaque to clients, like Kubernetes' continue tokens: base64 JSON of the list revision and the last key. */
const encodeContinue = (t: ContinueToken) => Buffer.from(JSON.stringify({ v: "meta.k8s.io/v1", rv: t.rv, start: t.start })).toString("base64url");

const decodeContinue = (token: string): ContinueToken => {
  try {
    const t = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { rv?: unknown; start?: unknown };
    if (typeof t.rv === "number" && typeof t.start === "string") return { rv: t.rv, start: t.start };
  } catch {
    // fall through to the error below
  }
  throw badRequest(`continue key is not valid: ${token}`);
};

const selectorFilter = (group: string, resource: string, labelSelector?: string, fieldSelector?: string) => {
  if (!labelSelector && !fieldSelector) return undefined;
  const labels = labelSelector ? parseLabelSelector(labelSelector) : undefined;
  const fields = fieldSelector ? parseFieldSelector(fieldSelector) : undefined;
  const info = resources.find((r) => r.group === group && r.resource === resource);
  const precheck = selectorPrecheck(labels, fields);
  return {
    filter: (obj: JsonObject) => {
      const meta = (obj.metadata ?? {}) as { labels?: Record<string, string> };
      if (labels && !matchesLabels(labels, meta.labels ?? {})) return false;
      if (fields && !(info ? matchesFields(fields, fieldsOf(info, obj)) : false)) return false;
      return true;
    },
    ...(precheck ? { precheck } : {}),
  };
};

/**
 * Replies and watch messages are spliced around the objects' JSON as the
 * store keeps it: the store never decodes or encodes an object to answer.
 */
const objectReply = (json: string): EncodedReply => new EncodedReply(`{"object":${json}}`);

const changeJson = (e: JsonChange): string => `{"type":"${e.type}","key":${JSON.stringify(e.key)},"revision":${e.revision},"object":${e.objectJson}}`;

export const serveStore = (opts: StoreServerOptions): StoreServer => {
  const { bus, backend } = opts;
  const queue = { queue: "store" };
  const subs: BusSubscription[] = [];

  subs.push(bus.serve(storeCreate, (req) => wrap(req.key, async () => objectReply((await backend.create(req.key, req.object)).objectJson)), queue));
  subs.push(
    bus.serve(
      storeGet,
      (req) =>
        wrap(req.key, () => {
          const json = backend.getJson(req.key);
          if (json !== undefined) return objectReply(json);
          const r = resourceOfKey(req.key);
          throw notFound(r, r.name);
        }),
      queue,
    ),
  );
  subs.push(
    bus.serve(storeUpdate, (req) => wrap(req.key, async () => objectReply((await backend.update(req.key, req.object, req.resourceVersion)).objectJson)), queue),
  );
  subs.push(bus.serve(storeDelete, (req) => wrap(req.key, async () => objectReply((await backend.delete(req.key, req.precondition)).objectJson)), queue));

  subs.push(
    bus.serve(
      storeList,
      (req) =>
        wrap(req.prefix, () => {
          const selected = selectorFilter(req.group, req.resource, req.labelSelector, req.fieldSelector);
          const token = req.continue ? decodeContinue(req.continue) : undefined;
          const limit = req.limit && req.limit > 0 ? Math.min(req.limit, MAX_PAGE) : MAX_PAGE;
          const revision = token?.rv ?? req.revision;
          if (token && token.rv < backend.oldestRevision - 1) {
            throw expired(
              "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.",
            );
          }
          const result = backend.listJson(req.prefix, {
            limit,
            ...(revision !== undefined ? { revision } : {}),
            ...(token ? { continueAfter: token.start } : {}),
            ...selected,
          });
          // A caller that asked for everything gets everything: keep paging internally only when it gave a limit.
          let json = `{"items":[${result.items.join(",")}],"revision":${result.revision}`;
          if (result.lastKey) json += `,"continue":${JSON.stringify(encodeContinue({ rv: result.revision, start: result.lastKey }))}`;
          if (result.lastKey && result.remaining !== undefined) json += `,"remainingItemCount":${result.remaining}`;
          return new EncodedReply(json + "}");
        }),
      queue,
    ),
  );

  subs.push(
    bus.serve(
      storeHistory,
      (req) =>
        wrap(req.prefix, () => {
          const h = backend.historyJson(req.prefix, req.afterRevision, Math.min(Math.max(1, req.limit), MAX_PAGE));
          return new EncodedReply(`{"events":[${h.events.map(changeJson).join(",")}],"more":${h.more},"revision":${h.revision}}`);
        }),
      queue,
    ),
  );

  subs.push(
    bus.serve(storeStatus, () => ({
      phase: opts.phase?.() ?? "Serving",
      revision: backend.revision,
      oldestRevision: backend.oldestRevision,
      objects: backend.stats.objects,
      backend: opts.backendName ?? "file",
    })),
  );

  const unlisten = backend.subscribe((e) => {
    const k = parseStoreKey(e.key);
    if (!k) return;
    const params = { group: k.group, resource: k.resource, namespace: k.namespace, name: k.name };
    bus.publishEncoded(watchChange, params, changeJson(e));
  });

  const tick = setInterval(() => bus.publish(storeRevision, {}, { revision: backend.revision }), opts.revisionTickMs ?? 1000);
  tick.unref();

  return {
    stop: async () => {
      clearInterval(tick);
      unlisten();
      for (const s of subs) s.unsubscribe();
      await bus.transport.flush().catch(() => {});
    },
  };
};
