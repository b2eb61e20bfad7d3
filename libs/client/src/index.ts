export * from "./store-client.ts";
export * from "./watch-stream.ts";
export * from "./informer.ts";
export * from "./workqueue.ts";
export * from "./api-client.ts";
export * from "./events.ts";
export * from "./leader-election.ts";
