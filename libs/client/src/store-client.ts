/**
 * The store as seen from other components: typed calls over the bus. Every
 * failure arrives as a StatusError (404, 409, 410, 503 when the store is not
 * there, 504 on timeout); nothing here retries — callers decide.
 */
import {
  type Bus,
  type ChangeEvent,
  type JsonObject,
  jsonBetween,
  type ObjectKey,
  storeCreate,
  storeDelete,
  storeGet,
  storeHistory,
  storeKey,
  storeList,
  storePrefix,
  storeStatus,
  storeUpdate,
} from "@kubeactor/bus";

export interface ListRequest {
  readonly group: string;
  readonly resource: string;
  /** Omit (or "") for all namespaces. */
  readonly namespace?: string;
  readonly revision?: number;
  readonly limit?: number;
  readonly continue?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
}

export interface ListPage {
  readonly items: readonly JsonObject[];
  readonly revision: number;
  readonly continue?: string;
  readonly remainingItemCount?: number;
}

export interface StoreStatus {
  readonly phase: string;
  readonly revision: number;
  readonly oldestRevision: number;
  readonly objects: number;
  readonly backend: string;
}

/** Pages of at most this many objects keep replies far below NATS' max_payload. */
export const STORE_PAGE = 500;

export class StoreClient {
  constructor(private readonly bus: Bus) {}

  async create(key: ObjectKey, object: JsonObject): Promise<JsonObject> {
    return (await this.bus.request(storeCreate, { key: storeKey(key), object })).object;
  }

  /**
   * `create`, answered with the stored object's JSON bytes exactly as the
   * store keeps them, not decoded: for the API server, which relays them to
   * its HTTP client (decoding and re-encoding them was a tenth of its work
   * per create).
   */
  async createJson(key: ObjectKey, object: JsonObject): Promise<Uint8Array> {
    return objectJson(await this.bus.requestJson(storeCreate, { key: storeKey(key), object }));
  }

  async get(key: ObjectKey): Promise<JsonObject> {
    return (await this.bus.request(storeGet, { key: storeKey(key) })).object;
  }

  async update(key: ObjectKey, object: JsonObject, resourceVersion?: string): Promise<JsonObject> {
    return (await this.bus.request(storeUpdate, { key: storeKey(key), object, ...(resourceVersion ? { resourceVersion } : {}) })).object;
  }

  /** `get`, answered with the stored object's JSON bytes, not decoded (see `createJson`). */
  async getJson(key: ObjectKey): Promise<Uint8Array> {
    return objectJson(await this.bus.requestJson(storeGet, { key: storeKey(key) }));
  }

  /** `update`, answered with the stored object's JSON bytes, not decoded (see `createJson`). */
  async updateJson(key: ObjectKey, object: JsonObject, resourceVersion?: string): Promise<Uint8Array> {
    return objectJson(await this.bus.requestJson(storeUpdate, { key: storeKey(key), object, ...(resourceVersion ? { resourceVersion } : {}) }));
  }

  async delete(key: ObjectKey, precondition?: { uid?: string; resourceVersion?: string }): Promise<JsonObject> {
    return (await this.bus.request(storeDelete, { key: storeKey(key), ...(precondition ? { precondition } : {}) })).object;
  }

  /** One page as the store returns it (the API server passes `limit`/`continue` through). */
  listPage(req: ListRequest): Promise<ListPage> {
    return this.bus.request(storeList, {
      prefix: prefixOf(req),
      group: req.group,
      resource: req.resource,
      ...(req.revision !== undefined ? { revision: req.revision } : {}),
      ...(req.limit !== undefined ? { limit: req.limit } : {}),
      ...(req.continue ? { continue: req.continue } : {}),
      ...(req.labelSelector ? { labelSelector: req.labelSelector } : {}),
      ...(req.fieldSelector ? { fieldSelector: req.fieldSelector } : {}),
    });
  }

  /** Every matching object at one revision, fetched page by page so no reply is too large. */
  async listAll(req: Omit<ListRequest, "limit" | "continue">): Promise<{ items: JsonObject[]; revision: number }> {
    const items: JsonObject[] = [];
    let page = await this.listPage({ ...req, limit: STORE_PAGE });
    items.push(...page.items);
    while (page.continue) {
      page = await this.listPage({ ...req, limit: STORE_PAGE, continue: page.continue });
      items.push(...page.items);
    }
    return { items, revision: page.revision };
  }

  history(prefix: string, afterRevision: number, limit = STORE_PAGE): Promise<{ events: readonly ChangeEvent[]; more: boolean; revision: number }> {
    return this.bus.request(storeHistory, { prefix, afterRevision, limit });
  }

  status(timeoutMs?: number): Promise<StoreStatus> {
    return this.bus.request(storeStatus, {}, timeoutMs ? { timeoutMs } : {});
  }
}

const encoder = new TextEncoder();
const OBJECT_HEAD = encoder.encode('{"object":');
const OBJECT_TAIL = encoder.encode("}");

/** The object's bytes out of a `{"object":...}` reply value (as the store splices it; anything else is decoded). */
const objectJson = (value: Uint8Array): Uint8Array =>
  jsonBetween(value, OBJECT_HEAD, OBJECT_TAIL, false) ?? encoder.encode(JSON.stringify((JSON.parse(new TextDecoder().decode(value)) as { object: unknown }).object));

export const prefixOf = (req: { group: string; resource: string; namespace?: string }): string => storePrefix(req.group, req.resource, req.namespace);
