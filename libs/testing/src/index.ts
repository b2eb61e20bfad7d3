export { findNatsServer, freePort, natsConfig, startNatsServer, waitForPort, type RunningNats } from "@kubeactor/bus";
export * from "./transports.ts";
export * from "./processes.ts";
export * from "./cluster.ts";
export * from "./until.ts";
export * from "./nats-cluster.ts";
export * from "./kubectl.ts";
