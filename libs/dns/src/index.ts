export * from "./wire.ts";
export * from "./records.ts";
export * from "./server.ts";
