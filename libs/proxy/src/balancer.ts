/**
 * Load balancing for one Service port, shared by all its listeners
 * (ClusterIP, NodePorts): round robin over the ready endpoints, and with
 * sessionAffinity ClientIP the same endpoint for a client until it has been
 * idle for timeoutSeconds (kube-proxy's userspace LoadBalancerRR).
 *
 * Changing the endpoints keeps the rotation position and every affinity
 * whose endpoint is still ready; it never touches established connections,
 * which belong to the listeners.
 */
export interface Endpoint {
  readonly ip: string;
  readonly port: number;
}

export const endpointKey = (e: Endpoint): string => `${e.ip}:${e.port}`;

export interface Affinity {
  /** sessionAffinityConfig.clientIP.timeoutSeconds (Kubernetes' default 10800). */
  readonly timeoutSeconds: number;
}

export class Balancer {
  private endpoints: readonly Endpoint[] = [];
  private next = 0;
  private readonly sticky = new Map<string, { endpoint: Endpoint; lastUsed: number }>();

  constructor(
    private affinity: Affinity | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.endpoints.length;
  }

  get current(): readonly Endpoint[] {
    return this.endpoints;
  }

  /** Only ready endpoints may be given; not-ready and terminating ones get no new connections. */
  update(endpoints: readonly Endpoint[], affinity: Affinity | undefined): void {
    const keep = new Set(endpoints.map(endpointKey));
    for (const [client, s] of this.sticky) if (!keep.has(endpointKey(s.endpoint))) this.sticky.delete(client);
    if (!affinity) this.sticky.clear();
    this.affinity = affinity;
    this.endpoints = [...endpoints].sort((a, b) => endpointKey(a).localeCompare(endpointKey(b)));
    if (this.next >= this.endpoints.length) this.next = 0;
  }

  /** The endpoint for a new connection from `clientIp`, or undefined when there is none. `skip` excludes endpoints that just failed. */
  pick(clientIp: string, skip: ReadonlySet<string> = new Set()): Endpoint | undefined {
    const candidates = this.endpoints.filter((e) => !skip.has(endpointKey(e)));
    if (candidates.length === 0) return undefined;
    const now = this.now();
    if (this.affinity) {
      const s = this.sticky.get(clientIp);
      if (s && now - s.lastUsed < this.affinity.timeoutSeconds * 1000 && !skip.has(endpointKey(s.endpoint))) {
        s.lastUsed = now;
        return s.endpoint;
      }
    }
    let chosen: Endpoint | undefined;
    for (let i = 0; i < this.endpoints.length && !chosen; i++) {
      const e = this.endpoints[(this.next + i) % this.endpoints.length]!;
      if (!skip.has(endpointKey(e))) {
        chosen = e;
        this.next = (this.next + i + 1) % this.endpoints.length;
      }
    }
    if (this.affinity && chosen) this.sticky.set(clientIp, { endpoint: chosen, lastUsed: now });
    return chosen;
  }
}
