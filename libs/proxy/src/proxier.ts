/**
 * The userspace proxier: makes the open listeners match a Plan. One
 * balancer per Service port (its ClusterIP and NodePort listeners share the
 * rotation and the affinity table); one listener per protocol/address/port.
 *
 * `apply` is idempotent and never throws for one bad address: a listener
 * that cannot bind (EADDRINUSE, EACCES for a port below 1024 without
 * privileges, EADDRNOTAVAIL) is reported in the result and tried again at
 * the next sync.
 */
import { Balancer } from "./balancer.ts";
import type { Plan, Protocol, ServicePortPlan } from "./plan.ts";
import { TcpListener } from "./tcp.ts";
import { UdpListener } from "./udp.ts";

type Listener = TcpListener | UdpListener;

export interface ApplyResult {
  /** Listeners opened and closed by this apply. */
  readonly opened: number;
  readonly closed: number;
  /** `TCP/127.96.0.1:443 (default/kubernetes:https): listen EACCES ...` */
  readonly failed: readonly string[];
}

const listenerKey = (protocol: Protocol, ip: string, port: number) => `${protocol}/${ip}:${port}`;

export class Proxier {
  private readonly balancers = new Map<string, Balancer>();
  private readonly listeners = new Map<string, { listener: Listener; servicePort: string }>();

  /** Open listeners, `TCP/127.96.0.10:80` → `default/web:http`. */
  get table(): ReadonlyMap<string, string> {
    return new Map([...this.listeners].map(([k, v]) => [k, v.servicePort]));
  }

  balancer(servicePort: string): Balancer | undefined {
    return this.balancers.get(servicePort);
  }

  async apply(plan: Plan): Promise<ApplyResult> {
    const wanted = new Map<string, ServicePortPlan>();
    for (const sp of plan.ports) {
      const b = this.balancers.get(sp.key) ?? new Balancer(sp.affinity);
      b.update(sp.endpoints, sp.affinity);
      this.balancers.set(sp.key, b);
      for (const a of sp.addresses) wanted.set(listenerKey(sp.protocol, a.ip, a.port), sp);
    }
    for (const key of this.balancers.keys()) if (!plan.ports.some((p) => p.key === key)) this.balancers.delete(key);

    let closed = 0;
    for (const [key, { listener }] of this.listeners) {
      if (wanted.has(key)) continue;
      this.listeners.delete(key);
      await listener.close();
      closed++;
    }
    let opened = 0;
    const failed: string[] = [];
    await Promise.all(
      [...wanted].map(async ([key, sp]) => {
        const balancer = this.balancers.get(sp.key)!;
        const have = this.listeners.get(key);
        if (have) {
          // The address may now belong to another Service port: new connections follow.
          have.listener.balancer = balancer;
          have.servicePort = sp.key;
          if (have.listener instanceof UdpListener) have.listener.prune(sp.endpoints);
          return;
        }
        const [, ip, port] = /^\w+\/(.+):(\d+)$/.exec(key)!;
        try {
          const listener = sp.protocol === "TCP" ? await TcpListener.listen(ip!, Number(port), balancer) : await UdpListener.listen(ip!, Number(port), balancer);
          this.listeners.set(key, { listener, servicePort: sp.key });
          opened++;
        } catch (e) {
          failed.push(`${key} (${sp.key}): ${(e as Error).message}`);
        }
      }),
    );
    return { opened, closed, failed };
  }

  /** Closes every listener and ends every proxied connection. */
  async stop(): Promise<void> {
    const all = [...this.listeners.values()];
    this.listeners.clear();
    this.balancers.clear();
    await Promise.all(all.map((l) => l.listener.destroy()));
  }
}
