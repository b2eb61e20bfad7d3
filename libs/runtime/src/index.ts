export * from "./flags.ts";
export * from "./bus-connect.ts";
export * from "./lifecycle.ts";
export * from "./kubeconfig.ts";
export * from "./inspection.ts";
export * from "./leader-election-flags.ts";
