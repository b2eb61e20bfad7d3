/**
 * A gap-free stream of committed changes for one resource (optionally one
 * namespace): subscribe to `kube.watch.*` first, then catch up from the store
 * — a list when starting from "now", `kube.store.history` when resuming after
 * a revision — then release what arrived meanwhile, skipping anything at or
 * below the last revision delivered. The HTTP watch and informers both use it.
 *
 * While live it also asks the store's history every `repairEveryMs` for
 * anything after the last revision seen, so a message lost on the bus (a NATS
 * reconnect, a slow consumer) is repaired, not silently missed. A complete
 * answer also moves the resume point up to the store's revision (a bookmark):
 * a quiet resource next to a busy one must not fall out of the store's
 * history window and expire for want of events of its own.
 *
 * After a list no history is needed: the subscription was open before the
 * list was read, so every change after the list's revision is in the buffer.
 * Asking anyway would turn a list that took longer than the history window
 * (a large list on a busy store) into 410 Expired and another list, for ever.
 */
import { type Bus, type ChangeEvent, type JsonObject, storePrefix, storeRevision, watchChange } from "@kubeactor/bus";
import type { StoreClient } from "./store-client.ts";

export interface WatchStreamOptions {
  readonly group: string;
  readonly resource: string;
  /** Omit or "" for every namespace (and for cluster-scoped resources). */
  readonly namespace?: string;
  /** Resume after this revision; omit to list first. */
  readonly afterRevision?: number;
  readonly repairEveryMs?: number;
}

export interface WatchStreamHandlers {
  /** Starting from "now": the objects that exist, before any event. */
  onList?(items: readonly JsonObject[], revision: number): void;
  /** Strictly increasing revisions. */
  onEvent(e: ChangeEvent): void;
  /** The latest store revision, when nothing for this stream is pending (bookmarks). */
  onProgress?(revision: number): void;
  /** The stream ended (410 Expired when the resume point is compacted away); no more calls follow. */
  onError(e: unknown): void;
}

export interface WatchStream {
  /** The revision of the last event or list delivered, or the store revision a complete history check reached. */
  readonly revision: number;
  stop(): void;
}

export const openWatchStream = async (bus: Bus, store: StoreClient, opts: WatchStreamOptions, h: WatchStreamHandlers): Promise<WatchStream> => {
  const namespace = opts.namespace || undefined;
  const prefix = storePrefix(opts.group, opts.resource, namespace);
  let last = opts.afterRevision ?? 0;
  let live = false;
  let stopped = false;
  let catchingUp = false;
  const buffered: ChangeEvent[] = [];

  const deliver = (e: ChangeEvent) => {
    if (stopped || e.revision <= last) return;
    last = e.revision;
    h.onEvent(e);
  };
  const changes = bus.subscribe(watchChange, { group: opts.group, resource: opts.resource, ...(namespace ? { namespace } : {}) }, (e) => {
    if (live && !catchingUp) deliver(e);
    else buffered.push(e);
  });
  const progress = bus.subscribe(storeRevision, {}, ({ revision }) => {
    if (live && !catchingUp && !stopped && revision >= last) h.onProgress?.(revision);
  });

  const fail = (e: unknown) => {
    if (stopped) return;
    stream.stop();
    h.onError(e);
  };

  /** Replays history after `last` (page by page), then whatever was buffered meanwhile. */
  const catchUp = async (fromHistory = true) => {
    catchingUp = true;
    try {
      for (let more = fromHistory; more && !stopped; ) {
        const page = await store.history(prefix, last);
        for (const e of page.events) deliver(e);
        more = page.more;
        // Every change under the prefix up to page.revision is delivered: resume from there.
        if (!more && page.revision > last) last = page.revision;
      }
      for (const e of buffered.splice(0)) deliver(e);
    } finally {
      catchingUp = false;
      for (const e of buffered.splice(0)) deliver(e);
    }
  };

  let timer: NodeJS.Timeout | undefined;
  const stream: WatchStream = {
    get revision() {
      return last;
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      changes.unsubscribe();
      progress.unsubscribe();
    },
  };

  try {
    await bus.transport.flush();
    if (opts.afterRevision === undefined) {
      const { items, revision } = await store.listAll({ group: opts.group, resource: opts.resource, ...(namespace ? { namespace } : {}) });
      last = revision;
      h.onList?.(items, revision);
    }
    await catchUp(opts.afterRevision !== undefined);
    live = true;
  } catch (e) {
    stream.stop();
    throw e;
  }
  timer = setInterval(() => {
    if (!catchingUp && !stopped) catchUp().catch(fail);
  }, opts.repairEveryMs ?? 5000);
  timer.unref();
  return stream;
};
