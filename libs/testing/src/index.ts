export * from "./nats-server.ts";
export * from "./transports.ts";
