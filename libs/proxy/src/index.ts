export * from "./balancer.ts";
export * from "./plan.ts";
export * from "./tcp.ts";
export * from "./udp.ts";
export * from "./proxier.ts";
export * from "./sync-machine.ts";
export * from "./proxy.ts";
