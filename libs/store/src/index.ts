export * from "./engine/index.ts";
export * from "./machine.ts";
export * from "./server.ts";
export * from "./component.ts";
export * from "./backend-choice.ts";
