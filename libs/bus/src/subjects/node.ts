/**
 * Fault injection into node agents: one subject per node, one JSON event per
 * message. Publish it (fire and forget) or send it as a request to get the
 * node's answer (`ok` or a clear error). Every kubelet process subscribes once
 * with the node as a wildcard and answers only for the nodes it runs; node
 * names are one encoded token, so `a.b` never splits a subject.
 */
import * as Schema from "effect/Schema";
import { eventSubject, requestSubject } from "../define.ts";

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

/** What `kubectl logs` asks (the pods/log query parameters, resolved by the API server). */
export const PodLogRequest = Schema.Struct({
  namespace: Schema.String,
  pod: Schema.String,
  /** The pod's uid, so a newer pod of the same name is never read. */
  uid: Schema.optional(Schema.String),
  container: Schema.String,
  follow: Schema.optional(Schema.Boolean),
  previous: Schema.optional(Schema.Boolean),
  timestamps: Schema.optional(Schema.Boolean),
  tailLines: Schema.optional(Schema.Number),
  /** Only lines at or after this time (RFC 3339); sinceSeconds is turned into it by the API server. */
  sinceTime: Schema.optional(Schema.String),
  limitBytes: Schema.optional(Schema.Number),
  /** The stream id: the log arrives on `kube.logs.<stream>`, and `kube.logs.<stream>.cancel` stops it. */
  stream: Schema.String,
});
export type PodLogRequest = typeof PodLogRequest.Type;

export const nodeLogs = requestSubject({
  pattern: "kube.node.{node}.logs",
  example: `nats sub 'kube.logs.demo' & nats request kube.node.node-1.logs '{"namespace":"default","pod":"web","container":"web","tailLines":10,"stream":"demo"}'`,
  description:
    "A container's log (`GET pods/{name}/log`, relayed by the API server to the node that runs the pod). The reply accepts the request (`{node, container}`) or refuses it with a Status (`container \"x\" in pod \"y\" is waiting to start: ContainerCreating`, `previous terminated container ... not found`); the log itself follows as `kube.logs.<stream>` chunks. Simulated containers have an empty log.",
  publishers: ["apiserver (pods/log)"],
  subscribers: ["kubelet (the process running the node)"],
  request: PodLogRequest,
  response: Schema.Struct({ node: Schema.String, container: Schema.String }),
});

export const PodLogChunk = Schema.Union(
  /** Log bytes (base64), in order: `seq` counts from 0. */
  Schema.Struct({ type: Schema.Literal("data"), seq: Schema.Number, data: Schema.String }),
  /** The end of the log (the container stopped, or not following); `error` when reading failed. */
  Schema.Struct({ type: Schema.Literal("end"), seq: Schema.Number, error: Schema.optional(Schema.String) }),
);
export type PodLogChunk = typeof PodLogChunk.Type;

export const podLogStream = eventSubject({
  pattern: "kube.logs.{stream}",
  description:
    "One log stream, opened by a `kube.node.<node>.logs` request: `data` chunks (base64) in `seq` order, then `end`. With follow it stays open while the container runs; an empty `data` chunk every 10 s says the node is alive, and after 30 s of silence the API server ends the response.",
  publishers: ["kubelet"],
  subscribers: ["apiserver (the pods/log request that opened it)"],
  schema: PodLogChunk,
});

export const podLogCancel = eventSubject({
  pattern: "kube.logs.{stream}.cancel",
  description: "The reader of a log stream is gone (the HTTP client disconnected): the kubelet stops following.",
  publishers: ["apiserver"],
  subscribers: ["kubelet"],
  schema: Schema.Struct({}),
});

/** What `kubectl exec`, `attach` and `port-forward` ask of a node (the pods/exec|attach|portforward request, checked by the API server). */
export const PodStreamRequest = Schema.Struct({
  kind: Schema.Literal("exec", "attach", "portforward"),
  namespace: Schema.String,
  pod: Schema.String,
  /** The pod's uid, so a newer pod of the same name is never entered. */
  uid: Schema.optional(Schema.String),
  /** exec and attach: the container (resolved by the API server). */
  container: Schema.optional(Schema.String),
  /** exec: the command, as argv. */
  command: Schema.optional(Schema.Array(Schema.String)),
  stdin: Schema.optional(Schema.Boolean),
  stdout: Schema.optional(Schema.Boolean),
  stderr: Schema.optional(Schema.Boolean),
  tty: Schema.optional(Schema.Boolean),
  /** The session id: the API server publishes on `kube.stream.<session>.in`, the node on `kube.stream.<session>.out`. */
  session: Schema.String,
});
export type PodStreamRequest = typeof PodStreamRequest.Type;

export const nodeStream = requestSubject({
  pattern: "kube.node.{node}.stream",
  example: `nats sub 'kube.stream.demo.out' & nats request kube.node.node-1.stream '{"kind":"exec","namespace":"default","pod":"bb","container":"bb","command":["echo","hi"],"stdout":true,"session":"demo"}'`,
  description:
    "Opens an interactive session with a pod on the node that runs it (`kubectl exec`, `attach`, `port-forward`, relayed by the API server). The reply accepts it (`{node}`) or refuses it with a Status (`container not found (\"x\")`, `exec and attach are not supported for simulated containers`); the session's bytes then flow on `kube.stream.<session>.in` and `.out`.",
  publishers: ["apiserver (pods/exec, pods/attach, pods/portforward)"],
  subscribers: ["kubelet (the process running the node)"],
  request: PodStreamRequest,
  response: Schema.Struct({ node: Schema.String }),
});

/**
 * One message of a session, either way. `channel` is the Kubernetes stream
 * channel for exec/attach (0 stdin, 1 stdout, 2 stderr) and the connection
 * number for port-forward. `ack` returns credit (bytes written on) so that a
 * slow reader pauses the writer; `ping` says the peer is alive.
 */
export const PodStreamMessage = Schema.Union(
  Schema.Struct({ type: Schema.Literal("data"), channel: Schema.Number, data: Schema.String }),
  /** The writer of a channel is done (stdin EOF, a port-forward connection half-closed). */
  Schema.Struct({ type: Schema.Literal("close"), channel: Schema.Number }),
  Schema.Struct({ type: Schema.Literal("ack"), bytes: Schema.Number }),
  Schema.Struct({ type: Schema.Literal("ping") }),
  /** API server → node: the terminal size changed (exec/attach with tty). */
  Schema.Struct({ type: Schema.Literal("resize"), width: Schema.Number, height: Schema.Number }),
  /** API server → node: a new port-forward connection to `port` (its channel is the connection number). */
  Schema.Struct({ type: Schema.Literal("open"), channel: Schema.Number, port: Schema.Number }),
  /** Node → API server: a port-forward connection failed (the message goes to kubectl's error stream). */
  Schema.Struct({ type: Schema.Literal("error"), channel: Schema.Number, message: Schema.String }),
  /** The session is over: from the node with the exec's result as a Status (exit code in its causes), from the API server when the client left. */
  Schema.Struct({ type: Schema.Literal("end"), status: Schema.optional(Schema.Unknown) }),
);
export type PodStreamMessage = typeof PodStreamMessage.Type;

export const podStreamIn = eventSubject({
  pattern: "kube.stream.{session}.in",
  description:
    "API server → node for one session opened by `kube.node.<node>.stream`: stdin bytes (base64), stdin close, terminal resizes, new port-forward connections, credit (`ack`) for bytes the client received, pings every 10 s, and `end` when the client went away (the exec'd process is killed).",
  publishers: ["apiserver"],
  subscribers: ["kubelet"],
  schema: PodStreamMessage,
});

export const podStreamOut = eventSubject({
  pattern: "kube.stream.{session}.out",
  description:
    "Node → API server for one session: stdout/stderr (or port-forward) bytes (base64), credit for stdin bytes written, pings every 10 s, and `end` with the exec's Status (`NonZeroExitCode` with the code in its causes). 30 s of silence either way ends the session.",
  publishers: ["kubelet"],
  subscribers: ["apiserver (the request that opened it)"],
  schema: PodStreamMessage,
});

/** A CPU / memory reading, as Quantities (`250m`, `64Mi`): what metrics-server reports per container. */
export const ResourceUsage = Schema.Struct({ cpu: Schema.String, memory: Schema.String });
export type ResourceUsage = typeof ResourceUsage.Type;

/** One node's resource usage: the node as a whole and each running pod's containers. */
export const NodeStats = Schema.Struct({
  node: Schema.String,
  /** When the reading was taken (RFC 3339). */
  timestamp: Schema.String,
  /** The interval the CPU rate is averaged over (a Go duration, `1s`). */
  window: Schema.String,
  usage: ResourceUsage,
  pods: Schema.Array(
    Schema.Struct({
      namespace: Schema.String,
      name: Schema.String,
      containers: Schema.Array(Schema.Struct({ name: Schema.String, usage: ResourceUsage })),
    }),
  ),
});
export type NodeStats = typeof NodeStats.Type;

export const nodeStats = requestSubject({
  pattern: "kube.node.{node}.stats",
  example: `nats request kube.node.node-1.stats '{}'`,
  description:
    "A node's resource usage (the kubelet's summary, as metrics-server reads it): the node's CPU and memory and each running container's, from /proc for processes and the `cpu` / `memory` sim annotations for simulated containers (0 without them). The API server serves metrics.k8s.io (`kubectl top`) from it.",
  publishers: ["apiserver (metrics.k8s.io)"],
  subscribers: ["kubelet (the process running the node)"],
  request: Schema.Struct({}),
  response: NodeStats,
});
