/**
 * Node agent commands and fault injections. Every kubelet process subscribes
 * to each subject once (node as a wildcard) and acts for the nodes it runs;
 * node names are one encoded token, so `a.b` never splits a subject.
 */
import * as Schema from "effect/Schema";
import { eventSubject } from "../define.ts";

export const nodeStop = eventSubject({
  pattern: "kube.node.{node}.stop",
  example: `nats pub kube.node.node-1.stop '{}'`,
  description:
    "The node's kubelet dies: it stops renewing its Lease and reporting status, and its pod actors stop (containers keep their state). The node lifecycle controller later marks the node Unknown/NotReady.",
  publishers: ["kubeactor inject", "any NATS client"],
  subscribers: ["kubelet"],
  schema: Schema.Struct({ reason: Schema.optional(Schema.String) }),
});

export const nodeStart = eventSubject({
  pattern: "kube.node.{node}.start",
  example: `nats pub kube.node.node-1.start '{}'`,
  description: "A stopped kubelet comes back: it re-registers, reports Ready, renews its Lease and re-adopts its pods' sandboxes and containers.",
  publishers: ["kubeactor inject", "any NATS client"],
  subscribers: ["kubelet"],
  schema: Schema.Struct({}),
});

export const nodeCrashContainer = eventSubject({
  pattern: "kube.node.{node}.crash-container",
  example: `nats pub kube.node.node-1.crash-container '{"namespace":"default","pod":"web","container":"nginx","exitCode":137}'`,
  description: "The running (sim) container exits now with exitCode (default 1); the kubelet restarts it per the pod's restartPolicy and back-off.",
  publishers: ["kubeactor inject", "any NATS client"],
  subscribers: ["kubelet"],
  schema: Schema.Struct({
    namespace: Schema.String,
    pod: Schema.String,
    container: Schema.String,
    exitCode: Schema.optional(Schema.Number),
  }),
});

export const nodeSetCondition = eventSubject({
  pattern: "kube.node.{node}.set-condition",
  example: `nats pub kube.node.node-1.set-condition '{"type":"MemoryPressure","status":"True"}'`,
  description:
    "Forces one kubelet-owned node condition (Ready, MemoryPressure, DiskPressure, PIDPressure) until set again; the node reports it at once. Ready=False makes the node NotReady.",
  publishers: ["kubeactor inject", "any NATS client"],
  subscribers: ["kubelet"],
  schema: Schema.Struct({
    type: Schema.Literal("Ready", "MemoryPressure", "DiskPressure", "PIDPressure"),
    status: Schema.Literal("True", "False", "Unknown"),
    reason: Schema.optional(Schema.String),
    message: Schema.optional(Schema.String),
  }),
});

export const kubeletSubjects = [nodeStop, nodeStart, nodeCrashContainer, nodeSetCondition] as const;
