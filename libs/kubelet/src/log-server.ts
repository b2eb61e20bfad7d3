/**
 * The kubelet's side of `kubectl logs`: answers `kube.node.<node>.logs` for
 * the nodes this process runs, checks the container as the kubelet's
 * validateContainerLogStatus does, then streams the CRI log file as
 * `kube.logs.<stream>` chunks (following while the container runs, until
 * `kube.logs.<stream>.cancel`). Simulated containers write nothing, so their
 * log is empty.
 */
import { badRequest, notFound } from "@kubeactor/api";
import { type Bus, type BusSubscription, type JsonObject, NO_REPLY, nodeLogs, type PodLogRequest, podLogCancel, podLogStream } from "@kubeactor/bus";
import { LABEL_CONTAINER_NAME, LABEL_POD_UID, type ContainerStatus } from "./runtime/cri.ts";
import { readCriLog } from "./runtime/logs.ts";
import { runtimeContainerId } from "./pod-status.ts";
import type { NodeRuntime } from "./runtime/node-runtime.ts";

/** Chunks stay well under NATS' payload limit once base64-encoded. */
const CHUNK_BYTES = 256 * 1024;
/** An empty chunk this often tells the API server the node is still there (it gives up after LOG_IDLE_MS of silence). */
export const LOG_HEARTBEAT_MS = 10_000;

type State = { waiting?: { reason?: string }; running?: object; terminated?: { containerID?: string } };
type Status = { name: string; containerID?: string; state?: State; lastState?: State };

export interface LogServerOptions {
  readonly bus: Bus;
  readonly runtime: (node: string) => NodeRuntime | undefined;
  /** The pod as this kubelet knows it (its informer). */
  readonly pod: (namespace: string, name: string) => JsonObject | undefined;
  readonly log?: (line: string) => void;
}

const stripScheme = (id: string | undefined) => (id ? runtimeContainerId(id) : undefined);

/** The kubelet's validateContainerLogStatus: which container's log to read, or a 400 with Kubernetes' message. */
export const containerForLogs = (pod: JsonObject, container: string, previous: boolean): string | undefined => {
  const name = (pod.metadata as { name: string }).name;
  const st = (pod.status ?? {}) as { containerStatuses?: Status[]; initContainerStatuses?: Status[]; ephemeralContainerStatuses?: Status[] };
  const s = [...(st.containerStatuses ?? []), ...(st.initContainerStatuses ?? []), ...(st.ephemeralContainerStatuses ?? [])].find((c) => c.name === container);
  if (!s) throw badRequest(`container "${container}" in pod "${name}" is waiting to start: ContainerCreating`);
  const lastTerminated = s.lastState?.terminated;
  if (previous) {
    if (!lastTerminated?.containerID) throw badRequest(`previous terminated container "${container}" in pod "${name}" not found`);
    return stripScheme(lastTerminated.containerID);
  }
  if (s.state?.running || s.state?.terminated) {
    const id = s.state.terminated?.containerID ?? s.containerID;
    if (!id) throw badRequest(`container "${container}" in pod "${name}" is terminated`);
    return stripScheme(id);
  }
  if (lastTerminated) {
    // A crash-looping container shows its last run's log.
    if (!lastTerminated.containerID) throw badRequest(`container "${container}" in pod "${name}" is terminated`);
    return stripScheme(lastTerminated.containerID);
  }
  if (s.state?.waiting) {
    // The kubelet words the most common pending failures itself.
    const reason = s.state.waiting.reason ?? "ContainerCreating";
    const why = reason === "ErrImagePull" ? "image can't be pulled" : reason === "ImagePullBackOff" ? "trying and failing to pull image" : reason;
    throw badRequest(`container "${container}" in pod "${name}" is waiting to start: ${why}`);
  }
  throw badRequest(`container "${container}" in pod "${name}" is waiting to start: ContainerCreating`);
};

export const serveLogs = (opts: LogServerOptions): BusSubscription =>
  opts.bus.serve(nodeLogs, async (req, params) => {
    const node = params.node!;
    const runtime = opts.runtime(node);
    if (!runtime) return NO_REPLY;
    const pod = opts.pod(req.namespace, req.pod);
    const uid = (pod?.metadata as { uid?: string } | undefined)?.uid;
    if (!pod || (req.uid && uid !== req.uid)) throw notFound({ group: "", resource: "pods" }, req.pod);
    const containerId = containerForLogs(pod, req.container, req.previous ?? false);
    // The runtime's record; by labels when the status lags behind (a restart just happened).
    let status: ContainerStatus | undefined = containerId ? await runtime.containerStatus(containerId).catch(() => undefined) : undefined;
    if (!status) {
      const all = await runtime.listContainers({ labels: { [LABEL_POD_UID]: uid!, [LABEL_CONTAINER_NAME]: req.container } });
      status = all.sort((a, b) => b.attempt - a.attempt)[req.previous ? 1 : 0];
    }
    void stream(opts, runtime, req, status);
    return { node, container: req.container };
  });

const stream = async (opts: LogServerOptions, runtime: NodeRuntime, req: PodLogRequest, status: ContainerStatus | undefined): Promise<void> => {
  const abort = new AbortController();
  const cancel = opts.bus.subscribe(podLogCancel, { stream: req.stream }, () => abort.abort());
  let seq = 0;
  let pending: Buffer[] = [];
  let size = 0;
  const flush = () => {
    if (size === 0) return;
    const all = Buffer.concat(pending);
    pending = [];
    size = 0;
    for (let i = 0; i < all.length; i += CHUNK_BYTES) {
      opts.bus.publish(podLogStream, { stream: req.stream }, { type: "data", seq: seq++, data: all.subarray(i, i + CHUNK_BYTES).toString("base64") });
    }
  };
  let timer: NodeJS.Timeout | undefined;
  const emit = (b: Buffer) => {
    pending.push(b);
    size += b.length;
    if (size >= CHUNK_BYTES) flush();
    else timer ??= setTimeout(() => ((timer = undefined), flush()), 20);
  };
  const heartbeat = setInterval(() => {
    flush();
    opts.bus.publish(podLogStream, { stream: req.stream }, { type: "data", seq: seq++, data: "" });
  }, LOG_HEARTBEAT_MS);
  let error: string | undefined;
  try {
    // Let the reply reach the API server before the first chunk.
    await new Promise((r) => setTimeout(r, 0));
    if (status?.logPath) {
      const id = status.id;
      const sinceMs = req.sinceTime ? Date.parse(req.sinceTime) : undefined;
      await readCriLog(
        status.logPath,
        {
          ...(req.tailLines !== undefined ? { tailLines: req.tailLines } : {}),
          ...(sinceMs !== undefined && Number.isFinite(sinceMs) ? { sinceMs } : {}),
          ...(req.timestamps ? { timestamps: true } : {}),
          ...(req.limitBytes !== undefined ? { limitBytes: req.limitBytes } : {}),
          ...(req.follow ? { follow: true } : {}),
        },
        emit,
        () => runtime.proc.pidOf(id) !== undefined,
        abort.signal,
      );
    }
  } catch (e) {
    error = (e as Error).message;
    opts.log?.(`logs ${req.namespace}/${req.pod}/${req.container}: ${error}`);
  } finally {
    clearInterval(heartbeat);
    if (timer) clearTimeout(timer);
    flush();
    opts.bus.publish(podLogStream, { stream: req.stream }, { type: "end", seq: seq++, ...(error ? { error } : {}) });
    cancel.unsubscribe();
  }
};
