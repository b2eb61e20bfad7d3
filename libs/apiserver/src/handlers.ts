/**
 * The REST verbs on one resource: create, get, list, update (PUT), delete and
 * deletecollection. Handlers return what to send; errors are thrown as
 * StatusError and become Status replies in server.ts.
 */
import {
  apiVersionOf,
  conflict,
  findResource,
  badRequest,
  forbidden,
  isStatusError,
  methodNotSupported,
  notFound,
  parseFieldSelector,
  parseLabelSelector,
  type ResourceInfo,
  SelectorParseError,
  success,
  validateFieldSelector,
} from "@kubeactor/api";
import { type ObjectKey, storeKey } from "@kubeactor/bus";
import type { StoreClient } from "@kubeactor/client";
import { fieldValidationOf, validatePatched } from "./field-validation.ts";
import { awaitRevision, exactListError, revisionChoice } from "./list-options.ts";
import { metaOf, nowTimestamp, type Obj, prepareCreate, prepareUpdate, readyToRemove, type WritePart } from "./objects.ts";
import { applyPatch, isNotFound, type PatchType } from "./patching.ts";
import { deepEqual, recordApply, recordUpdate } from "./apply/index.ts";
import { checkManagerOptions, isForced, writeContext } from "./apply/options.ts";
import { admitPriorityClass, type PriorityClasses, storePriorityClasses } from "./priority.ts";
import { addDefaultTolerations, admitPodPriority, admitRuntimeClass, bindPod, DEFAULT_TOLERATION_SECONDS, type DefaultTolerationSeconds, initialPodStatus, isPods } from "./pods.ts";
import { applyScale, toScale } from "./scale.ts";
import { NamespaceLimitsAdmission } from "./quota-admission.ts";
import { admitClaimResize, admitDefaultStorageClass, isClaims, type StorageClasses, storeStorageClasses } from "./storage-admission.ts";
import { carryAllocatedValues, isServices, ServiceAllocator } from "./services.ts";
import type { ResourceTarget } from "./routes.ts";
import type { WatchCache } from "./watch-cache.ts";
import { RecentWrites } from "./recent-writes.ts";
import { StoredJson } from "./stored-json.ts";

export interface Reply {
  readonly code: number;
  readonly body: unknown;
  /** Field-validation warnings (fieldValidation=Warn), sent as `Warning: 299` headers. */
  readonly warnings?: readonly string[];
}

/**
 * How often a server-side read-modify-write retries a lost compare-and-swap
 * before answering 409. Controllers write status many times a second, so a
 * user's unconditional update or delete must outlast them, as Kubernetes'
 * GuaranteedUpdate does; a write the caller made conditional is never retried.
 */
const MAX_RETRIES = 50;

/** A short, growing, jittered pause between CAS retries, so a busy writer cannot starve us forever. */
const retryPause = (attempt: number): Promise<void> => new Promise((r) => setTimeout(r, Math.random() * Math.min(attempt, 10) * 5));

/** A store write's 409 that only means "someone wrote in between": the whole read-modify-write may run again. */
class LostRace extends Error {
  constructor(readonly conflict: unknown) {
    super("lost a compare-and-swap race");
  }
}

/**
 * Marks the compare-and-swap write of a read-modify-write. Its Conflict is a
 * lost race, retried by `retryOnConflict`, unless the caller named the version
 * (`retryable` false); every other error, and every other 409 (e.g. a pod
 * already bound), passes through untouched.
 */
const cas = <T>(write: Promise<T>, retryable = true): Promise<T> =>
  write.catch((e: unknown) => {
    throw retryable && isStatusError(e) && e.status.reason === "Conflict" ? new LostRace(e) : e;
  });

/** Runs `once` (read, modify, `cas` write) until it wins, at most MAX_RETRIES more times, then answers the 409. */
const retryOnConflict = async <T>(once: () => Promise<T>): Promise<T> => {
  for (let attempt = 0; ; attempt++) {
    try {
      return await once();
    } catch (e) {
      if (!(e instanceof LostRace)) throw e;
      if (attempt >= MAX_RETRIES) throw e.conflict;
      await retryPause(attempt);
    }
  }
};

/** Namespaces that hold the cluster's own objects: Kubernetes refuses to delete them. */
export const PROTECTED_NAMESPACES = new Set(["default", "kube-system", "kube-public"]);

const keyOf = (t: ResourceTarget, name: string): ObjectKey => ({
  group: t.info.group,
  resource: t.info.resource,
  namespace: t.info.namespaced ? t.namespace : "",
  name,
});

const nsResource = { group: "", resource: "namespaces" };
const nsInfo = findResource("", "v1", "namespaces")!;
const scInfo = findResource("storage.k8s.io", "v1", "storageclasses")!;
const pcInfo = findResource("scheduling.k8s.io", "v1", "priorityclasses")!;

export const isDryRun = (q: URLSearchParams): boolean => q.getAll("dryRun").includes("All");

/** Selectors are checked here so a bad one is a 400 naming the text, before the store is asked. */
export const checkSelectors = (info: ResourceInfo, q: URLSearchParams): { labelSelector?: string; fieldSelector?: string } => {
  const labelSelector = q.get("labelSelector") ?? undefined;
  const fieldSelector = q.get("fieldSelector") ?? undefined;
  try {
    if (labelSelector) parseLabelSelector(labelSelector);
    if (fieldSelector) {
      const problem = validateFieldSelector(info, parseFieldSelector(fieldSelector));
      if (problem) throw badRequest(problem);
    }
  } catch (e) {
    if (e instanceof SelectorParseError) throw badRequest(e.message);
    throw e;
  }
  return { ...(labelSelector ? { labelSelector } : {}), ...(fieldSelector ? { fieldSelector } : {}) };
};

export class ResourceHandlers {
  readonly services: ServiceAllocator;
  /**
   * Objects as this server last wrote them, for the kinds rewritten in chains
   * of conditional updates: a write conditional on that version skips the
   * store read (see `known`). Pods: a kubelet's status writes during a
   * start, so a few seconds of them. Leases: every node renews its own every
   * 10 s (500 a second at 5000 nodes), so all of them, half a KiB each.
   */
  private readonly recentPods = new RecentWrites({ maxEntries: 1024, maxAgeMs: 5000 });
  private readonly recentLeases = new RecentWrites({ maxEntries: 100_000 });
  private recentFor(info: ResourceInfo): RecentWrites | undefined {
    if (isPods(info)) return this.recentPods;
    return info.group === "coordination.k8s.io" && info.resource === "leases" ? this.recentLeases : undefined;
  }

  constructor(
    private readonly store: StoreClient,
    private readonly tolerationSeconds: DefaultTolerationSeconds = DEFAULT_TOLERATION_SECONDS,
    services?: ServiceAllocator,
    /** Serves LISTs from memory where it can (see watch-cache.ts); without it every LIST asks the store. */
    private readonly cache?: WatchCache,
  ) {
    this.services = services ?? new ServiceAllocator(store);
  }

  /** A Service write that allocates runs alone, so two Services cannot take the same IP or port. */
  private serviceWrite<T>(t: ResourceTarget, part: string, write: () => Promise<T>): Promise<T> {
    return isServices(t.info) && part === "main" ? this.services.serialize(write) : write();
  }

  /**
   * NamespaceLifecycle admission: no new objects in a missing or terminating
   * namespace. `lookup` is the namespace read, started by the caller before it
   * prepares the object so the two overlap (its failure surfaces only here).
   */
  private async admitNamespace(t: ResourceTarget, name: string, lookup: Promise<Obj> | undefined): Promise<void> {
    if (!lookup) return;
    let ns: Obj;
    try {
      ns = await lookup;
    } catch (e) {
      if (isStatusError(e) && e.status.code === 404) throw notFound(nsResource, t.namespace);
      throw e;
    }
    if (metaOf(ns).deletionTimestamp) {
      throw forbidden(t.info, name, `unable to create new content in namespace ${t.namespace} because it is being terminated`);
    }
  }

  /**
   * The namespace for NamespaceLifecycle, as kube-apiserver's plugin reads it:
   * from the watch cache's lister (no store round trip per create) when it
   * holds the namespace active, else live from the store (a namespace just
   * created, or terminating: the answer that refuses must be current). A
   * namespace write through this server makes the next lookup sync the cache
   * first, so `kubectl delete ns x` then a create in x is always refused.
   */
  private async namespace(name: string): Promise<Obj> {
    const key = { group: "", resource: "namespaces", namespace: "", name };
    const cached = (await this.cache?.lister(nsInfo))?.get(storeKey(key));
    if (cached && !metaOf(cached).deletionTimestamp) return cached;
    return this.store.get(key);
  }

  /** PriorityClasses for the Priority admission plugin: from the watch cache's lister, else the store. */
  private readonly priorityClasses: PriorityClasses = {
    get: async (name) => {
      const lister = await this.cache?.lister(pcInfo);
      if (!lister) return storePriorityClasses(this.store).get(name);
      return lister.get(storeKey({ group: pcInfo.group, resource: pcInfo.resource, namespace: "", name }));
    },
    list: async () => (await this.cache?.lister(pcInfo))?.list() ?? storePriorityClasses(this.store).list(),
  };

  /** StorageClasses for the DefaultStorageClass admission plugin: from the watch cache's lister, else the store. */
  private readonly storageClasses: StorageClasses = {
    list: async () => (await this.cache?.lister(scInfo))?.list() ?? storeStorageClasses(this.store).list(),
  };

  /** LimitRanger and ResourceQuota admission, reading LimitRanges and quotas through the watch cache when there is one. */
  private readonly namespaceLimits = new NamespaceLimitsAdmission(() => this.store, {
    list: async (info, namespace) => {
      const lister = await this.cache?.lister(info);
      if (!lister) return (await this.store.listAll({ group: info.group, resource: info.resource, namespace })).items as Obj[];
      return lister.list().filter((o) => metaOf(o as Obj).namespace === namespace) as Obj[];
    },
    tracked: (info, write) => (this.cache ? this.cache.trackWrite(info, write) : write()),
  });

  /** A write to the resource, known to the watch cache (see WatchCache.lister). */
  private tracked<T>(t: ResourceTarget, write: () => Promise<T>): Promise<T> {
    return this.cache ? this.cache.trackWrite(t.info, write) : write();
  }

  /** POST: `userAgent` names the field manager when the request gives no `fieldManager`. */
  async create(t: ResourceTarget, body: Obj, q: URLSearchParams, userAgent?: string): Promise<Reply> {
    checkManagerOptions(q, "CreateOptions", false);
    const ctx = writeContext(t.info, q, userAgent);
    return this.createObject(t, body, q, (obj) => recordUpdate(undefined, obj, ctx));
  }

  /** A create whose managedFields `manage` records (an Update by the writer, or the result of an apply). */
  private async createObject(t: ResourceTarget, body: Obj, q: URLSearchParams, manage: (obj: Obj) => Obj): Promise<Reply> {
    if (t.name !== undefined) throw methodNotSupported(t.info, "create");
    const generated = !metaOf(body as Obj).name && !!metaOf(body as Obj).generateName;
    // A generated name may collide; Kubernetes' clients expect the server to try again.
    for (let attempt = 0; ; attempt++) {
      const namespace = t.info.namespaced ? this.namespace(t.namespace) : undefined;
      namespace?.catch(() => {}); // awaited (and reported) by admitNamespace unless preparing fails first
      // Field ownership is recorded before the pod admission defaults, as Kubernetes' handler does.
      const obj = manage(prepareCreate(t.info, body, t.namespace)); // prepareCreate works on a copy: `body` serves every attempt
      if (isPods(t.info)) {
        addDefaultTolerations(obj, this.tolerationSeconds);
        initialPodStatus(obj);
        await admitPodPriority(this.priorityClasses, obj);
      }
      if (isClaims(t.info)) await admitDefaultStorageClass(this.storageClasses, obj);
      const name = metaOf(obj).name!;
      await this.admitWrite(t, obj, "create");
      await this.admitNamespace(t, name, namespace);
      if (isPods(t.info)) await admitRuntimeClass(this.store, t.info, name, obj);
      await this.namespaceLimits.admitCreate(t.info, obj, isDryRun(q));
      const write = async (): Promise<Reply> => {
        if (isServices(t.info)) await this.services.allocateCreate(obj);
        if (isDryRun(q)) return { code: 201, body: obj };
        // The reply is the store's text of the object, relayed to the client as is (see stored-json.ts).
        return { code: 201, body: new StoredJson(await this.store.createJson(keyOf(t, name), obj)) };
      };
      try {
        return await this.tracked(t, () => this.serviceWrite(t, "main", write));
      } catch (e) {
        if (generated && attempt < MAX_RETRIES && isStatusError(e) && e.status.reason === "AlreadyExists") continue;
        throw e;
      }
    }
  }

  /** Admission that reads other objects: only one globalDefault PriorityClass (create, update, patch); a claim grows only if its class allows expansion (update, patch); LimitRanger and ResourceQuota for Services and claims (update, patch; see quota-admission.ts). */
  private async admitWrite(t: ResourceTarget, obj: Obj, operation: "create" | "update", old?: Obj, dryRun = false): Promise<void> {
    if (t.info.group === pcInfo.group && t.info.resource === pcInfo.resource) await admitPriorityClass(this.priorityClasses, obj, operation);
    if (old && isClaims(t.info)) await admitClaimResize(this.storageClasses, obj, old);
    if (old) await this.namespaceLimits.admitUpdate(t.info, obj, old, dryRun);
  }

  /**
   * POST pods/{name}/binding: place the pod on a node (the scheduler's write).
   * When the watch cache holds the pod, its copy is bound and written with a
   * compare-and-swap on its resourceVersion: one store round trip instead of
   * a read and a write. If that copy is stale (the write conflicts, the pod
   * is gone) or refuses the binding, the store's current pod decides, as
   * before, so every answer (409 already bound, 404, 400) is the store's.
   */
  async bind(t: ResourceTarget, name: string, binding: Obj, q: URLSearchParams): Promise<Reply> {
    const key = keyOf(t, name);
    const cached = isDryRun(q) ? undefined : this.cache?.peek(t.info, storeKey(key));
    if (cached) {
      let bound: Obj | undefined;
      try {
        bound = bindPod(cached, binding);
      } catch {
        bound = undefined; // perhaps stale: the current pod gives the answer
      }
      if (bound) {
        try {
          this.recentPods.remember(storeKey(key), await this.tracked(t, () => this.store.update(key, bound, metaOf(cached).resourceVersion)));
          return { code: 201, body: success() };
        } catch (e) {
          if (!(isStatusError(e) && (e.status.reason === "Conflict" || e.status.code === 404))) throw e;
        }
      }
    }
    return this.tracked(t, () => retryOnConflict(async () => {
      const current = await this.store.get(key);
      const bound = bindPod(current, binding);
      if (isDryRun(q)) return { code: 201, body: success() };
      this.recentPods.remember(storeKey(key), await cas(this.store.update(key, bound, metaOf(current).resourceVersion)));
      return { code: 201, body: success() };
    }));
  }

  /**
   * PATCH of the object (`main`), its `status` or its `scale`. A patch that
   * names a resourceVersion is conditional on it; otherwise races are retried.
   * Server-side apply of an absent object creates it (201).
   */
  async patch(
    t: ResourceTarget,
    name: string,
    type: PatchType,
    patch: unknown,
    q: URLSearchParams,
    part: WritePart | "scale",
    userAgent?: string,
    patchIssues: readonly string[] = [],
  ): Promise<Reply> {
    const key = keyOf(t, name);
    const isApply = type === "application/apply-patch+yaml";
    checkManagerOptions(q, "PatchOptions", isApply);
    const ctx = writeContext(t.info, q, userAgent, part === "main" ? undefined : part);
    const validation = fieldValidationOf(q, "PatchOptions");
    let warnings: string[] = [];
    const reply = await this.tracked(t, () => retryOnConflict(async (): Promise<Reply> => {
      let current: Obj;
      try {
        current = await this.store.get(key);
      } catch (e) {
        if (isNotFound(e) && isApply && part === "main") {
          const config = structuredClone(patch) as Obj;
          metaOf(config).name ??= name;
          warnings = validatePatched(t.info, config, validation, patchIssues);
          const { object } = recordApply(undefined, config, isForced(q), ctx);
          return this.createObject({ ...t, name: undefined } as ResourceTarget, object, q, (obj) => obj);
        }
        throw e;
      }
      const currentRv = metaOf(current).resourceVersion;
      let obj: Obj;
      let wantedRv: string | undefined;
      if (part === "scale") {
        const scale = applyPatch(type, toScale(current), patch, "Scale");
        const { next, resourceVersion } = applyScale(current, scale);
        wantedRv = resourceVersion !== currentRv ? resourceVersion : undefined;
        obj = recordUpdate(current, prepareUpdate(t.info, next, current, "main"), ctx);
      } else if (isApply) {
        const config = structuredClone(patch) as Obj;
        warnings = validatePatched(t.info, config, validation, patchIssues);
        const { object } = recordApply(current, config, isForced(q), ctx);
        // Nothing changed, not even ownership: Kubernetes skips the write (same resourceVersion).
        if (deepEqual(object, current)) return { code: 200, body: current };
        const rv = metaOf(object).resourceVersion;
        wantedRv = rv !== currentRv ? rv : undefined;
        obj = prepareUpdate(t.info, object, current, part);
      } else {
        const patched = applyPatch(type, structuredClone(current) as Obj, patch, t.info.kind);
        if (isServices(t.info) && part === "main") carryAllocatedValues(patched, current);
        warnings = validatePatched(t.info, patched, validation, patchIssues);
        const rv = metaOf(patched).resourceVersion;
        wantedRv = rv !== currentRv ? rv : undefined;
        obj = recordUpdate(current, prepareUpdate(t.info, patched, current, part), ctx);
      }
      if (part === "main") await this.admitWrite(t, obj, "update", current, isDryRun(q));
      const present = (o: Obj) => (part === "scale" ? toScale(o) : o);
      const retryable = !wantedRv;
      return this.serviceWrite(t, part, async () => {
        if (isServices(t.info) && part === "main") await this.services.allocateUpdate(obj, current);
        if (isDryRun(q)) return { code: 200, body: present(obj) };
        if (readyToRemove(obj)) return { code: 200, body: await cas(this.store.delete(key, { resourceVersion: (wantedRv ?? currentRv)! }), retryable) };
        if (part === "scale") return { code: 200, body: present(await cas(this.store.update(key, obj, wantedRv ?? currentRv), retryable)) };
        return { code: 200, body: new StoredJson(await cas(this.store.updateJson(key, obj, wantedRv ?? currentRv), retryable)) };
      });
    }));
    return warnings.length ? { ...reply, warnings } : reply;
  }

  async getScale(t: ResourceTarget, name: string): Promise<Reply> {
    return { code: 200, body: toScale(await this.store.get(keyOf(t, name))) };
  }

  /** PUT .../scale: change spec.replicas only, through the same update strategy as a full PUT. */
  async updateScale(t: ResourceTarget, name: string, scale: Obj, q: URLSearchParams, userAgent?: string): Promise<Reply> {
    const key = keyOf(t, name);
    checkManagerOptions(q, "UpdateOptions", false);
    const ctx = writeContext(t.info, q, userAgent, "scale");
    return this.tracked(t, () => retryOnConflict(async () => {
      const current = await this.store.get(key);
      const { next, resourceVersion } = applyScale(current, scale);
      const obj = recordUpdate(current, prepareUpdate(t.info, next, current, "main"), ctx);
      if (isDryRun(q)) return { code: 200, body: toScale(obj) };
      return { code: 200, body: toScale(await cas(this.store.update(key, obj, resourceVersion ?? metaOf(current).resourceVersion), !resourceVersion)) };
    }));
  }

  /**
   * GET. As kube-apiserver: a GET without resourceVersion reads the store;
   * with "0" (any revision will do) it is served from the watch cache when
   * the resource is cached, else the store. `relay`: the caller only sends
   * the body to the client, so the store's text may stand for the object.
   */
  async get(t: ResourceTarget, name: string, q?: URLSearchParams, relay = false): Promise<Reply> {
    const rv = q?.get("resourceVersion") ?? "";
    if (this.cache && q && rv === "0") {
      const cached = await this.cache.get(t.info, storeKey(keyOf(t, name)), rv === "0");
      if (cached === null) throw notFound(t.info, name);
      if (cached) return { code: 200, body: cached };
    }
    if (relay) return { code: 200, body: new StoredJson(await this.store.getJson(keyOf(t, name))) };
    return { code: 200, body: await this.store.get(keyOf(t, name)) };
  }

  async list(t: ResourceTarget, q: URLSearchParams): Promise<Reply> {
    const selectors = checkSelectors(t.info, q);
    const limit = Number(q.get("limit") ?? "0");
    if (!Number.isInteger(limit) || limit < 0) throw badRequest(`invalid limit: ${q.get("limit")}`);
    const choice = revisionChoice(q, false);
    if (this.cache && "latest" in choice && !q.get("continue")) {
      const cached = await this.cache.list(t.info, {
        ...(t.namespace ? { namespace: t.namespace } : {}),
        ...selectors,
        limit,
        anyRevision: q.get("resourceVersion") === "0",
      });
      if (cached) return { code: 200, body: cached };
    }
    if ("notOlderThan" in choice) await awaitRevision(this.store, choice.notOlderThan);
    const page = await this.store
      .listPage({
        group: t.info.group,
        resource: t.info.resource,
        ...(t.namespace ? { namespace: t.namespace } : {}),
        ...(limit > 0 ? { limit } : {}),
        ...(q.get("continue") ? { continue: q.get("continue")! } : {}),
        ...("exact" in choice ? { revision: choice.exact } : {}),
        ...selectors,
      })
      .catch(async (e: unknown) => {
        throw "exact" in choice ? await exactListError(this.store, choice.exact, e) : e;
      });
    let items = [...page.items];
    let cont = page.continue;
    // Without a limit the caller wants everything: follow the store's pages.
    while (limit === 0 && cont) {
      const next = await this.store.listPage({
        group: t.info.group,
        resource: t.info.resource,
        ...(t.namespace ? { namespace: t.namespace } : {}),
        continue: cont,
        ...selectors,
      });
      items = items.concat(next.items);
      cont = next.continue;
    }
    return {
      code: 200,
      body: {
        kind: t.info.listKind,
        apiVersion: apiVersionOf(t.info),
        metadata: {
          resourceVersion: String(page.revision),
          ...(cont ? { continue: cont } : {}),
          ...(cont && page.remainingItemCount !== undefined ? { remainingItemCount: page.remainingItemCount } : {}),
        },
        items,
      },
    };
  }

  /**
   * PUT of the object or its status. `relay`: the caller only sends the body
   * to the client, so the store's text of the result may stand for it (see
   * stored-json.ts); otherwise the body is the decoded object.
   */
  async update(t: ResourceTarget, name: string, body: Obj, q: URLSearchParams, part: WritePart, userAgent?: string, relay = false): Promise<Reply> {
    const key = keyOf(t, name);
    const wanted = metaOf(body).resourceVersion;
    checkManagerOptions(q, "UpdateOptions", false);
    const ctx = writeContext(t.info, q, userAgent, part === "main" ? undefined : part);
    const recent = this.recentFor(t.info);
    // Without a resourceVersion in the body the update is unconditional: retry on races.
    return this.tracked(t, () => retryOnConflict(async () => {
      const current = (wanted && recent && !isDryRun(q) && this.known(t, key, wanted, recent)) || (await this.store.get(key));
      // prepareUpdate decodes a copy of the body; only the Service allocator's carry-over writes into it.
      const input = isServices(t.info) && part === "main" ? structuredClone(body) : body;
      if (isServices(t.info) && part === "main") carryAllocatedValues(input, current);
      const obj = recordUpdate(current, prepareUpdate(t.info, input, current, part), ctx);
      const rv = wanted ?? metaOf(current).resourceVersion;
      if (wanted) metaOf(obj).resourceVersion = wanted;
      if (part === "main") await this.admitWrite(t, obj, "update", current, isDryRun(q));
      return this.serviceWrite(t, part, async () => {
        if (isServices(t.info) && part === "main") await this.services.allocateUpdate(obj, current);
        if (isDryRun(q)) return { code: 200, body: obj };
        if (readyToRemove(obj)) {
          recent?.forget(storeKey(key));
          const removed = await cas(this.store.delete(key, { resourceVersion: rv!, ...(metaOf(current).uid ? { uid: metaOf(current).uid! } : {}) }), !wanted);
          return { code: 200, body: removed };
        }
        try {
          if (!relay) {
            const written = await cas(this.store.update(key, obj, rv), !wanted);
            recent?.remember(storeKey(key), written);
            return { code: 200, body: written };
          }
          const json = await cas(this.store.updateJson(key, obj, rv), !wanted);
          recent?.remember(storeKey(key), JSON.parse(Buffer.from(json.buffer, json.byteOffset, json.byteLength).toString("utf8")) as Obj);
          return { code: 200, body: new StoredJson(json) };
        } catch (e) {
          recent?.forget(storeKey(key));
          throw e;
        }
      });
    }));
  }

  /**
   * The pod or lease as it is at `resourceVersion`, without a store read, when
   * this server knows it: the watch cache's copy, else this server's own last
   * write of it (recent-writes.ts). A write conditional on that version
   * then needs only the store's compare-and-swap, as kube-apiserver's
   * GuaranteedUpdate does from its cached object; if the store has moved
   * on, the swap fails with the same 409 a read first would have led to.
   */
  private known(t: ResourceTarget, key: ObjectKey, resourceVersion: string, recent: RecentWrites): Obj | undefined {
    const k = storeKey(key);
    const cached = this.cache?.peek(t.info, k);
    if (cached && metaOf(cached).resourceVersion === resourceVersion) return cached;
    return recent.at(k, resourceVersion);
  }

  /**
   * DELETE: objects with finalizers, namespaces and pods on a node are only
   * marked (deletionTimestamp); the controllers or kubelet finish the job.
   * Everything else is removed at once.
   */
  async delete(t: ResourceTarget, name: string, options: Obj, q: URLSearchParams): Promise<Reply> {
    const key = keyOf(t, name);
    if (t.info.group === "" && t.info.resource === "namespaces" && PROTECTED_NAMESPACES.has(name)) {
      throw forbidden(t.info, name, "this namespace may not be deleted");
    }
    const pre = (options.preconditions ?? {}) as { uid?: string; resourceVersion?: string };
    const policy = options.propagationPolicy as string | undefined;
    if (policy !== undefined && !["Background", "Foreground", "Orphan"].includes(policy)) {
      throw badRequest(`propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`);
    }
    const orphan = policy === "Orphan" || options.orphanDependents === true;
    return this.tracked(t, () => retryOnConflict(async () => {
      const current = await this.store.get(key);
      const meta = metaOf(current);
      if (pre.uid && pre.uid !== meta.uid) {
        throw conflictPrecondition(t, name, `the UID in the precondition (${pre.uid}) does not match the UID in record (${meta.uid}). The object might have been deleted and then recreated`);
      }
      if (pre.resourceVersion && pre.resourceVersion !== meta.resourceVersion) {
        throw conflictPrecondition(t, name, `the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ResourceVersion in record (${meta.resourceVersion}). The object might have been modified`);
      }
      const marked = markForDeletion(t.info, current, options, policy, orphan);
      // kubectl delete --dry-run=server sends dryRun in the DeleteOptions body, not the query
      const dryRun = isDryRun(q) || (Array.isArray(options.dryRun) && options.dryRun.includes("All"));
      if (dryRun) return { code: 200, body: marked ?? current };
      const retryable = !pre.resourceVersion;
      if (marked && !readyToRemove(marked)) {
        return { code: 200, body: await cas(this.store.update(key, marked, meta.resourceVersion), retryable) };
      }
      const removed = await cas(this.store.delete(key, { uid: meta.uid!, resourceVersion: meta.resourceVersion! }), retryable);
      return { code: 200, body: deletedReply(t.info, removed) };
    }));
  }

  async deleteCollection(t: ResourceTarget, options: Obj, q: URLSearchParams): Promise<Reply> {
    const selectors = checkSelectors(t.info, q);
    const { items, revision } = await this.store.listAll({
      group: t.info.group,
      resource: t.info.resource,
      ...(t.namespace ? { namespace: t.namespace } : {}),
      ...selectors,
    });
    for (const item of items) {
      const name = metaOf(item).name!;
      const target = { ...t, namespace: metaOf(item).namespace ?? "" };
      try {
        await this.delete(target, name, options, q);
      } catch (e) {
        if (!(isStatusError(e) && e.status.code === 404)) throw e;
      }
    }
    // Kubernetes answers with the list it deleted (e.g. a ConfigMapList), not a Status
    return { code: 200, body: { kind: `${t.info.kind}List`, apiVersion: apiVersionOf(t.info), metadata: { resourceVersion: String(revision) }, items } };
  }
}

const conflictPrecondition = (t: ResourceTarget, name: string, why: string) => conflict(t.info, name, `Precondition failed: ${why}`);

/** The object to write instead of deleting it, or undefined when it can go now. */
const markForDeletion = (info: ResourceInfo, current: Obj, options: Obj, policy: string | undefined, orphan: boolean): Obj | undefined => {
  const obj = structuredClone(current);
  const meta = metaOf(obj);
  const already = !!meta.deletionTimestamp;
  const finalizers = [...(meta.finalizers ?? [])];
  if (policy === "Foreground" && !finalizers.includes("foregroundDeletion")) finalizers.push("foregroundDeletion");
  if (orphan && !finalizers.includes("orphan")) finalizers.push("orphan");

  const isNamespace = info.group === "" && info.resource === "namespaces";
  const isBoundPod = info.group === "" && info.resource === "pods" && !!(obj.spec as { nodeName?: string } | undefined)?.nodeName;
  const requested = typeof options.gracePeriodSeconds === "number" ? options.gracePeriodSeconds : undefined;

  if (isNamespace) {
    const specFinalizers = ((obj.spec ?? {}) as { finalizers?: string[] }).finalizers ?? [];
    if (finalizers.length === 0 && specFinalizers.length === 0) return undefined;
    meta.deletionTimestamp ??= nowTimestamp();
    meta.deletionGracePeriodSeconds = 0;
    meta.finalizers = finalizers;
    obj.status = { ...((obj.status ?? {}) as Obj), phase: "Terminating" };
    return obj;
  }
  if (isBoundPod) {
    // Graceful: the kubelet stops the containers, then deletes with grace 0.
    const spec = obj.spec as { terminationGracePeriodSeconds?: number };
    const grace = requested ?? spec.terminationGracePeriodSeconds ?? 30;
    if (grace > 0 || finalizers.length > 0) {
      const shortened = already ? Math.min(meta.deletionGracePeriodSeconds ?? grace, grace) : grace;
      meta.deletionGracePeriodSeconds = shortened;
      meta.deletionTimestamp = nowTimestamp(new Date(Date.now() + shortened * 1000));
      if (finalizers.length) meta.finalizers = finalizers;
      return obj;
    }
    if (finalizers.length === 0) return undefined;
  }
  if (finalizers.length === 0) return undefined;
  meta.finalizers = finalizers;
  meta.deletionTimestamp ??= nowTimestamp();
  meta.deletionGracePeriodSeconds ??= 0;
  return obj;
};

/** Kubernetes answers a completed delete with a Success Status naming the object. */
const deletedReply = (info: ResourceInfo, removed: Obj) =>
  success({ name: metaOf(removed).name, group: info.group, kind: info.resource, uid: metaOf(removed).uid });

