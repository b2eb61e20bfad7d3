/**
 * The runtime a node offers: RuntimeClass handlers `process` (real
 * processes, process.ts), `sim` (sim.ts) and the default `auto` — an image
 * the local catalogue has runs as a process, any other is simulated, so
 * every tutorial's pods still start. One sandbox per pod, whatever its
 * containers run on: the sim runtime allocates it (and its IP) and the
 * process runtime registers the same id, IP and pod directory.
 */
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
  type ExecOptions,
  type StreamSession,
} from "./cri.ts";
import type { ProcessRuntime } from "./process.ts";
import type { SimRuntime } from "./sim.ts";

export const HANDLER_PROCESS = "process";
export const HANDLER_SIM = "sim";
/** The handler of pods without runtimeClassName. */
export const HANDLER_AUTO = "auto";
export const NODE_HANDLERS = [HANDLER_PROCESS, HANDLER_SIM, HANDLER_AUTO] as const;

/** Normal event reason when `auto` simulates an image the catalogue does not have. */
export const REASON_SIMULATED = "Simulated";
export const simulatedMessage = (image: string) => `image "${image}" is not in the local image catalogue; the container is simulated`;

export class NodeRuntime implements ContainerRuntime {
  readonly version = "kubeactor://0.1.0";

  constructor(
    readonly sim: SimRuntime,
    readonly proc: ProcessRuntime,
  ) {}

  /** Which runtime runs an image for a sandbox's handler. */
  which(image: string, sandbox: PodSandboxConfig | undefined): "process" | "sim" {
    const handler = sandbox?.runtimeHandler ?? HANDLER_AUTO;
    if (handler === HANDLER_PROCESS) return "process";
    if (handler === HANDLER_SIM) return "sim";
    return this.proc.catalogue.resolve(image) ? "process" : "sim";
  }

  private pick(image: string, sandbox: PodSandboxConfig | undefined): ContainerRuntime {
    return this.which(image, sandbox) === "process" ? this.proc : this.sim;
  }

  private owner(containerId: string): ContainerRuntime {
    return this.proc.hasContainer(containerId) ? this.proc : this.sim;
  }

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    const handler = config.runtimeHandler ?? HANDLER_AUTO;
    if (!(NODE_HANDLERS as readonly string[]).includes(handler)) throw new RuntimeError("CreateContainerError", `no runtime for "${handler}" is configured`);
    const id = await this.sim.runPodSandbox(config);
    this.proc.addSandbox(id, config, (await this.sim.podSandboxStatus(id)).ip);
    return id;
  }

  async stopPodSandbox(sandboxId: string): Promise<void> {
    await this.proc.stopPodSandbox(sandboxId);
    await this.sim.stopPodSandbox(sandboxId);
  }

  async removePodSandbox(sandboxId: string): Promise<void> {
    await this.proc.removePodSandbox(sandboxId);
    await this.sim.removePodSandbox(sandboxId);
  }

  podSandboxStatus(sandboxId: string): Promise<PodSandboxStatus> {
    return this.sim.podSandboxStatus(sandboxId);
  }

  listPodSandboxes(filter?: { readonly uid?: string }): Promise<PodSandboxStatus[]> {
    return this.sim.listPodSandboxes(filter);
  }

  createContainer(sandboxId: string, config: ContainerConfig, sandbox: PodSandboxConfig): Promise<string> {
    return this.pick(config.image, sandbox).createContainer(sandboxId, config, sandbox);
  }

  startContainer(containerId: string): Promise<void> {
    return this.owner(containerId).startContainer(containerId);
  }

  stopContainer(containerId: string, timeoutSeconds: number): Promise<void> {
    return this.owner(containerId).stopContainer(containerId, timeoutSeconds);
  }

  removeContainer(containerId: string): Promise<void> {
    return this.owner(containerId).removeContainer(containerId);
  }

  containerStatus(containerId: string): Promise<ContainerStatus> {
    return this.owner(containerId).containerStatus(containerId);
  }

  async listContainers(filter?: ContainerFilter): Promise<ContainerStatus[]> {
    return [...(await this.proc.listContainers(filter)), ...(await this.sim.listContainers(filter))];
  }

  pullImage(image: string, policy: string, sandbox: PodSandboxConfig): Promise<string> {
    return this.pick(image, sandbox).pullImage(image, policy, sandbox);
  }

  imageStatus(image: string, sandbox?: PodSandboxConfig): Promise<ImageStatus | undefined> {
    return this.pick(image, sandbox).imageStatus(image);
  }

  simulates(image: string, sandbox: PodSandboxConfig): boolean {
    return this.which(image, sandbox) === "sim";
  }

  events(listener: (e: ContainerEvent) => void): () => void {
    const a = this.proc.events(listener);
    const b = this.sim.events(listener);
    return () => (a(), b());
  }

  execSync(containerId: string, cmd: readonly string[], timeoutSeconds: number): Promise<ExecSyncResult> {
    return this.owner(containerId).execSync(containerId, cmd, timeoutSeconds);
  }

  /** Fault injection (`container.exit`): a process container is SIGKILLed, a simulated one exits. */
  crash(filter: { namespace: string; pod: string; container: string }, exitCode: number): boolean {
    return this.proc.crash(filter, exitCode) || this.sim.crash(filter, exitCode);
  }

  usage(containerId: string): { cpu?: string; memory?: string } {
    return this.proc.hasContainer(containerId) ? this.proc.usage(containerId) : this.sim.usage(containerId);
  }

  exec(containerId: string, cmd: readonly string[], opts: ExecOptions): Promise<StreamSession> {
    return this.proc.hasContainer(containerId) ? this.proc.exec(containerId, cmd, opts) : this.sim.exec(containerId);
  }

  attach(containerId: string, opts: ExecOptions): Promise<StreamSession> {
    return this.proc.hasContainer(containerId) ? this.proc.attach(containerId, opts) : this.sim.attach(containerId);
  }

  /** To the pod IP when one of the pod's containers is a process; simulated pods have nothing listening. */
  async portForward(sandboxId: string, port: number): Promise<import("node:net").Socket> {
    const procs = await this.proc.listContainers({ sandboxId });
    return procs.some((c) => c.state === "CONTAINER_RUNNING") ? this.proc.portForward(sandboxId, port) : this.sim.portForward();
  }

  get ipsInUse(): number {
    return this.sim.ipsInUse;
  }

  close(): void {
    this.proc.close();
    this.sim.close();
  }
}
