/**
 * host-local style IP allocation from a node's podCIDR (an IPv4 /24 or
 * larger): the network address and .1 (the bridge) are never handed out,
 * allocation is round-robin so a freed address is not reused at once.
 */
import { intToIpv4, ipv4ToInt } from "@kubeactor/api";

export class IpAllocator {
  private readonly first: number;
  private readonly last: number;
  private next: number;
  private readonly used = new Set<number>();

  constructor(readonly cidr: string) {
    const [base, bits] = cidr.split("/");
    const size = 2 ** (32 - Number(bits));
    const network = ipv4ToInt(base!) - (ipv4ToInt(base!) % size);
    this.first = network + 2;
    this.last = network + size - 2;
    this.next = this.first;
  }

  /** Throws when the range is exhausted. */
  allocate(): string {
    const span = this.last - this.first + 1;
    for (let i = 0; i < span; i++) {
      const n = this.first + ((this.next - this.first + i) % span);
      if (!this.used.has(n)) {
        this.used.add(n);
        this.next = n + 1 > this.last ? this.first : n + 1;
        return intToIpv4(n);
      }
    }
    throw new Error(`no free IP addresses in ${this.cidr}`);
  }

  release(ip: string): void {
    this.used.delete(ipv4ToInt(ip));
  }

  get inUse(): number {
    return this.used.size;
  }
}

/** The last node index podCidrFor has a range for. */
export const MAX_NODE_INDEX = 32767;

/**
 * `127.244.<n>.0/24` for node n (n ≥ 256 continues in 127.245.x, ... up to
 * 127.255.x, then from 127.128.x up to 127.243.x — room for 32768 nodes):
 * pod IPs are loopback addresses (Linux routes all of 127.0.0.0/8 to lo), so
 * a process container can listen on its own pod IP without any setup. The
 * ranges stay clear of 127.0.0.1, the nodes' 127.18.x.y and the default
 * service range 127.96.0.0/12.
 */
export const podCidrFor = (index: number): string => {
  const block = Math.floor(index / 256);
  const second = block < 12 ? 244 + block : 128 + (block - 12);
  if (index > MAX_NODE_INDEX) throw new Error(`node index ${index} is beyond the 32768 pod CIDRs of 127.128.0.0/9`);
  return `127.${second}.${index % 256}.0/24`;
};

/**
 * The node's InternalIP: 127.18.0.2, 127.18.0.3, ... — a loopback address, so
 * kube-proxy can serve the node's NodePorts on it as on a real node's address.
 */
export const hostIpFor = (index: number): string => `127.18.${Math.floor(index / 250)}.${(index % 250) + 2}`;
