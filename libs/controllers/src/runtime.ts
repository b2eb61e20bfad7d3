/**
 * What every controller in one process shares: one informer per resource
 * (the informer factory), the API client, event recorders and a workqueue per
 * controller. Start order is client-go's: informers first, workers only after
 * every informer has its first full list.
 *
 * A controller is a value: its name and a `setup` that wires informer
 * handlers to its queue and returns the reconcile function.
 */
import type { Bus } from "@kubeactor/bus";
import { ApiClient, EventRecorder, Informer, type ReconcileResult, type ResourceRef, StoreClient, WorkQueue } from "@kubeactor/client";

export const PODS: ResourceRef = { group: "", version: "v1", resource: "pods" };
export const NAMESPACES: ResourceRef = { group: "", version: "v1", resource: "namespaces" };
export const SERVICEACCOUNTS: ResourceRef = { group: "", version: "v1", resource: "serviceaccounts" };
export const REPLICASETS: ResourceRef = { group: "apps", version: "v1", resource: "replicasets" };
export const REPLICATIONCONTROLLERS: ResourceRef = { group: "", version: "v1", resource: "replicationcontrollers" };
export const DEPLOYMENTS: ResourceRef = { group: "apps", version: "v1", resource: "deployments" };

/** Resync period of every informer: a level-triggered repair for anything a lost event missed. */
export const RESYNC_MS = 30_000;

export interface ControllerContext {
  readonly bus: Bus;
  readonly api: ApiClient;
  readonly log: (line: string) => void;
  /** The shared informer of a resource (created on first use). */
  informer(ref: ResourceRef): Informer;
  recorder(component: string): EventRecorder;
}

export interface Controller {
  readonly name: string;
  readonly workers?: number;
  setup(ctx: ControllerContext, queue: WorkQueue): (key: string) => Promise<ReconcileResult>;
}

export class ControllerRuntime implements ControllerContext {
  readonly api: ApiClient;
  private readonly store: StoreClient;
  private readonly informers = new Map<string, Informer>();
  private readonly running: { controller: Controller; queue: WorkQueue; reconcile: (key: string) => Promise<ReconcileResult> }[] = [];
  private workers: Promise<void>[] = [];

  constructor(
    readonly bus: Bus,
    readonly log: (line: string) => void = () => {},
    private readonly resyncMs = RESYNC_MS,
  ) {
    this.api = new ApiClient(bus, "kube-controller-manager");
    this.store = new StoreClient(bus);
  }

  informer(ref: ResourceRef): Informer {
    const id = `${ref.group}/${ref.resource}`;
    let inf = this.informers.get(id);
    if (!inf) {
      inf = new Informer(this.bus, this.store, { group: ref.group, resource: ref.resource, resyncMs: this.resyncMs, log: this.log });
      this.informers.set(id, inf);
    }
    return inf;
  }

  recorder(component: string): EventRecorder {
    return new EventRecorder(this.api, { component }, this.log);
  }

  register(controller: Controller): void {
    const queue = new WorkQueue({ name: controller.name, log: this.log });
    this.running.push({ controller, queue, reconcile: controller.setup(this, queue) });
  }

  /** Each controller's queue depth and counters (what workqueue metrics expose), for benchmarks. */
  queueStats(): { name: string; depth: number; added: number; processed: number; retries: number; terminalErrors: number }[] {
    return this.running.map((r) => ({ name: r.controller.name, depth: r.queue.length, ...r.queue.stats }));
  }

  get controllers(): string[] {
    return this.running.map((r) => r.controller.name);
  }

  /** Starts every informer and resolves once each has listed. */
  async syncInformers(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.start()));
  }

  runWorkers(): void {
    this.workers = this.running.map((r) => r.queue.run(r.controller.workers ?? 2, r.reconcile));
  }

  async stop(): Promise<void> {
    for (const r of this.running) r.queue.shutDown();
    for (const i of this.informers.values()) i.stop();
    await Promise.race([Promise.all(this.workers), new Promise((r) => setTimeout(r, 2000).unref())]);
  }
}
