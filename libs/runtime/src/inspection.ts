/**
 * `--inspect` for every kubeactor process: the same flag (and
 * `KUBEACTOR_INSPECT`) everywhere, and the component's inspector when it is
 * on. Off by default because XState's inspect hook costs some throughput even
 * with the cost ledger bounding our share (docs/architecture.md).
 */
import type { Bus } from "@kubeactor/bus";
import { createInspector } from "@kubeactor/inspect";
import type { InspectionEvent } from "xstate";

export const inspectFlag = {
  type: "bool",
  default: false,
  help: "publish this component's XState inspection on kube.inspect.<component> (see kubeactor inspect)",
} as const;

export interface ComponentInspection {
  /** XState's `inspect` option, or undefined when inspection is off. */
  readonly inspect?: (ev: InspectionEvent) => void;
  stop(): void;
}

export const startInspection = (bus: Bus, component: string, enabled: boolean): ComponentInspection => {
  if (!enabled) return { stop: () => {} };
  const inspector = createInspector({ bus, component });
  return { inspect: inspector.inspect, stop: () => inspector.stop() };
};
