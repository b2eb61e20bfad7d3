/**
 * `kubeactor inject ...`: publish a fault-injection event on the cluster's
 * NATS (the same subjects any NATS client can use, see docs/subjects.md).
 * Needs a NATS bus: a cluster started with the in-process bus cannot be reached.
 */
import { Bus, connectNats, nodeCrashContainer, nodeSetCondition, nodeStart, nodeStop } from "@kubeactor/bus";
import { FlagError } from "@kubeactor/runtime";

export const injectUsage = `kubeactor inject <event> [args] [--nats URL]

events:
  stop-node NODE                                 the node's kubelet stops (no heartbeats)
  start-node NODE                                a stopped kubelet comes back
  crash-container NODE NAMESPACE/POD CONTAINER [EXIT_CODE]
  set-condition NODE TYPE STATUS                 TYPE: Ready|MemoryPressure|DiskPressure|PIDPressure, STATUS: True|False|Unknown`;

const CONDITIONS = ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"] as const;
const STATUSES = ["True", "False", "Unknown"] as const;

export const runInject = async (args: readonly string[], natsUrl: string): Promise<string> => {
  const [event, node, ...rest] = args;
  if (!event) throw new FlagError(`missing event\n${injectUsage}`);
  if (!node) throw new FlagError(`missing node name for ${event}`);
  const publish = async (send: (bus: Bus) => void) => {
    const transport = await Promise.race([
      connectNats({ servers: natsUrl, name: "kubeactor-inject" }),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`cannot reach NATS at ${natsUrl} (is the cluster running on a NATS bus?)`)), 5000)),
    ]);
    const bus = new Bus(transport);
    send(bus);
    await transport.flush();
    await bus.close();
  };
  switch (event) {
    case "stop-node":
      await publish((bus) => bus.publish(nodeStop, { node }, {}));
      return `node ${node}: stop sent`;
    case "start-node":
      await publish((bus) => bus.publish(nodeStart, { node }, {}));
      return `node ${node}: start sent`;
    case "crash-container": {
      const [podRef, container, code] = rest;
      const [namespace, pod] = podRef?.includes("/") ? podRef.split("/") : ["default", podRef];
      if (!pod || !container) throw new FlagError("usage: kubeactor inject crash-container NODE NAMESPACE/POD CONTAINER [EXIT_CODE]");
      const exitCode = code === undefined ? 1 : Number(code);
      if (!Number.isInteger(exitCode)) throw new FlagError(`invalid exit code "${code}"`);
      await publish((bus) => bus.publish(nodeCrashContainer, { node }, { namespace: namespace!, pod, container, exitCode }));
      return `node ${node}: crash of ${namespace}/${pod} ${container} (exit ${exitCode}) sent`;
    }
    case "set-condition": {
      const [type, status] = rest;
      if (!CONDITIONS.includes(type as never)) throw new FlagError(`condition type must be one of ${CONDITIONS.join(", ")}`);
      if (!STATUSES.includes(status as never)) throw new FlagError(`condition status must be one of ${STATUSES.join(", ")}`);
      await publish((bus) =>
        bus.publish(nodeSetCondition, { node }, { type: type as (typeof CONDITIONS)[number], status: status as (typeof STATUSES)[number] }),
      );
      return `node ${node}: ${type}=${status} sent`;
    }
    default:
      throw new FlagError(`unknown event "${event}"\n${injectUsage}`);
  }
};
