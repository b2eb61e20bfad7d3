/**
 * Fault injection into node agents: one subject per node, one JSON event per
 * message. Publish it (fire and forget) or send it as a request to get the
 * node's answer (`ok` or a clear error). Every kubelet process subscribes once
 * with the node as a wildcard and answers only for the nodes it runs; node
 * names are one encoded token, so `a.b` never splits a subject.
 */
import * as Schema from "effect/Schema";
import { requestSubject } from "../define.ts";

export const NodeInjectEvent = Schema.Union(
  /** Heartbeats and status updates stop, as on a partitioned node; pods keep running. */
  Schema.Struct({ type: Schema.Literal("node.stop"), reason: Schema.optional(Schema.String) }),
  /** A stopped node comes back: re-registers, reports Ready, re-adopts its pods. */
  Schema.Struct({ type: Schema.Literal("node.start") }),
  /** The running container exits now; the kubelet restarts it per restartPolicy and back-off. */
  Schema.Struct({
    type: Schema.Literal("container.exit"),
    namespace: Schema.String,
    pod: Schema.String,
    container: Schema.String,
    exitCode: Schema.optional(Schema.Number),
  }),
  /** A resource pressure condition on or off. */
  Schema.Struct({
    type: Schema.Literal("node.pressure"),
    condition: Schema.Literal("MemoryPressure", "DiskPressure", "PIDPressure"),
    status: Schema.Boolean,
  }),
  /** Any kubelet-owned condition forced to a value (Ready=False makes the node NotReady). */
  Schema.Struct({
    type: Schema.Literal("node.condition"),
    condition: Schema.Literal("Ready", "MemoryPressure", "DiskPressure", "PIDPressure"),
    status: Schema.Literal("True", "False", "Unknown"),
    reason: Schema.optional(Schema.String),
    message: Schema.optional(Schema.String),
  }),
);
export type NodeInjectEvent = typeof NodeInjectEvent.Type;

export const nodeInject = requestSubject({
  pattern: "kube.node.{node}.inject",
  example: `nats request kube.node.node-1.inject '{"type":"container.exit","namespace":"default","pod":"web-7d4b9c6f8-abcde","container":"nginx","exitCode":137}'`,
  description:
    'Fault injection into one node: `{"type":"node.stop"}`, `{"type":"node.start"}`, `{"type":"container.exit","namespace":"...","pod":"...","container":"...","exitCode":1}`, `{"type":"node.pressure","condition":"MemoryPressure","status":true}`, `{"type":"node.condition","condition":"Ready","status":"False"}`. Publish it, or send it as a request to get the node\'s answer; an invalid event is rejected with a 400 Status and never reaches the node.',
  publishers: ["kubeactor inject", "any NATS client"],
  subscribers: ["kubelet (the process running the node)"],
  request: NodeInjectEvent,
  response: Schema.Struct({ node: Schema.String, result: Schema.String }),
});
