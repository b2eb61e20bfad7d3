/**
 * IPv4 addresses as 32-bit integers, for the allocators that hand out ranges
 * (the API server's Service ClusterIPs, the kubelet's pod IPs).
 */
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** A dotted-quad IPv4 address without leading zeros (what Go's net.ParseIP accepts). */
export const isIPv4 = (s: string): boolean => IPV4.test(s);

export const ipv4ToInt = (ip: string): number => ip.split(".").reduce((n, o) => n * 256 + Number(o), 0);

export const intToIpv4 = (n: number): string => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
