/**
 * The container runtime interface, shaped like Kubernetes' CRI
 * (RuntimeService + ImageService): pod sandboxes own the network (the pod IP),
 * containers live in a sandbox, images are pulled per node. One runtime
 * instance serves one node. Every call may reject with a `RuntimeError`;
 * nothing here retries — the pod machine owns back-off.
 *
 * `events` stands in for CRI's GetContainerEvents stream (evented PLEG): the
 * kubelet learns that a container exited from it instead of polling.
 */

/** CRI labels the kubelet puts on containers; the runtime only stores them. */
/** Which list of the pod spec a container comes from: initContainers, containers or ephemeralContainers (kubectl debug). */
export type ContainerKind = "init" | "regular" | "ephemeral";

export const LABEL_POD_NAME = "io.kubernetes.pod.name";
export const LABEL_POD_NAMESPACE = "io.kubernetes.pod.namespace";
export const LABEL_POD_UID = "io.kubernetes.pod.uid";
export const LABEL_CONTAINER_NAME = "io.kubernetes.container.name";

export interface PodSandboxConfig {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  /** spec.hostname when the pod sets one (the name otherwise). */
  readonly hostname?: string;
  /**
   * The RuntimeClass handler the pod asked for (`process`, `sim`) or `auto`
   * (no runtimeClassName: catalogue images run as processes, others simulated).
   */
  readonly runtimeHandler?: string;
}

export interface PodSandboxStatus {
  readonly id: string;
  readonly state: "SANDBOX_READY" | "SANDBOX_NOTREADY";
  readonly createdAt: number;
  readonly ip: string;
  readonly config: PodSandboxConfig;
}

export interface ContainerConfig {
  readonly name: string;
  readonly image: string;
  /** Which of the pod's containers this is: regular or init (the sim scripts them differently). */
  readonly kind: ContainerKind;
  /** The restart attempt, as CRI's ContainerMetadata.attempt. */
  readonly attempt: number;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  /** The container's command and args as in the pod spec (the image's entrypoint applies when absent). */
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  /** The environment, already resolved by the kubelet (values, refs, service links), in order. */
  readonly envs?: readonly { readonly name: string; readonly value: string }[];
  readonly workingDir?: string;
  /** The pod's volumes and this container's mounts, as in the pod spec; the runtime materialises them. */
  readonly volumes?: readonly PodVolume[];
  readonly mounts?: readonly VolumeMountSpec[];
  /** Limits in bytes and millicores (memory enforced by the process runtime: OOMKilled). */
  readonly memoryLimitBytes?: number;
  /** Where the process may write its termination message (under its rootfs), and whether a failed exit falls back to the log's tail. */
  readonly terminationMessagePath?: string;
  readonly terminationMessagePolicy?: string;
  /** The container's declared ports (the first becomes `PORT` for process containers). */
  readonly ports?: readonly number[];
  readonly cpuLimitMillis?: number;
  /** spec.stdin: the process gets an open stdin that `kubectl attach -i` writes to; stdinOnce closes it when the first attach ends. */
  readonly stdin?: boolean;
  readonly stdinOnce?: boolean;
}

/** The subset of a pod volume the process runtime understands (others are skipped). */
export interface PodVolume {
  readonly name: string;
  readonly emptyDir?: Readonly<Record<string, unknown>>;
  readonly hostPath?: { readonly path: string; readonly type?: string };
  readonly configMap?: { readonly name?: string; readonly items?: readonly KeyToPath[]; readonly defaultMode?: number; readonly optional?: boolean };
  readonly secret?: { readonly secretName?: string; readonly items?: readonly KeyToPath[]; readonly defaultMode?: number; readonly optional?: boolean };
  /** A claim: mounted as its bound PersistentVolume's hostPath (or local path). */
  readonly persistentVolumeClaim?: { readonly claimName: string; readonly readOnly?: boolean };
}
export interface KeyToPath {
  readonly key: string;
  readonly path: string;
  readonly mode?: number;
}
export interface VolumeMountSpec {
  readonly name: string;
  readonly mountPath: string;
  readonly subPath?: string;
  readonly readOnly?: boolean;
}

export type ContainerState = "CONTAINER_CREATED" | "CONTAINER_RUNNING" | "CONTAINER_EXITED" | "CONTAINER_UNKNOWN";

export interface ContainerStatus {
  readonly id: string;
  readonly sandboxId: string;
  readonly name: string;
  readonly attempt: number;
  readonly state: ContainerState;
  readonly image: string;
  /** `sim://sha256:...` for the sim runtime. */
  readonly imageRef: string;
  readonly createdAt: number;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  readonly exitCode?: number;
  /** Runtime reason for the exit (`Completed`, `Error`, `OOMKilled`). */
  readonly reason?: string;
  readonly message?: string;
  readonly labels: Readonly<Record<string, string>>;
  /** CRI's log_path: where the runtime writes the container's stdout/stderr (CRI log format); none for sim. */
  readonly logPath?: string;
  /** `sim` or `process`: which runtime runs it (the URL scheme of its containerID). */
  readonly runtime?: string;
}

export interface ImageStatus {
  readonly image: string;
  readonly id: string;
  readonly size: number;
}

export interface ContainerFilter {
  readonly sandboxId?: string;
  readonly labels?: Readonly<Record<string, string>>;
}

export type ContainerEvent =
  | { readonly type: "started"; readonly container: ContainerStatus }
  | { readonly type: "exited"; readonly container: ContainerStatus };

/** A pull error carries the kubelet's waiting reason (`ErrImagePull`, `ErrImageNeverPull`). */
export class RuntimeError extends Error {
  readonly _tag = "RuntimeError";
  constructor(
    readonly reason: "ErrImagePull" | "ErrImageNeverPull" | "NotFound" | "CreateContainerError" | "RunContainerError",
    message: string,
  ) {
    super(message);
  }
}

export interface ContainerRuntime {
  /** `sim://0.1.0`: the Node's containerRuntimeVersion. */
  readonly version: string;

  runPodSandbox(config: PodSandboxConfig): Promise<string>;
  /** Stops every container of the sandbox (grace 0) and releases its IP. Idempotent. */
  stopPodSandbox(sandboxId: string): Promise<void>;
  removePodSandbox(sandboxId: string): Promise<void>;
  podSandboxStatus(sandboxId: string): Promise<PodSandboxStatus>;
  listPodSandboxes(filter?: { readonly uid?: string }): Promise<PodSandboxStatus[]>;

  createContainer(sandboxId: string, config: ContainerConfig, sandbox: PodSandboxConfig): Promise<string>;
  startContainer(containerId: string): Promise<void>;
  /** SIGTERM, then SIGKILL after `timeoutSeconds`; resolves once the container exited. Idempotent. */
  stopContainer(containerId: string, timeoutSeconds: number): Promise<void>;
  removeContainer(containerId: string): Promise<void>;
  containerStatus(containerId: string): Promise<ContainerStatus>;
  listContainers(filter?: ContainerFilter): Promise<ContainerStatus[]>;

  /**
   * Pulls the image honouring the pod's imagePullPolicy (`Always`,
   * `IfNotPresent`, `Never` → ErrImageNeverPull when absent); resolves to the image ref.
   */
  pullImage(image: string, policy: string, sandbox: PodSandboxConfig): Promise<string>;
  /** The sandbox, when given, decides which runtime is asked (a node offers several handlers). */
  imageStatus(image: string, sandbox?: PodSandboxConfig): Promise<ImageStatus | undefined>;

  /**
   * True when the image will be simulated for this sandbox (nothing reads its
   * environment, so the kubelet skips the Services lookup for it). Absent: false.
   */
  simulates?(image: string, sandbox: PodSandboxConfig): boolean;

  /** Subscribe to container lifecycle events; returns the unsubscribe. */
  events(listener: (e: ContainerEvent) => void): () => void;

  /**
   * CRI's ExecSync: runs `cmd` in the running container (its environment and
   * working directory), collects its output and exit code. Past
   * `timeoutSeconds` (0: none) the command is killed and `timedOut` is set.
   * Rejects with NotFound when the container is not running.
   */
  execSync(containerId: string, cmd: readonly string[], timeoutSeconds: number): Promise<ExecSyncResult>;
}

export interface ExecSyncResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut?: boolean;
}

/**
 * Streaming (CRI's Exec/Attach/PortForward, answered directly instead of
 * through a streaming URL): the kubelet's stream server relays these bytes to
 * the API server over the bus.
 */
export interface ExecOptions {
  readonly stdin?: boolean;
  /** A terminal: stdout and stderr are one stream; `resize` changes its size. */
  readonly tty?: boolean;
}

export interface StreamSession {
  /** Absent when the session has no stdin. */
  readonly stdin?: NodeJS.WritableStream;
  readonly stdout?: NodeJS.ReadableStream;
  /** Absent with a tty (merged into stdout). */
  readonly stderr?: NodeJS.ReadableStream;
  /** Resolves with the exit code (exec) or when the container exits (attach). */
  readonly done: Promise<number>;
  resize(width: number, height: number): void;
  /** The client left: an exec'd process is killed, an attach detaches. */
  close(): void;
}

export interface StreamingRuntime {
  exec?(containerId: string, cmd: readonly string[], opts: ExecOptions): Promise<StreamSession>;
  attach?(containerId: string, opts: ExecOptions): Promise<StreamSession>;
  /** A TCP connection to `port` on the sandbox's pod IP. */
  portForward?(sandboxId: string, port: number): Promise<import("node:net").Socket>;
}
