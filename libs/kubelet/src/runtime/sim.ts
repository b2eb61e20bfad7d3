/**
 * The `sim` container runtime: no processes, only records and timers. Image
 * pulls take a configurable latency and are cached per node; containers run
 * until stopped unless the pod's annotations script them (see
 * libs/kubelet/README.md, "Sim annotations"). One instance per node.
 */
import { createHash, randomBytes } from "node:crypto";
import {
  type ContainerConfig,
  type ContainerEvent,
  type ExecSyncResult,
  type ContainerFilter,
  type ContainerRuntime,
  type ContainerStatus,
  type ImageStatus,
  type PodSandboxConfig,
  type PodSandboxStatus,
  RuntimeError,
} from "./cri.ts";
import { type Clock, realClock } from "./clock.ts";
import { IpAllocator } from "./ipam.ts";

export const SIM_PREFIX = "sim.kubeactor.io/";
export const SimAnnotations = {
  /** Seconds a container runs before it exits by itself (init containers default to 0, regular ones run forever). */
  runSeconds: "run-seconds",
  /** Exit code when run-seconds elapse (default 0). */
  exitCode: "exit-code",
  /** "false": the container never turns ready. */
  ready: "ready",
  /** Every pull of the pod's images fails with this message (ErrImagePull). */
  pullError: "pull-error",
  /** Pull latency override in seconds. */
  pullSeconds: "pull-seconds",
  /** Seconds a container takes to exit after SIGTERM (default 0); longer than the grace period → SIGKILL, exit 137. */
  stopSeconds: "stop-seconds",
  /** Comma-separated probe kinds (`liveness`, `readiness`, `startup`, or `all`) that fail on this container (probes of simulated containers succeed otherwise). */
  probeFail: "probe-fail",
  /** Exit code of every command exec'd in the container (default 0). */
  execExitCode: "exec-exit-code",
  /** Simulated usage, for metrics. */
  cpu: "cpu",
  memory: "memory",
} as const;

/**
 * A sim setting for one container: `sim.kubeactor.io/<container>.<key>`
 * wins over the pod-wide `sim.kubeactor.io/<key>`.
 */
export const simSetting = (annotations: Readonly<Record<string, string>> | undefined, container: string, key: string): string | undefined =>
  annotations?.[`${SIM_PREFIX}${container}.${key}`] ?? annotations?.[`${SIM_PREFIX}${key}`];

export interface SimRuntimeOptions {
  /** The node's pod CIDR, where sandbox IPs come from. */
  readonly podCIDR: string;
  /** Image pull latency (default 300 ms). */
  readonly pullMs?: number;
  readonly clock?: Clock;
}

interface SimContainer {
  status: Mutable<ContainerStatus>;
  config: ContainerConfig;
  sandbox: PodSandboxConfig;
  timer?: unknown;
  stopping?: Promise<void>;
  wake?: () => void;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const hex = (n: number) => randomBytes(n).toString("hex");
export const simImageRef = (image: string) => `sim://sha256:${createHash("sha256").update(image).digest("hex")}`;

/** Why exec/attach fail on a simulated container. */
export const simulatedStreamMessage = (verb: string, container: string) =>
  `cannot ${verb} container "${container}": it is simulated (no process runs); run the pod with runtimeClassName: process and an image from the local image catalogue`;

export class SimRuntime implements ContainerRuntime {
  readonly version = "sim://0.1.0";
  private readonly clock: Clock;
  private readonly pullMs: number;
  private readonly ips: IpAllocator;
  private readonly sandboxes = new Map<string, Mutable<PodSandboxStatus>>();
  private readonly containers = new Map<string, SimContainer>();
  private readonly images = new Map<string, ImageStatus>();
  private readonly pulling = new Map<string, Promise<string>>();
  private readonly listeners = new Set<(e: ContainerEvent) => void>();
  private closed = false;

  constructor(opts: SimRuntimeOptions) {
    this.clock = opts.clock ?? realClock;
    this.pullMs = opts.pullMs ?? 300;
    this.ips = new IpAllocator(opts.podCIDR);
  }

  /** Addresses handed out, for tests and metrics. */
  get ipsInUse(): number {
    return this.ips.inUse;
  }

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    const id = hex(32);
    this.sandboxes.set(id, { id, state: "SANDBOX_READY", createdAt: this.clock.now(), ip: this.ips.allocate(), config });
    return id;
  }

  async stopPodSandbox(sandboxId: string): Promise<void> {
    const sb = this.sandboxes.get(sandboxId);
    if (!sb) return;
    await Promise.all([...this.containers.values()].filter((c) => c.status.sandboxId === sandboxId).map((c) => this.stopContainer(c.status.id, 0)));
    if (sb.state === "SANDBOX_READY") {
      sb.state = "SANDBOX_NOTREADY";
      this.ips.release(sb.ip);
    }
  }

  async removePodSandbox(sandboxId: string): Promise<void> {
    await this.stopPodSandbox(sandboxId);
    for (const c of [...this.containers.values()]) if (c.status.sandboxId === sandboxId) this.containers.delete(c.status.id);
    this.sandboxes.delete(sandboxId);
  }

  async podSandboxStatus(sandboxId: string): Promise<PodSandboxStatus> {
    const sb = this.sandboxes.get(sandboxId);
    if (!sb) throw new RuntimeError("NotFound", `sandbox ${sandboxId} not found`);
    return { ...sb };
  }

  async listPodSandboxes(filter: { uid?: string } = {}): Promise<PodSandboxStatus[]> {
    return [...this.sandboxes.values()].filter((s) => !filter.uid || s.config.uid === filter.uid).map((s) => ({ ...s }));
  }

  async createContainer(sandboxId: string, config: ContainerConfig, sandbox: PodSandboxConfig): Promise<string> {
    const sb = this.sandboxes.get(sandboxId);
    if (!sb || sb.state !== "SANDBOX_READY") throw new RuntimeError("CreateContainerError", `sandbox ${sandboxId} is not ready`);
    const id = hex(32);
    this.containers.set(id, {
      config,
      sandbox,
      status: {
        id,
        sandboxId,
        name: config.name,
        attempt: config.attempt,
        state: "CONTAINER_CREATED",
        image: config.image,
        imageRef: this.images.get(config.image)?.id ?? simImageRef(config.image),
        createdAt: this.clock.now(),
        labels: { ...(config.labels ?? {}) },
      },
    });
    return id;
  }

  async startContainer(containerId: string): Promise<void> {
    const c = this.mustGet(containerId);
    if (c.status.state !== "CONTAINER_CREATED") throw new RuntimeError("RunContainerError", `container ${containerId} is ${c.status.state}`);
    c.status.state = "CONTAINER_RUNNING";
    c.status.startedAt = this.clock.now();
    const run = simSetting(c.sandbox.annotations, c.config.name, SimAnnotations.runSeconds) ?? (c.config.kind === "init" ? "0" : undefined);
    if (run !== undefined && Number.isFinite(Number(run))) {
      const code = Number(simSetting(c.sandbox.annotations, c.config.name, SimAnnotations.exitCode) ?? 0);
      c.timer = this.clock.setTimeout(() => this.exit(c, Number.isFinite(code) ? code : 1), Number(run) * 1000);
    }
    this.emit({ type: "started", container: { ...c.status } });
  }

  async stopContainer(containerId: string, timeoutSeconds: number): Promise<void> {
    const c = this.containers.get(containerId);
    if (!c || c.status.state === "CONTAINER_EXITED") return;
    if (c.status.state === "CONTAINER_CREATED") {
      this.exit(c, 0, "Completed");
      return;
    }
    if (c.stopping) return c.stopping;
    const takes = Number(simSetting(c.sandbox.annotations, c.config.name, SimAnnotations.stopSeconds) ?? 0) * 1000;
    const grace = Math.max(0, timeoutSeconds) * 1000;
    c.stopping = new Promise<void>((resolve) => {
      c.wake = resolve;
      if (takes <= 0) {
        this.exit(c, 0);
        return;
      }
      // SIGTERM: it exits when it is done, or SIGKILL at the deadline.
      this.clock.setTimeout(() => this.exit(c, takes <= grace ? 0 : 137), Math.min(takes, grace));
    });
    return c.stopping;
  }

  async removeContainer(containerId: string): Promise<void> {
    const c = this.containers.get(containerId);
    if (!c) return;
    if (c.status.state === "CONTAINER_RUNNING") await this.stopContainer(containerId, 0);
    this.containers.delete(containerId);
  }

  async containerStatus(containerId: string): Promise<ContainerStatus> {
    return { ...this.mustGet(containerId).status };
  }

  async listContainers(filter: ContainerFilter = {}): Promise<ContainerStatus[]> {
    const out: ContainerStatus[] = [];
    for (const c of this.containers.values()) {
      if (filter.sandboxId && c.status.sandboxId !== filter.sandboxId) continue;
      if (filter.labels && !Object.entries(filter.labels).every(([k, v]) => c.status.labels[k] === v)) continue;
      out.push({ ...c.status });
    }
    return out;
  }

  async pullImage(image: string, policy: string, sandbox: PodSandboxConfig): Promise<string> {
    const cached = this.images.get(image);
    if (policy === "Never") {
      if (cached) return cached.id;
      throw new RuntimeError("ErrImageNeverPull", `Container image "${image}" is not present with pull policy of Never`);
    }
    if (policy !== "Always" && cached) return cached.id;
    const failure = sandbox.annotations?.[`${SIM_PREFIX}${SimAnnotations.pullError}`];
    const secs = Number(sandbox.annotations?.[`${SIM_PREFIX}${SimAnnotations.pullSeconds}`]);
    const latency = Number.isFinite(secs) ? secs * 1000 : this.pullMs;
    if (failure !== undefined) {
      await this.sleep(latency);
      throw new RuntimeError("ErrImagePull", `failed to pull and unpack image "${image}": ${failure}`);
    }
    const inFlight = this.pulling.get(image);
    if (inFlight) return inFlight;
    const p = this.sleep(latency).then(() => {
      const status = { image, id: simImageRef(image), size: 10_000_000 + (parseInt(simImageRef(image).slice(-6), 16) % 90_000_000) };
      this.images.set(image, status);
      return status.id;
    });
    this.pulling.set(image, p);
    try {
      return await p;
    } finally {
      this.pulling.delete(image);
    }
  }

  async imageStatus(image: string): Promise<ImageStatus | undefined> {
    return this.images.get(image);
  }

  simulates(): boolean {
    return true;
  }

  events(listener: (e: ContainerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Fault injection: the container's process dies now with `exitCode`
   * (the bus' crash-container). False when no such running container exists.
   */
  crash(filter: { namespace: string; pod: string; container: string }, exitCode: number): boolean {
    for (const c of this.containers.values()) {
      if (
        c.status.state === "CONTAINER_RUNNING" &&
        c.sandbox.namespace === filter.namespace &&
        c.sandbox.name === filter.pod &&
        c.config.name === filter.container
      ) {
        this.exit(c, exitCode);
        return true;
      }
    }
    return false;
  }

  /** Simulated usage of a container (from the sim annotations), for metrics. */
  usage(containerId: string): { cpu?: string; memory?: string } {
    const c = this.mustGet(containerId);
    const cpu = simSetting(c.sandbox.annotations, c.config.name, SimAnnotations.cpu);
    const memory = simSetting(c.sandbox.annotations, c.config.name, SimAnnotations.memory);
    return { ...(cpu ? { cpu } : {}), ...(memory ? { memory } : {}) };
  }

  /** Drops every timer and record (the node is gone). */
  /** Simulated containers have no process to enter: a clear refusal instead of a hang. */
  async exec(containerId: string): Promise<never> {
    throw new RuntimeError("RunContainerError", simulatedStreamMessage("exec into", this.containers.get(containerId)?.config.name ?? containerId));
  }

  async attach(containerId: string): Promise<never> {
    throw new RuntimeError("RunContainerError", simulatedStreamMessage("attach to", this.containers.get(containerId)?.config.name ?? containerId));
  }

  async portForward(): Promise<never> {
    throw new RuntimeError("RunContainerError", "cannot port-forward to a pod whose containers are simulated: nothing listens on its IP (run it with runtimeClassName: process and an image from the local image catalogue)");
  }

  close(): void {
    this.closed = true;
    for (const c of this.containers.values()) if (c.timer !== undefined) this.clock.clearTimeout(c.timer);
    this.containers.clear();
    this.sandboxes.clear();
    this.listeners.clear();
  }

  private exit(c: SimContainer, exitCode: number, reason?: string): void {
    if (c.status.state === "CONTAINER_EXITED") return;
    if (c.timer !== undefined) this.clock.clearTimeout(c.timer);
    c.status.state = "CONTAINER_EXITED";
    c.status.exitCode = exitCode;
    c.status.finishedAt = this.clock.now();
    c.status.reason = reason ?? (exitCode === 0 ? "Completed" : "Error");
    c.wake?.();
    if (!this.closed) this.emit({ type: "exited", container: { ...c.status } });
  }

  private emit(e: ContainerEvent): void {
    for (const l of this.listeners) l(e);
  }

  /**
   * Nothing runs in a simulated container, so a command "succeeds" at once
   * with no output; `sim.kubeactor.io/exec-exit-code` makes it fail instead.
   */
  async execSync(containerId: string, _cmd: readonly string[], _timeoutSeconds: number): Promise<ExecSyncResult> {
    const c = this.mustGet(containerId);
    if (c.status.state !== "CONTAINER_RUNNING") throw new RuntimeError("NotFound", `container ${containerId} is not running`);
    return { exitCode: Number(simSetting(c.sandbox.annotations, c.config.name, SimAnnotations.execExitCode) ?? 0) || 0, stdout: "", stderr: "" };
  }

  private mustGet(id: string): SimContainer {
    const c = this.containers.get(id);
    if (!c) throw new RuntimeError("NotFound", `container ${id} not found`);
    return c;
  }

  private sleep(ms: number): Promise<void> {
    return ms <= 0 ? Promise.resolve() : new Promise((r) => this.clock.setTimeout(r, ms));
  }
}
