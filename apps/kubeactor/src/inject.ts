/**
 * `kubeactor inject <event> NODE ...`: the node fault-injection events of
 * `kube.node.<node>.inject` (docs/subjects.md) for users without a NATS
 * client. Sent as a request, so the node's answer — or its error — is printed.
 * Needs a NATS bus: a cluster on the in-process bus cannot be reached.
 */
import * as Schema from "effect/Schema";
import { Bus, connectNats, nodeInject, NodeInjectEvent } from "@kubeactor/bus";
import { isStatusError } from "@kubeactor/api";
import { FlagError } from "@kubeactor/runtime";

export const injectUsage = `kubeactor inject <event> NODE [args] [--nats URL]

events (the "type" of kube.node.<node>.inject):
  node.stop NODE                                   heartbeats and status updates stop, as on a partitioned node
  node.start NODE                                  a stopped node comes back
  container.exit NODE NAMESPACE/POD CONTAINER [EXIT_CODE]
  node.pressure NODE MemoryPressure|DiskPressure|PIDPressure true|false
  node.condition NODE Ready|MemoryPressure|DiskPressure|PIDPressure True|False|Unknown`;

/** The event the command line describes, checked with the subject's own schema. */
export const parseInjectArgs = (args: readonly string[]): { node: string; event: NodeInjectEvent } => {
  const [type, node, ...rest] = args;
  if (!type) throw new FlagError(`missing event\n${injectUsage}`);
  if (!node) throw new FlagError(`missing node name for ${type}`);
  let raw: Record<string, unknown>;
  switch (type) {
    case "node.stop":
    case "node.start":
      raw = { type };
      break;
    case "container.exit": {
      const [podRef, container, code] = rest;
      const [namespace, pod] = podRef?.includes("/") ? podRef.split("/") : ["default", podRef];
      if (!pod || !container) throw new FlagError("usage: kubeactor inject container.exit NODE NAMESPACE/POD CONTAINER [EXIT_CODE]");
      raw = { type, namespace, pod, container, ...(code !== undefined ? { exitCode: Number(code) } : {}) };
      break;
    }
    case "node.pressure":
      raw = { type, condition: rest[0], status: rest[1] === "true" ? true : rest[1] === "false" ? false : rest[1] };
      break;
    case "node.condition":
      raw = { type, condition: rest[0], status: rest[1] };
      break;
    default:
      throw new FlagError(`unknown event "${type}"\n${injectUsage}`);
  }
  const decoded = Schema.decodeUnknownEither(NodeInjectEvent)(raw);
  if (decoded._tag === "Left") throw new FlagError(`invalid ${type} event: ${JSON.stringify(raw)}\n${injectUsage}`);
  return { node, event: decoded.right };
};

export const runInject = async (args: readonly string[], natsUrl: string): Promise<string> => {
  const { node, event } = parseInjectArgs(args);
  const transport = await Promise.race([
    connectNats({ servers: natsUrl, name: "kubeactor-inject" }),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`cannot reach NATS at ${natsUrl} (is the cluster running on a NATS bus?)`)), 5000)),
  ]);
  const bus = new Bus(transport, { log: () => {} });
  try {
    const answer = await bus.request(nodeInject, event, { params: { node }, timeoutMs: 3000 });
    return `node ${answer.node}: ${answer.result}`;
  } catch (e) {
    if (isStatusError(e) && (e.status.code === 503 || e.status.code === 504)) throw new Error(`no kubelet answered for node "${node}" (is it running?)`);
    throw new Error(isStatusError(e) ? (e.status.message ?? "failed") : (e as Error).message);
  } finally {
    await bus.close();
  }
};
