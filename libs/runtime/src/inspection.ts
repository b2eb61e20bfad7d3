/**
 * `--inspect` for every kubeactor process: the same flag (and
 * `KUBEACTOR_INSPECT`) everywhere, and each component's own bus connection
 * with its inspector when the flag is on. Off by default because XState's
 * inspect hook costs some throughput even with the cost ledger bounding our
 * share (docs/architecture.md).
 */
import type { Bus } from "@kubeactor/bus";
import { createInspector } from "@kubeactor/inspect";
import type { InspectionEvent } from "xstate";
import type { BusChoice } from "./bus-connect.ts";

export const inspectFlag = {
  type: "bool",
  default: false,
  help: "publish this component's XState inspection on kube.inspect.<component> (see kubeactor inspect)",
} as const;

export interface ComponentConnection {
  /** Spread into the component's start function: its bus, and XState's `inspect` option when inspection is on. */
  readonly options: { readonly bus: Bus; readonly inspect?: (ev: InspectionEvent) => void };
  /** Stops publishing inspection (the connection itself closes with the BusChoice). */
  stopInspection(): void;
}

/** One more connection named after the component (one per component, as separate processes have), inspected when `inspect`. */
export const connectComponent = async (choice: BusChoice, name: string, inspect: boolean): Promise<ComponentConnection> => {
  const bus = await choice.connect(name);
  if (!inspect) return { options: { bus }, stopInspection: () => {} };
  const inspector = createInspector({ bus, component: name });
  return { options: { bus, inspect: inspector.inspect }, stopInspection: () => inspector.stop() };
};
