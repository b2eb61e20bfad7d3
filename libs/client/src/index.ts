export * from "./store-client.ts";
