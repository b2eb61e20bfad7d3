/**
 * Watch streams (`?watch=true`): one JSON event per line over a chunked 200,
 * fed by the gap-free watch stream of libs/client and filtered here by name,
 * label and field selectors.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  apiVersionOf,
  badRequest,
  fieldsOf,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  type ResourceInfo,
  toStatus,
} from "@kubeactor/api";
import { type Bus, type ChangeEvent, type JsonObject, storeKey } from "@kubeactor/bus";
import { openWatchStream, type StoreClient, type WatchStream } from "@kubeactor/client";
import { checkSelectors } from "./handlers.ts";
import { metaOf } from "./objects.ts";
import type { ResourceTarget } from "./routes.ts";

/** How often an idle watch with allowWatchBookmarks gets a BOOKMARK. */
const BOOKMARK_EVERY_MS = 10_000;

type Filter = (obj: JsonObject) => boolean;

const buildFilter = (info: ResourceInfo, name: string | undefined, q: URLSearchParams): Filter | undefined => {
  const { labelSelector, fieldSelector } = checkSelectors(info, q);
  const labels = labelSelector ? parseLabelSelector(labelSelector) : undefined;
  const fields = fieldSelector ? parseFieldSelector(fieldSelector) : undefined;
  if (!labels && !fields && name === undefined) return undefined;
  return (obj) => {
    const meta = metaOf(obj);
    if (name !== undefined && meta.name !== name) return false;
    if (labels && !matchesLabels(labels, meta.labels ?? {})) return false;
    if (fields && !matchesFields(fields, fieldsOf(info, obj))) return false;
    return true;
  };
};

export const serveWatch = async (
  bus: Bus,
  store: StoreClient,
  t: ResourceTarget,
  q: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
  /** How each event's object is shown (a one-row Table for kubectl's `get -w`). */
  present: (object: JsonObject) => unknown = (o) => o,
): Promise<void> => {
  const info = t.info;
  const filter = buildFilter(info, t.name, q);
  const rvParam = q.get("resourceVersion") ?? "";
  const fromNow = rvParam === "" || rvParam === "0";
  const resumeAfter = Number(rvParam);
  if (!fromNow && (!Number.isInteger(resumeAfter) || resumeAfter < 0)) throw badRequest(`invalid resource version: ${rvParam}`);
  const timeoutSeconds = Number(q.get("timeoutSeconds") ?? "0");
  const bookmarks = q.get("allowWatchBookmarks") === "true";
  const namespace = info.namespaced && t.namespace ? t.namespace : undefined;

  // Keys this watcher has told the client about, so selector changes become ADDED/DELETED.
  const known = new Set<string>();
  const trackKnown = fromNow && filter !== undefined;
  let closed = false;
  let lastBookmark = Date.now();

  const write = (type: string, object: unknown) => {
    if (closed) return;
    const shown = type === "ERROR" || type === "BOOKMARK" ? object : present(object as JsonObject);
    res.write(`${JSON.stringify({ type, object: shown })}\n`);
  };

  const onEvent = (e: ChangeEvent) => {
    if (!filter) return write(e.type, e.object);
    const matches = filter(e.object);
    if (e.type === "DELETED") {
      if (matches || known.has(e.key)) write("DELETED", e.object);
      known.delete(e.key);
    } else if (matches) {
      write(e.type === "MODIFIED" && trackKnown && !known.has(e.key) ? "ADDED" : e.type, e.object);
      known.add(e.key);
    } else if (known.has(e.key)) {
      write("DELETED", e.object);
      known.delete(e.key);
    }
  };

  let stream: WatchStream | undefined;
  let timer: NodeJS.Timeout | undefined;
  const stop = () => {
    if (closed) return;
    closed = true;
    stream?.stop();
    clearTimeout(timer);
    res.end();
  };
  req.on("close", stop);
  res.on("close", stop);
  res.writeHead(200, { "Content-Type": "application/json", "Transfer-Encoding": "chunked", "Cache-Control": "no-cache, private" });
  // Send the 200 now, as Kubernetes flushes it: clients (client-node's Watch, informers) wait for the
  // headers before they carry on, and a quiet resource may have no event to carry them for a long time.
  res.flushHeaders();

  const fail = (e: unknown) => {
    // Failures after the 200 (410 Expired above all) are an ERROR event, as Kubernetes sends them.
    write("ERROR", toStatus(e));
    stop();
  };
  try {
    stream = await openWatchStream(
      bus,
      store,
      { group: info.group, resource: info.resource, ...(namespace ? { namespace } : {}), ...(fromNow ? {} : { afterRevision: resumeAfter }) },
      {
        onList: (items) => {
          for (const item of items) {
            if (filter && !filter(item)) continue;
            write("ADDED", item);
            const meta = metaOf(item);
            known.add(storeKey({ group: info.group, resource: info.resource, namespace: info.namespaced ? (meta.namespace ?? "") : "", name: meta.name ?? "" }));
          }
        },
        onEvent,
        onProgress: (revision) => {
          if (!bookmarks || Date.now() - lastBookmark < BOOKMARK_EVERY_MS) return;
          lastBookmark = Date.now();
          write("BOOKMARK", { kind: info.kind, apiVersion: apiVersionOf(info), metadata: { resourceVersion: String(revision) } });
        },
        onError: fail,
      },
    );
    if (closed) stream.stop();
    else if (timeoutSeconds > 0) timer = setTimeout(stop, timeoutSeconds * 1000);
  } catch (e) {
    fail(e);
  }
};

export const isWatchRequest = (t: ResourceTarget, q: URLSearchParams): boolean =>
  t.watchPrefix || q.get("watch") === "true" || q.get("watch") === "1";

