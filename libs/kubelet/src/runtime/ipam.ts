/**
 * host-local style IP allocation from a node's podCIDR (an IPv4 /24 or
 * larger): the network address and .1 (the bridge) are never handed out,
 * allocation is round-robin so a freed address is not reused at once.
 */
const toInt = (ip: string) => ip.split(".").reduce((n, o) => n * 256 + Number(o), 0);
const toIp = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");

export class IpAllocator {
  private readonly first: number;
  private readonly last: number;
  private next: number;
  private readonly used = new Set<number>();

  constructor(readonly cidr: string) {
    const [base, bits] = cidr.split("/");
    const size = 2 ** (32 - Number(bits));
    const network = toInt(base!) - (toInt(base!) % size);
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
        return toIp(n);
      }
    }
    throw new Error(`no free IP addresses in ${this.cidr}`);
  }

  release(ip: string): void {
    this.used.delete(toInt(ip));
  }

  get inUse(): number {
    return this.used.size;
  }
}

/**
 * `127.244.<n>.0/24` for node n (n ≥ 256 continues in 127.245.x, ...): pod
 * IPs are loopback addresses (Linux routes all of 127.0.0.0/8 to lo), so a
 * process container can listen on its own pod IP without any setup.
 */
export const podCidrFor = (index: number): string => `127.${244 + Math.floor(index / 256)}.${index % 256}.0/24`;

/** The node's InternalIP, kind style: 172.18.0.2, 172.18.0.3, ... */
export const hostIpFor = (index: number): string => `172.18.${Math.floor(index / 250)}.${(index % 250) + 2}`;
