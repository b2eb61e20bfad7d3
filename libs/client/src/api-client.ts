/**
 * The Kubernetes API for components, over `kube.api.request`: same verbs,
 * same semantics and the same Status errors as the REST API. Nothing retries
 * here; controllers requeue on failure.
 */
import { apiRequest, type ApiVerb, type Bus, type JsonObject } from "@kubeactor/bus";

export interface ResourceRef {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
}

const WRITES: ReadonlySet<ApiVerb> = new Set<ApiVerb>(["create", "update", "updateStatus"]);

export class ApiClient {
  /**
   * `fieldManager` names this component in the managedFields of what it
   * writes (`kube-controller-manager`, `kube-scheduler`, `kubelet`), as the
   * User-Agent does for Kubernetes' own components; bus requests carry none.
   */
  constructor(
    private readonly bus: Bus,
    private readonly fieldManager?: string,
  ) {}

  private async call(verb: ApiVerb, r: ResourceRef, extra: { namespace?: string; name?: string; subresource?: string; body?: JsonObject; query?: Record<string, string> }) {
    const query = this.fieldManager && WRITES.has(verb) && !extra.query?.fieldManager ? { ...extra.query, fieldManager: this.fieldManager } : extra.query;
    return (await this.bus.request(apiRequest, { verb, group: r.group, version: r.version, resource: r.resource, ...extra, ...(query ? { query } : {}) })).object;
  }

  create(r: ResourceRef, namespace: string, body: JsonObject, query?: Record<string, string>): Promise<JsonObject> {
    return this.call("create", r, { namespace, body, ...(query ? { query } : {}) });
  }

  /**
   * `create` for a caller that needs only to know it succeeded (the event
   * recorder): the created object's text is not decoded. Failures are thrown
   * as from `create`.
   */
  async createAcknowledged(r: ResourceRef, namespace: string, body: JsonObject): Promise<void> {
    const query = this.fieldManager ? { fieldManager: this.fieldManager } : undefined;
    await this.bus.requestJson(apiRequest, { verb: "create", group: r.group, version: r.version, resource: r.resource, namespace, body, ...(query ? { query } : {}) });
  }

  get(r: ResourceRef, namespace: string, name: string): Promise<JsonObject> {
    return this.call("get", r, { namespace, name });
  }

  list(r: ResourceRef, namespace = "", query?: Record<string, string>): Promise<JsonObject> {
    return this.call("list", r, { namespace, ...(query ? { query } : {}) });
  }

  /** Conditional on body.metadata.resourceVersion when it is set (409 Conflict when stale). */
  update(r: ResourceRef, namespace: string, body: JsonObject): Promise<JsonObject> {
    const name = (body.metadata as { name?: string } | undefined)?.name ?? "";
    return this.call("update", r, { namespace, name, body });
  }

  updateStatus(r: ResourceRef, namespace: string, body: JsonObject): Promise<JsonObject> {
    const name = (body.metadata as { name?: string } | undefined)?.name ?? "";
    return this.call("updateStatus", r, { namespace, name, body });
  }

  /** GET .../{name}/scale: the autoscaling/v1 Scale of a Deployment or ReplicaSet. */
  getScale(r: ResourceRef, namespace: string, name: string): Promise<JsonObject> {
    return this.call("get", r, { namespace, name, subresource: "scale" });
  }

  /** PUT .../{name}/scale: sets spec.replicas (conditional on the Scale's resourceVersion when set). */
  updateScale(r: ResourceRef, namespace: string, scale: JsonObject): Promise<JsonObject> {
    const name = (scale.metadata as { name?: string } | undefined)?.name ?? "";
    return this.call("update", r, { namespace, name, subresource: "scale", body: scale });
  }

  /** `options` is a DeleteOptions (propagationPolicy, gracePeriodSeconds, preconditions). */
  delete(r: ResourceRef, namespace: string, name: string, options?: JsonObject): Promise<JsonObject> {
    return this.call("delete", r, { namespace, name, ...(options ? { body: options } : {}) });
  }

  /** The scheduler's placement: POST pods/{name}/binding. 409 when the pod is already bound. */
  async bind(namespace: string, pod: string, node: string): Promise<void> {
    await this.call("bind", { group: "", version: "v1", resource: "pods" }, {
      namespace,
      name: pod,
      subresource: "binding",
      body: { apiVersion: "v1", kind: "Binding", metadata: { name: pod, namespace }, target: { apiVersion: "v1", kind: "Node", name: node } },
    });
  }
}
