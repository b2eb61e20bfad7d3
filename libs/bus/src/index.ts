export * from "./transport.ts";
export * from "./subject.ts";
export * from "./memory-transport.ts";
export * from "./nats-transport.ts";
export * from "./define.ts";
export * from "./catalogue.ts";
export * from "./bus.ts";
