/**
 * The API server's second front door: `kube.api.request` on the bus, served
 * by the same handlers as HTTP, so a component's write gets exactly what a
 * kubectl write gets. Watches are not here: components read through informers.
 */
import { badRequest, findResource, methodNotAllowed, methodNotSupported, notAcceptable, notFound } from "@kubeactor/api";
import { answerReview, isReview } from "./reviews.ts";
import { serveMetrics } from "./metrics.ts";
import { apiRequest, type Bus, type BusSubscription, EncodedReply, type JsonObject } from "@kubeactor/bus";
import { ENCODED, isEncoded } from "./watch-cache.ts";
import type { ResourceHandlers } from "./handlers.ts";
import type { ResourceTarget } from "./routes.ts";

export const serveBusApi = (bus: Bus, handlers: ResourceHandlers): BusSubscription =>
  bus.serve(
    apiRequest,
    async (req) => {
      const info = findResource(req.group, req.version, req.resource);
      if (!info) throw notAcceptable(`the server could not find the requested resource ${req.group}/${req.version}/${req.resource}`);
      const t: ResourceTarget = {
        kind: "resource",
        info,
        namespace: info.namespaced ? (req.namespace ?? "") : "",
        ...(req.name !== undefined ? { name: req.name } : {}),
        ...(req.subresource !== undefined ? { subresource: req.subresource } : {}),
        watchPrefix: false,
      };
      const q = new URLSearchParams(req.query ?? {});
      const body = (req.body ?? {}) as JsonObject;
      const needName = () => {
        if (!t.name) throw badRequest(`verb ${req.verb} needs a name`);
        return t.name;
      };
      if (isReview(info)) {
        if (req.verb !== "create") throw methodNotAllowed();
        return { object: answerReview(t, body).body as JsonObject };
      }
      // metrics.k8s.io, read live from the kubelets as over HTTP (the autoscaler reads PodMetrics here).
      if (info.servedFrom === "kubelets") {
        if (req.verb !== "get" && req.verb !== "list") throw methodNotAllowed();
        return { object: (await serveMetrics(bus, handlers, t, "GET", q)).body as JsonObject };
      }
      // The scale subresource (autoscalers read and write replicas through it), as GET/PUT .../scale over HTTP.
      if (req.subresource === "scale") {
        if (!info.subresources.some((r) => r.name === "scale")) throw notFound({ group: info.group, resource: `${info.resource}/scale` }, needName());
        if (req.verb === "get") return { object: (await handlers.getScale(t, needName())).body as JsonObject };
        if (req.verb === "update") return { object: (await handlers.updateScale(t, needName(), body, q)).body as JsonObject };
        throw methodNotSupported(info, `${req.verb} on scale`);
      }
      let reply;
      switch (req.verb) {
        case "create":
          reply = await handlers.create(t, body, q);
          break;
        case "get":
          reply = await handlers.get(t, needName(), q);
          break;
        case "list":
          reply = await handlers.list(t, q);
          break;
        case "update":
          reply = await handlers.update(t, needName(), body, q, "main", undefined, true);
          break;
        case "updateStatus":
          reply = await handlers.update(t, needName(), body, q, "status", undefined, true);
          break;
        case "delete":
          reply = await handlers.delete(t, needName(), body, q);
          break;
        case "bind":
          reply = await handlers.bind(t, needName(), body, q);
          break;
        case "deletecollection":
          reply = await handlers.deleteCollection(t, body, q);
          break;
        default:
          throw methodNotSupported(info, req.verb);
      }
      // The store's text of the object (a create's or an update's answer) or the watch cache's bytes: relayed
      // as they are, where JSON.stringify would decode the text only to encode it again.
      if (isEncoded(reply.body)) return new EncodedReply(`{"object":${reply.body[ENCODED]().toString("utf8")}}`);
      return { object: reply.body as JsonObject };
    },
    { queue: "apiserver" },
  );
