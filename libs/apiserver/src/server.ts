/**
 * The API server: Kubernetes' REST surface over HTTP, backed by the store
 * actor over the bus (it never touches storage directly). Every error reply
 * is a Status; a handler bug becomes a 500 Status, never a dropped socket.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { badRequest, methodNotAllowed, methodNotSupported, type Status, StatusError, toStatus } from "@kubeactor/api";
import { answerReview, isReview, requestUser } from "./reviews.ts";
import { serveMetrics } from "./metrics.ts";
import type { Bus } from "@kubeactor/bus";
import { StoreClient } from "@kubeactor/client";
import { aggregatedContentType, aggregatedDocument, apiGroup, apiGroupList, apiResourceList, apiVersions, discoveryFormat, versionInfo } from "./discovery.ts";
import { bootstrapCluster } from "./bootstrap.ts";
import { serveBusApi } from "./bus-api.ts";
import { evictPod } from "./eviction.ts";
import { createToken, jwks, openidConfiguration } from "./token-request.ts";
import { serveComponentStatuses, storeHealth } from "./component-status.ts";
import { patchBodyIssues, parseValidatedBody, warningHeaders } from "./field-validation.ts";
import { type Reply, ResourceHandlers } from "./handlers.ts";
import { DEFAULT_TOLERATION_SECONDS, type DefaultTolerationSeconds } from "./pods.ts";
import { ensureKubernetesService } from "./kubernetes-service.ts";
import { ServiceAllocator } from "./services.ts";
import { parseObjectBody, readBody, sendCached, sendJson, sendStatus, sendText } from "./http.ts";
import { revisionChoice } from "./list-options.ts";
import { asTable, negotiate } from "./negotiate.ts";
import { parsePatch, patchTypeOf } from "./patching.ts";
import { serveOpenApi } from "./openapi/serve.ts";
import { parseResourcePath, type ResourceTarget } from "./routes.ts";
import { isWatchRequest, serveWatch } from "./watch.ts";
import { WatchCache } from "./watch-cache.ts";
import { servePodLog } from "./logs.ts";
import { isStreamPath, rejectUpgrade, serveStreamUpgrade } from "./streaming/upgrade.ts";

export interface ApiServerOptions {
  readonly bus: Bus;
  /** Create the system namespaces first (waiting for the store), as kube-apiserver does. Default true. */
  readonly bootstrap?: boolean;
  readonly port: number;
  readonly host?: string;
  readonly log?: (line: string) => void;
  /** DefaultTolerationSeconds admission: `--default-not-ready-toleration-seconds` / `--default-unreachable-toleration-seconds` (300 each). */
  readonly defaultTolerationSeconds?: Partial<DefaultTolerationSeconds>;
  /** `--service-cluster-ip-range`: where ClusterIPs come from (default 127.96.0.0/12, see services.ts). */
  readonly serviceClusterIpRange?: string;
  /** Serve LISTs from a watch cache (default true); false sends every LIST to the store. */
  readonly watchCache?: boolean;
  /** `--service-node-port-range` (default 30000-32767). */
  readonly nodePortRange?: { readonly min: number; readonly max: number };
}

export interface ApiServer {
  readonly server: Server;
  /** `http://127.0.0.1:<port>` once listening. */
  readonly url: string;
  close(): Promise<void>;
}

/** A handler's reply, with its field-validation warnings as `Warning: 299` headers. */
const sendReply = (res: ServerResponse, reply: Reply): void => {
  if (reply.warnings?.length) res.setHeader("Warning", warningHeaders(reply.warnings));
  sendJson(res, reply.code, reply.body);
};

const notFoundStatus = (): Status => ({
  kind: "Status",
  apiVersion: "v1",
  metadata: {},
  status: "Failure",
  message: "the server could not find the requested resource",
  reason: "NotFound",
  details: {},
  code: 404,
});

export const startApiServer = async (opts: ApiServerOptions): Promise<ApiServer> => {
  const store = new StoreClient(opts.bus);
  if (opts.bootstrap !== false) {
    const created = await bootstrapCluster(opts.bus, opts.log);
    if (created.length) (opts.log ?? console.log)(`apiserver: created namespaces ${created.join(", ")}`);
  }
  const services = new ServiceAllocator(store, {
    ...(opts.serviceClusterIpRange ? { serviceCidr: opts.serviceClusterIpRange } : {}),
    ...(opts.nodePortRange ? { nodePortRange: opts.nodePortRange } : {}),
  });
  const cache = opts.watchCache === false ? undefined : new WatchCache(opts.bus, store, opts.log);
  const handlers = new ResourceHandlers(store, { ...DEFAULT_TOLERATION_SECONDS, ...opts.defaultTolerationSeconds }, services, cache);
  const busApi = serveBusApi(opts.bus, handlers);
  await opts.bus.transport.flush(); // kube.api.request is served before the API server says it is
  const log = opts.log ?? (() => {});
  let address = `127.0.0.1:${opts.port}`;

  const readyz = async (res: ServerResponse) => {
    const health = await storeHealth(store);
    if (health.healthy) sendText(res, 200, "ok");
    else sendText(res, 500, `[-]store failed: ${health.error}\nreadyz check failed\n`);
  };

  const resource = async (t: ResourceTarget, req: IncomingMessage, res: ServerResponse, q: URLSearchParams) => {
    const method = req.method ?? "GET";
    const sub = t.subresource;
    if (sub !== undefined && !t.info.subresources.some((s) => s.name === sub)) {
      sendStatus(res, notFoundStatus());
      return;
    }
    if (t.info.servedFrom === "kubelets") return sendReply(res, await serveMetrics(opts.bus, handlers, t, method, q));
    if (t.info.servedFrom === "components") {
      const reply = await serveComponentStatuses(store, handlers, t, method, q);
      return sendReply(res, { ...reply, body: asTable(t.info, reply.body, negotiate(req, q)) });
    }
    if (isReview(t.info)) {
      // A question answered in the response (kubectl auth can-i / whoami); any other method has no route.
      if (method !== "POST") throw methodNotAllowed();
      const checked = parseValidatedBody(t.info, await readBody(req), req, q, "CreateOptions");
      return sendReply(res, { ...answerReview(t, checked.body, requestUser(req.headers)), warnings: checked.warnings });
    }
    if (sub === "binding" && method === "POST" && t.name !== undefined) {
      const reply = await handlers.bind(t, t.name, parseObjectBody(await readBody(req), req), q);
      return sendJson(res, reply.code, reply.body);
    }
    if (sub === "token" && method === "POST" && t.name !== undefined) {
      return sendReply(res, await createToken(handlers, t, t.name, parseObjectBody(await readBody(req), req)));
    }
    if (sub === "eviction" && method === "POST" && t.name !== undefined) {
      return sendReply(res, await evictPod(handlers, t, t.name, parseObjectBody(await readBody(req), req), q));
    }
    if (method === "PATCH" && t.name !== undefined && (sub === undefined || sub === "status" || sub === "scale" || sub === "ephemeralcontainers")) {
      const type = patchTypeOf(req.headers["content-type"]);
      const raw = await readBody(req);
      const patch = parsePatch(type, raw);
      const reply = await handlers.patch(t, t.name, type, patch, q, sub ?? "main", req.headers["user-agent"], patchBodyIssues(raw, req.headers["content-type"]));
      return sendReply(res, reply);
    }
    if (sub === "scale" && t.name !== undefined && (method === "GET" || method === "PUT")) {
      const reply =
        method === "GET" ? await handlers.getScale(t, t.name) : await handlers.updateScale(t, t.name, parseObjectBody(await readBody(req), req), q, req.headers["user-agent"]);
      return sendJson(res, reply.code, reply.body);
    }
    if (sub === "log" && method === "GET" && t.name !== undefined) return servePodLog(opts.bus, (await handlers.get(t, t.name)).body as Record<string, unknown>, q, req, res);
    if (sub === "exec" || sub === "attach" || sub === "portforward") throw badRequest("Upgrade request required");
    // What is left of the subresources (status, ephemeralcontainers) is read and replaced, never created or deleted.
    const part = sub === "status" || sub === "ephemeralcontainers" ? sub : sub === undefined ? "main" : undefined;
    if (part === undefined) throw methodNotSupported(t.info, `${method} on ${sub}`);
    if (part !== "main" && method !== "GET" && method !== "PUT") throw methodNotAllowed();
    let reply;
    switch (method) {
      case "GET": {
        const rep = negotiate(req, q);
        if (isWatchRequest(t, q)) {
          revisionChoice(q, true); // resourceVersionMatch is refused on watches
          return serveWatch(opts.bus, store, t, q, req, res, (o) => asTable(t.info, o, rep));
        }
        // Plain JSON of one object: the store's bytes go to the client as they are (stored-json.ts).
        reply = t.name === undefined ? await handlers.list(t, q) : await handlers.get(t, t.name, q, !rep.table);
        if (sub === undefined) reply = { code: reply.code, body: asTable(t.info, reply.body, rep) };
        break;
      }
      case "POST": {
        const checked = parseValidatedBody(t.info, await readBody(req), req, q, "CreateOptions");
        reply = { ...(await handlers.create(t, checked.body, q, req.headers["user-agent"])), warnings: checked.warnings };
        break;
      }
      case "PUT": {
        if (t.name === undefined) throw methodNotSupported(t.info, "update");
        const checked = parseValidatedBody(t.info, await readBody(req), req, q, "UpdateOptions");
        reply = { ...(await handlers.update(t, t.name, checked.body, q, part, req.headers["user-agent"], true)), warnings: checked.warnings };
        break;
      }
      case "DELETE": {
        const raw = await readBody(req);
        const options = raw.length > 0 ? parseObjectBody(raw, req) : {};
        reply = t.name === undefined ? await handlers.deleteCollection(t, options, q) : await handlers.delete(t, t.name, options, q);
        break;
      }
      default:
        throw methodNotSupported(t.info, method);
    }
    sendReply(res, reply);
  };

  const route = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const path = url.pathname.replace(/\/+$/, "") || "/";
    const method = req.method ?? "GET";
    if (method === "GET") {
      switch (path) {
        case "/version":
          return sendJson(res, 200, versionInfo);
        // Service account issuer discovery: how a token from `kubectl create token` is verified.
        case "/.well-known/openid-configuration":
          return sendJson(res, 200, openidConfiguration());
        case "/openid/v1/jwks":
          return sendJson(res, 200, await jwks());
        case "/livez":
        case "/healthz":
          return sendText(res, 200, "ok");
        case "/readyz":
          return readyz(res);
        case "/api":
        case "/apis": {
          const format = discoveryFormat(req.headers.accept);
          if (format !== "legacy") {
            const headers = { "Content-Type": aggregatedContentType(format), Vary: "Accept", "Cache-Control": "public" };
            return sendCached(req, res, aggregatedDocument(path, format), headers);
          }
          return sendJson(res, 200, path === "/api" ? apiVersions(address) : apiGroupList());
        }
      }
      const group = /^\/apis\/([^/]+)$/.exec(path);
      if (group) {
        const doc = apiGroup(decodeURIComponent(group[1]!));
        return doc ? sendJson(res, 200, doc) : sendStatus(res, notFoundStatus());
      }
      if (path.startsWith("/openapi/")) return serveOpenApi(path, url.searchParams, req, res) || sendStatus(res, notFoundStatus());
    }
    const target = parseResourcePath(path);
    switch (target.kind) {
      case "resource":
        return resource(target, req, res, url.searchParams);
      case "groupVersion": {
        const list = method === "GET" ? apiResourceList(target.group, target.version) : undefined;
        return list ? sendJson(res, 200, list) : sendStatus(res, notFoundStatus());
      }
      default:
        return sendStatus(res, notFoundStatus());
    }
  };

  const server = createServer((req, res) => {
    route(req, res).catch((e) => {
      if (!(e instanceof StatusError)) log(`apiserver: ${req.method} ${req.url}: ${(e as Error).stack ?? e}`);
      sendStatus(res, toStatus(e));
    });
  });
  // exec, attach, port-forward: HTTP Upgrade (any other upgrade is refused with a Status).
  server.on("upgrade", (req: IncomingMessage, socket: import("node:stream").Duplex, head: Buffer) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (!isStreamPath(path)) return rejectUpgrade(socket, notFoundStatus());
    void serveStreamUpgrade(opts.bus, async (p) => {
      const t = parseResourcePath(p);
      if (t.kind !== "resource" || t.name === undefined) throw badRequest("not a pod");
      return (await handlers.get(t, t.name)).body as Record<string, unknown>;
    }, req, socket, head);
  });
  // Watches are long-lived; Node's default request timeout would cut them.
  server.requestTimeout = 0;
  server.keepAliveTimeout = 65_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host ?? "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  address = `${opts.host ?? "127.0.0.1"}:${port}`;
  if (opts.bootstrap !== false) {
    try {
      await ensureKubernetesService(store, services, opts.host ?? "127.0.0.1", port);
    } catch (e) {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      busApi.unsubscribe();
      cache?.stop();
      throw e;
    }
  }
  return {
    server,
    url: `http://${opts.host ?? "127.0.0.1"}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        busApi.unsubscribe();
        cache?.stop();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
};
