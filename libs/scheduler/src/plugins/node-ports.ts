/**
 * NodePorts (pkg/scheduler/framework/plugins/nodeports): a host port (protocol,
 * port) is taken when another pod on the node holds it on the same IP or
 * either side binds 0.0.0.0.
 */
import { type FilterPlugin, type HostPort, podHostPorts, success, unschedulable } from "../framework.ts";

export const NODE_PORTS = "NodePorts";
const PORTS_KEY = `${NODE_PORTS}/ports`;
export const ErrReasonNodePorts = "node(s) didn't have free ports for the requested pod ports";

const conflicts = (a: HostPort, b: HostPort) =>
  a.port === b.port && a.protocol === b.protocol && (a.ip === b.ip || a.ip === "0.0.0.0" || b.ip === "0.0.0.0");

export const nodePorts: FilterPlugin = {
  name: NODE_PORTS,
  skip: (state, pod) => state.memo(PORTS_KEY, podHostPorts, pod).length === 0,
  filter: (state, pod, node) => {
    const wanted = state.memo(PORTS_KEY, podHostPorts, pod);
    if (wanted.length === 0) return success;
    return wanted.some((w) => node.usedPorts.some((u) => conflicts(w, u))) ? unschedulable(ErrReasonNodePorts) : success;
  },
};
