/**
 * POST pods/{name}/eviction (policy/v1 Eviction, also v1beta1): the polite
 * delete that `kubectl drain` uses. The pod is deleted with the Eviction's
 * deleteOptions through the ordinary delete (graceful for bound pods) and the
 * answer is 201 with a Success Status, as kube-apiserver sends.
 *
 * PodDisruptionBudgets are not served, so no budget is consulted and an
 * eviction is never refused with 429 TooManyRequests; a missing pod is 404.
 */
import { badRequest, success } from "@kubeactor/api";
import type { Reply, ResourceHandlers } from "./handlers.ts";
import type { Obj } from "./objects.ts";
import type { ResourceTarget } from "./routes.ts";

const EVICTION_VERSIONS = new Set(["policy/v1", "policy/v1beta1"]);

export const evictPod = async (handlers: ResourceHandlers, t: ResourceTarget, name: string, eviction: Obj, q: URLSearchParams): Promise<Reply> => {
  if (eviction.kind !== undefined && eviction.kind !== "Eviction") {
    throw badRequest(`the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf`);
  }
  if (eviction.apiVersion !== undefined && !EVICTION_VERSIONS.has(String(eviction.apiVersion))) {
    throw badRequest(`the API version in the data (${String(eviction.apiVersion)}) does not match the expected API version (policy/v1)`);
  }
  const meta = (eviction.metadata ?? {}) as { name?: string; namespace?: string };
  if (meta.name && meta.name !== name) throw badRequest("name in URL does not match name in Eviction object");
  if (meta.namespace && t.namespace && meta.namespace !== t.namespace) {
    throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
  }
  const options = (eviction.deleteOptions ?? {}) as Obj;
  const dryRun = Array.isArray(options.dryRun) && options.dryRun.includes("All");
  const query = new URLSearchParams(q);
  if (dryRun && !query.getAll("dryRun").includes("All")) query.append("dryRun", "All");
  await handlers.delete({ ...t, subresource: undefined } as ResourceTarget, name, options, query);
  return { code: 201, body: { ...success(), code: 201 } };
};
