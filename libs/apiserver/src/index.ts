export * from "./server.ts";
export * from "./routes.ts";
export * from "./objects.ts";
export * from "./discovery.ts";
export * from "./bootstrap.ts";
