export * from "@kubeactor/bus";
export * from "./sanitize.ts";
export * from "./publisher.ts";
export * from "./viewer.ts";
export * from "./stately-bridge.ts";
