/**
 * The `process` container runtime: every container is a real OS process
 * group on the host, started from the local image catalogue (catalogue.ts).
 * NOT ISOLATED: a process container runs as the kubelet's user, sees the
 * host's files, network and processes; only its pod IP (a loopback address)
 * and its working directory are its own.
 *
 * - stdout/stderr go to `<data dir>/logs/<ns>_<pod>_<uid>/<container>/<attempt>.log`
 *   in the CRI log format, rotated (logs.ts);
 * - volumes live in `<data dir>/pods/<uid>/volumes`, configMap/secret
 *   projections are refreshed every `volumeSyncMs` (volumes.ts);
 * - CPU and memory are read from /proc every `pollMs` for the whole process
 *   group; over the memory limit the group is SIGKILLed (OOMKilled, 137);
 * - stop = SIGTERM to the group, SIGKILL after the grace period; when the
 *   main process ends, whatever it left in its group is killed, as when a
 *   container's init process dies.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { constants } from "node:os";
import { isAbsolute, join } from "node:path";
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
  type PodVolume,
  RuntimeError,
  type ExecOptions,
  type StreamSession,
} from "./cri.ts";
import { CATALOGUE_FILE, type ImageCatalogue } from "./catalogue.ts";
import { IpAllocator } from "./ipam.ts";
import { CriLogWriter, parseCriLog } from "./logs.ts";
import { emptyLookup, type ObjectLookup } from "./lookup.ts";
import { prepareRootfs, syncVolumes } from "./volumes.ts";
import { attachProcess, execProcess, forwardPort } from "./streams.ts";

export interface ProcessRuntimeOptions {
  /** Root of the pods' directories and logs (the kubelet's data dir). */
  readonly dataDir: string;
  readonly catalogue: ImageCatalogue;
  /** Where sandbox IPs come from when this runtime runs sandboxes itself. */
  readonly podCIDR?: string;
  readonly nodeName?: string;
  /** ConfigMaps and Secrets for volumes. */
  readonly lookup?: ObjectLookup;
  /** /proc sampling period (default 1000 ms). */
  readonly pollMs?: number;
  /** configMap/secret volume refresh period (default 5000 ms). */
  readonly volumeSyncMs?: number;
  readonly logMaxBytes?: number;
  readonly logMaxFiles?: number;
  readonly log?: (line: string) => void;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface Sandbox {
  status: Mutable<PodSandboxStatus>;
  podDir: string;
  logDir: string;
  /** False when the IP belongs to another runtime (adopted sandbox). */
  ownsIp: boolean;
  volumes?: readonly PodVolume[];
  syncTimer?: NodeJS.Timeout;
}

interface Proc {
  rootfs?: string;
  status: Mutable<ContainerStatus>;
  config: ContainerConfig;
  sandbox: PodSandboxConfig;
  child?: ChildProcess;
  writer?: CriLogWriter;
  stopping?: Promise<void>;
  killTimer?: NodeJS.Timeout;
  oom?: boolean;
  exitOverride?: number;
  exited?: Promise<void>;
  /** The environment and working directory the main process got (execSync runs commands with the same). */
  exec?: { env: Record<string, string>; cwd: string };
  cpu?: { ticks: number; at: number };
  usage: { cpuMillis: number; memoryBytes: number };
  /** The environment and directory the main process got: exec'd commands get the same. */
  env?: Record<string, string>;
  cwd?: string;
}

const hex = (n: number) => randomBytes(n).toString("hex");
const CLK_TCK = 100;
const PAGE = 4096;

export const processImageRef = (entrypoint: readonly string[], cmd: readonly string[]) =>
  `process://sha256:${createHash("sha256").update(JSON.stringify([entrypoint, cmd])).digest("hex")}`;

/** The message of a pull that the catalogue cannot serve: says how to add the image. */
export const notInCatalogueMessage = (image: string, catalogueFile: string) =>
  `image "${image}" is not in the local image catalogue: add it to ${catalogueFile} as {"${image}": ["<command>", "<arg>", ...]} (the command runs on the host), or run the pod with runtimeClassName: sim`;

/** Per process group: CPU ticks (utime+stime) and resident pages, from one pass over /proc. */
const sampleGroups = (): Map<number, { ticks: number; rssPages: number }> => {
  const out = new Map<number, { ticks: number; rssPages: number }>();
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((n) => /^\d+$/.test(n));
  } catch {
    return out;
  }
  for (const pid of pids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue;
    }
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const pgrp = Number(f[2]);
    const g = out.get(pgrp) ?? { ticks: 0, rssPages: 0 };
    g.ticks += Number(f[11]) + Number(f[12]);
    g.rssPages += Number(f[21]);
    out.set(pgrp, g);
  }
  return out;
};

export class ProcessRuntime implements ContainerRuntime {
  readonly version = "process://0.1.0";
  private readonly sandboxes = new Map<string, Sandbox>();
  private readonly containers = new Map<string, Proc>();
  private readonly listeners = new Set<(e: ContainerEvent) => void>();
  private readonly ips: IpAllocator | undefined;
  private readonly lookup: ObjectLookup;
  private readonly log: (line: string) => void;
  private monitor: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(readonly opts: ProcessRuntimeOptions) {
    this.ips = opts.podCIDR ? new IpAllocator(opts.podCIDR) : undefined;
    this.lookup = opts.lookup ?? emptyLookup;
    this.log = opts.log ?? (() => {});
  }

  /** Where users add images (the catalogue's file, else `<data dir>/images.json`). */
  private get catalogueFile(): string {
    return this.opts.catalogue.file ?? join(this.opts.dataDir, CATALOGUE_FILE);
  }

  get catalogue(): ImageCatalogue {
    return this.opts.catalogue;
  }

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    if (!this.ips) throw new RuntimeError("CreateContainerError", "the process runtime has no podCIDR to take sandbox IPs from");
    const id = hex(32);
    this.addSandbox(id, config, this.ips.allocate(), true);
    return id;
  }

  /** Registers a sandbox whose IP another runtime allocated (the node runtime shares one sandbox between runtimes). */
  addSandbox(id: string, config: PodSandboxConfig, ip: string, ownsIp = false): void {
    const podDir = join(this.opts.dataDir, "pods", config.uid);
    const logDir = join(this.opts.dataDir, "logs", `${config.namespace}_${config.name}_${config.uid}`);
    // Directories appear with the first process container: simulated pods (most, at scale) never touch the disk.
    this.sandboxes.set(id, { status: { id, state: "SANDBOX_READY", createdAt: Date.now(), ip, config }, podDir, logDir, ownsIp });
  }

  async stopPodSandbox(sandboxId: string): Promise<void> {
    const sb = this.sandboxes.get(sandboxId);
    if (!sb) return;
    await Promise.all([...this.containers.values()].filter((c) => c.status.sandboxId === sandboxId).map((c) => this.stopContainer(c.status.id, 0)));
    if (sb.syncTimer) clearInterval(sb.syncTimer);
    if (sb.status.state === "SANDBOX_READY") {
      sb.status.state = "SANDBOX_NOTREADY";
      if (sb.ownsIp) this.ips?.release(sb.status.ip);
    }
  }

  async removePodSandbox(sandboxId: string): Promise<void> {
    const sb = this.sandboxes.get(sandboxId);
    if (!sb) return;
    await this.stopPodSandbox(sandboxId);
    for (const c of [...this.containers.values()]) if (c.status.sandboxId === sandboxId) this.containers.delete(c.status.id);
    if (existsSync(sb.podDir)) {
      rmSync(sb.podDir, { recursive: true, force: true });
      rmSync(sb.logDir, { recursive: true, force: true });
    }
    this.sandboxes.delete(sandboxId);
  }

  async podSandboxStatus(sandboxId: string): Promise<PodSandboxStatus> {
    const sb = this.sandboxes.get(sandboxId);
    if (!sb) throw new RuntimeError("NotFound", `sandbox ${sandboxId} not found`);
    return { ...sb.status };
  }

  async listPodSandboxes(filter: { uid?: string } = {}): Promise<PodSandboxStatus[]> {
    return [...this.sandboxes.values()].filter((s) => !filter.uid || s.status.config.uid === filter.uid).map((s) => ({ ...s.status }));
  }

  hasSandbox(id: string): boolean {
    return this.sandboxes.has(id);
  }

  async createContainer(sandboxId: string, config: ContainerConfig, sandbox: PodSandboxConfig): Promise<string> {
    const sb = this.sandboxes.get(sandboxId);
    if (!sb || sb.status.state !== "SANDBOX_READY") throw new RuntimeError("CreateContainerError", `sandbox ${sandboxId} is not ready`);
    const img = this.opts.catalogue.resolve(config.image);
    if (!img) throw new RuntimeError("CreateContainerError", notInCatalogueMessage(config.image, this.catalogueFile));
    mkdirSync(sb.podDir, { recursive: true });
    if (config.volumes?.length) {
      sb.volumes = config.volumes;
      await syncVolumes(sb.podDir, sandbox.namespace, config.volumes, this.lookup);
      // Live updates of configMap/secret files, as the kubelet's periodic volume sync.
      if (!sb.syncTimer && config.volumes.some((v) => v.configMap || v.secret)) {
        sb.syncTimer = setInterval(() => {
          if (sb.volumes)
            syncVolumes(sb.podDir, sandbox.namespace, sb.volumes, this.lookup).catch((e) => this.log(`volumes of ${sandbox.namespace}/${sandbox.name}: ${(e as Error).message}`));
        }, this.opts.volumeSyncMs ?? 5000);
        sb.syncTimer.unref();
      }
    }
    const id = hex(32);
    const logPath = join(sb.logDir, config.name, `${config.attempt}.log`);
    this.containers.set(id, {
      config,
      sandbox,
      usage: { cpuMillis: 0, memoryBytes: 0 },
      status: {
        id,
        sandboxId,
        name: config.name,
        attempt: config.attempt,
        state: "CONTAINER_CREATED",
        image: config.image,
        imageRef: processImageRef(img.entrypoint, img.cmd),
        createdAt: Date.now(),
        labels: { ...(config.labels ?? {}) },
        logPath,
        runtime: "process",
      },
    });
    return id;
  }

  async startContainer(containerId: string): Promise<void> {
    const c = this.mustGet(containerId);
    if (c.status.state !== "CONTAINER_CREATED") throw new RuntimeError("RunContainerError", `container ${containerId} is ${c.status.state}`);
    const sb = this.sandboxes.get(c.status.sandboxId)!;
    const img = this.opts.catalogue.resolve(c.config.image);
    if (!img) throw new RuntimeError("RunContainerError", notInCatalogueMessage(c.config.image, this.catalogueFile));
    const cfg = c.config;
    const argv = cfg.command?.length ? [...cfg.command, ...(cfg.args ?? [])] : [...img.entrypoint, ...(cfg.args?.length ? cfg.args : img.cmd)];
    if (argv.length === 0) return this.failStart(c, `no command specified for image "${cfg.image}"`);

    const rootfs = prepareRootfs(sb.podDir, cfg.name, sb.volumes ?? cfg.volumes ?? [], cfg.mounts ?? []);
    c.rootfs = rootfs;
    let cwd = rootfs;
    if (cfg.workingDir) {
      cwd = isAbsolute(cfg.workingDir) && existsSync(cfg.workingDir) ? cfg.workingDir : join(rootfs, cfg.workingDir);
      mkdirSync(cwd, { recursive: true });
    }
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
      HOME: rootfs,
      HOSTNAME: c.sandbox.hostname ?? c.sandbox.name,
      KUBEACTOR_POD_NAME: c.sandbox.name,
      POD_IP: sb.status.ip,
      HOST: sb.status.ip,
      ...(cfg.ports?.length ? { PORT: String(cfg.ports[0]) } : {}),
      KUBEACTOR_ROOTFS: rootfs,
      KUBEACTOR_POD_NAMESPACE: c.sandbox.namespace,
      ...(this.opts.nodeName ? { KUBEACTOR_NODE_NAME: this.opts.nodeName } : {}),
    };
    for (const e of cfg.envs ?? []) env[e.name] = e.value;
    c.env = env;
    c.cwd = cwd;

    mkdirSync(join(sb.logDir, cfg.name), { recursive: true });
    c.writer = new CriLogWriter(c.status.logPath!, {
      ...(this.opts.logMaxBytes ? { maxBytes: this.opts.logMaxBytes } : {}),
      ...(this.opts.logMaxFiles ? { maxFiles: this.opts.logMaxFiles } : {}),
    });
    let child: ChildProcess;
    try {
      child = spawn(argv[0]!, argv.slice(1), { cwd, env, detached: true, stdio: [cfg.stdin ? "pipe" : "ignore", "pipe", "pipe"] });
    } catch (e) {
      return this.failStart(c, (e as Error).message);
    }
    const started = await new Promise<Error | undefined>((resolve) => {
      child.once("spawn", () => resolve(undefined));
      child.once("error", (e) => resolve(e));
    });
    if (started) {
      const code = (started as NodeJS.ErrnoException).code;
      return this.failStart(c, code === "ENOENT" ? `exec: "${argv[0]}": executable file not found in $PATH` : `exec: "${argv[0]}": ${started.message}`);
    }
    c.child = child;
    c.exec = { env, cwd };
    child.stdout!.on("data", (b: Buffer) => c.writer?.write("stdout", b));
    child.stderr!.on("data", (b: Buffer) => c.writer?.write("stderr", b));
    const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
    c.exited = new Promise<void>((resolve) => {
      child.once("exit", (code, signal) => {
        // The container's main process is gone: nothing in its group survives it.
        this.killGroup(child.pid, "SIGKILL");
        // Wait for the pipes to drain (bounded: a stray grandchild may hold them).
        void Promise.race([closed, new Promise((r) => setTimeout(r, 1000))]).then(() => {
          const exitCode = c.exitOverride ?? (code ?? 128 + (signal ? (constants.signals[signal] ?? 9) : 9));
          this.exit(c, c.oom ? 137 : exitCode, c.oom ? "OOMKilled" : undefined);
          resolve();
        });
      });
    });
    c.status.state = "CONTAINER_RUNNING";
    c.status.startedAt = Date.now();
    this.ensureMonitor();
    this.emit({ type: "started", container: { ...c.status } });
  }

  async stopContainer(containerId: string, timeoutSeconds: number): Promise<void> {
    const c = this.containers.get(containerId);
    if (!c || c.status.state === "CONTAINER_EXITED") return;
    if (c.status.state === "CONTAINER_CREATED" || !c.child) {
      this.exit(c, 0, "Completed");
      return;
    }
    if (c.stopping) return c.stopping;
    const pid = c.child.pid;
    c.stopping = (async () => {
      if (timeoutSeconds <= 0) this.killGroup(pid, "SIGKILL");
      else {
        this.killGroup(pid, "SIGTERM");
        c.killTimer = setTimeout(() => this.killGroup(pid, "SIGKILL"), timeoutSeconds * 1000);
      }
      await c.exited;
    })();
    return c.stopping;
  }

  async removeContainer(containerId: string): Promise<void> {
    const c = this.containers.get(containerId);
    if (!c) return;
    if (c.status.state === "CONTAINER_RUNNING") await this.stopContainer(containerId, 0);
    if (c.status.logPath) rmSync(c.status.logPath, { force: true });
    this.containers.delete(containerId);
  }

  async containerStatus(containerId: string): Promise<ContainerStatus> {
    return { ...this.mustGet(containerId).status };
  }

  hasContainer(id: string): boolean {
    return this.containers.has(id);
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

  /** Catalogue images are always present: "pulling" one only checks that the node has it. */
  async pullImage(image: string, _policy: string, _sandbox?: PodSandboxConfig): Promise<string> {
    const img = this.opts.catalogue.resolve(image);
    if (!img) {
      const why = this.opts.catalogue.error ? ` (${this.opts.catalogue.error})` : "";
      throw new RuntimeError("ErrImagePull", notInCatalogueMessage(image, this.catalogueFile) + why);
    }
    return processImageRef(img.entrypoint, img.cmd);
  }

  async imageStatus(image: string): Promise<ImageStatus | undefined> {
    const img = this.opts.catalogue.resolve(image);
    return img ? { image, id: processImageRef(img.entrypoint, img.cmd), size: 0 } : undefined;
  }

  events(listener: (e: ContainerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Fault injection: the container's processes are SIGKILLed and it reports `exitCode`. False when no such running container. */
  crash(filter: { namespace: string; pod: string; container: string }, exitCode: number): boolean {
    for (const c of this.containers.values()) {
      if (c.status.state === "CONTAINER_RUNNING" && c.child && c.sandbox.namespace === filter.namespace && c.sandbox.name === filter.pod && c.config.name === filter.container) {
        c.exitOverride = exitCode;
        this.killGroup(c.child.pid, "SIGKILL");
        return true;
      }
    }
    return false;
  }

  /** The main process' pid of a running container (tests, tools). */
  pidOf(containerId: string): number | undefined {
    const c = this.containers.get(containerId);
    return c?.status.state === "CONTAINER_RUNNING" ? c.child?.pid : undefined;
  }

  /** Last sampled usage: CPU in millicores, memory (RSS of the group) in bytes. */
  usage(containerId: string): { cpu?: string; memory?: string } {
    const c = this.mustGet(containerId);
    return { cpu: `${Math.round(c.usage.cpuMillis)}m`, memory: `${Math.round(c.usage.memoryBytes / 1024)}Ki` };
  }

  /** Kills every process (SIGKILL) and drops every record (the node is gone). */
  close(): void {
    this.closed = true;
    if (this.monitor) clearInterval(this.monitor);
    for (const c of this.containers.values()) {
      if (c.killTimer) clearTimeout(c.killTimer);
      if (c.status.state === "CONTAINER_RUNNING") this.killGroup(c.child?.pid, "SIGKILL");
    }
    for (const sb of this.sandboxes.values()) if (sb.syncTimer) clearInterval(sb.syncTimer);
    this.listeners.clear();
  }

  /** `kubectl exec`: the command runs on the host like the container (its env, working directory and pod IP). */
  async exec(containerId: string, cmd: readonly string[], opts: ExecOptions): Promise<StreamSession> {
    const c = this.running(containerId);
    return execProcess(cmd, { cwd: c.cwd ?? process.cwd(), env: c.env ?? {}, ...opts });
  }

  /**
   * `kubectl attach`: the container's output from now on, and with `-i` its
   * stdin when the spec opened one (`stdin: true`); `stdinOnce` closes it when
   * that first attach ends, otherwise it stays open for the next one.
   */
  async attach(containerId: string, opts: ExecOptions): Promise<StreamSession> {
    const c = this.running(containerId);
    const stdin = opts.stdin && c.config.stdin && c.child!.stdin ? { target: c.child!.stdin, once: !!c.config.stdinOnce } : undefined;
    return attachProcess(c.child!, c.exited!.then(() => c.status.exitCode ?? 0), stdin);
  }

  /** `kubectl port-forward`: a TCP connection to the pod IP. */
  async portForward(sandboxId: string, port: number): Promise<import("node:net").Socket> {
    const sb = this.sandboxes.get(sandboxId);
    if (!sb || sb.status.state !== "SANDBOX_READY") throw new RuntimeError("NotFound", `sandbox ${sandboxId} not found`);
    return forwardPort(sb.status.config.name, sb.status.ip, port);
  }

  private running(containerId: string): Proc {
    const c = this.containers.get(containerId);
    // containerd's words, which kubectl shows after "unable to upgrade connection: ".
    if (!c || c.status.state !== "CONTAINER_RUNNING" || !c.child) throw new RuntimeError("NotFound", `container not found ("${c?.config.name ?? containerId}")`);
    return c;
  }

  private failStart(c: Proc, message: string): never {
    c.writer?.close();
    c.writer = undefined;
    c.status.state = "CONTAINER_EXITED";
    c.status.exitCode = 128;
    c.status.reason = "StartError";
    c.status.message = message;
    c.status.startedAt = c.status.finishedAt = Date.now();
    throw new RuntimeError("RunContainerError", message);
  }

  private killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
    if (!pid) return;
    try {
      process.kill(-pid, signal);
    } catch {
      try {
        process.kill(pid, signal);
      } catch {}
    }
  }

  private ensureMonitor(): void {
    if (this.monitor || this.closed) return;
    this.monitor = setInterval(() => this.sample(), this.opts.pollMs ?? 1000);
    this.monitor.unref();
  }

  /** One /proc pass: usage for every running container, OOM kill over the memory limit. */
  private sample(): void {
    const running = [...this.containers.values()].filter((c) => c.status.state === "CONTAINER_RUNNING" && c.child?.pid);
    if (running.length === 0) {
      clearInterval(this.monitor);
      this.monitor = undefined;
      return;
    }
    const groups = sampleGroups();
    const now = Date.now();
    for (const c of running) {
      const g = groups.get(c.child!.pid!);
      if (!g) continue;
      c.usage.memoryBytes = g.rssPages * PAGE;
      if (c.cpu && now > c.cpu.at) c.usage.cpuMillis = Math.max(0, ((g.ticks - c.cpu.ticks) / CLK_TCK) * 1000 * (1000 / (now - c.cpu.at)));
      c.cpu = { ticks: g.ticks, at: now };
      if (c.config.memoryLimitBytes && c.usage.memoryBytes > c.config.memoryLimitBytes && !c.oom) {
        c.oom = true;
        this.log(`container ${c.sandbox.namespace}/${c.sandbox.name}/${c.config.name}: ${c.usage.memoryBytes} bytes over the limit of ${c.config.memoryLimitBytes}: OOM kill`);
        this.killGroup(c.child!.pid, "SIGKILL");
      }
    }
  }

  private exit(c: Proc, exitCode: number, reason?: string): void {
    if (c.status.state === "CONTAINER_EXITED") return;
    if (c.killTimer) clearTimeout(c.killTimer);
    c.writer?.close();
    c.writer = undefined;
    const message = this.terminationMessage(c, exitCode);
    if (message) c.status.message = message;
    c.status.state = "CONTAINER_EXITED";
    c.status.exitCode = exitCode;
    c.status.finishedAt = Date.now();
    c.status.reason = reason ?? (exitCode === 0 ? "Completed" : "Error");
    if (!this.closed) this.emit({ type: "exited", container: { ...c.status } });
  }

  /**
   * The kubelet's termination message: the file at terminationMessagePath
   * (under the rootfs, at most 4096 bytes), else with FallbackToLogsOnError
   * and a failed exit the log's last 80 lines (at most 2048 bytes).
   */
  private terminationMessage(c: Proc, exitCode: number): string | undefined {
    if (!c.rootfs) return undefined;
    try {
      const file = readFileSync(join(c.rootfs, (c.config.terminationMessagePath ?? "/dev/termination-log").replace(/^\/+/, "")));
      if (file.length) return file.subarray(0, 4096).toString("utf8");
    } catch {}
    if (c.config.terminationMessagePolicy !== "FallbackToLogsOnError" || exitCode === 0 || !c.status.logPath) return undefined;
    try {
      const lines = parseCriLog(readFileSync(c.status.logPath)).slice(-80);
      const text = Buffer.concat(lines.map((l) => Buffer.concat([l.content, Buffer.from("\n")])));
      return text.subarray(Math.max(0, text.length - 2048)).toString("utf8") || undefined;
    } catch {
      return undefined;
    }
  }

  private emit(e: ContainerEvent): void {
    for (const l of this.listeners) l(e);
  }

  /**
   * Runs a command beside the container's main process: same environment,
   * working directory and pod IP, its own process group (killed with the
   * whole group on timeout). Output is capped at 16 KiB per stream, as the
   * kubelet keeps only the start of a probe's output.
   */
  async execSync(containerId: string, cmd: readonly string[], timeoutSeconds: number): Promise<ExecSyncResult> {
    const c = this.mustGet(containerId);
    if (c.status.state !== "CONTAINER_RUNNING" || !c.exec) throw new RuntimeError("NotFound", `container ${containerId} is not running`);
    if (cmd.length === 0) throw new RuntimeError("RunContainerError", "exec: no command given");
    const { env, cwd } = c.exec;
    return new Promise<ExecSyncResult>((resolve) => {
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      const cap = (bufs: Buffer[], b: Buffer) => {
        if (bufs.reduce((n, x) => n + x.length, 0) < 16_384) bufs.push(b);
      };
      let timedOut = false;
      let child: ChildProcess;
      try {
        child = spawn(cmd[0]!, cmd.slice(1), { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
      } catch (e) {
        resolve({ exitCode: 126, stdout: "", stderr: (e as Error).message });
        return;
      }
      const timer = timeoutSeconds > 0 ? setTimeout(() => ((timedOut = true), this.killGroup(child.pid, "SIGKILL")), timeoutSeconds * 1000) : undefined;
      child.stdout!.on("data", (b: Buffer) => cap(out, b));
      child.stderr!.on("data", (b: Buffer) => cap(err, b));
      child.once("error", (e) => {
        clearTimeout(timer);
        const code = (e as NodeJS.ErrnoException).code;
        // As runc: a missing binary is exit 127 with the OCI message.
        resolve({ exitCode: code === "ENOENT" ? 127 : 126, stdout: "", stderr: code === "ENOENT" ? `exec: "${cmd[0]}": executable file not found in $PATH` : e.message });
      });
      child.once("close", (code, signal) => {
        clearTimeout(timer);
        resolve({
          exitCode: code ?? 128 + (signal ? (constants.signals[signal] ?? 9) : 9),
          stdout: Buffer.concat(out).toString("utf8"),
          stderr: Buffer.concat(err).toString("utf8"),
          ...(timedOut ? { timedOut } : {}),
        });
      });
    });
  }

  private mustGet(id: string): Proc {
    const c = this.containers.get(id);
    if (!c) throw new RuntimeError("NotFound", `container ${id} not found`);
    return c;
  }
}


/**
 * Kills the process groups a previous kubelet left running under `dirs` (it
 * was SIGKILLed, so it could not stop its containers): any process whose
 * working directory lies inside one of them. One pass over /proc whatever
 * the number of nodes. Returns how many groups were killed.
 */
export const reapOrphans = (dirs: string | readonly string[]): number => {
  const prefixes = (typeof dirs === "string" ? [dirs] : dirs).map((d) => `${d}/`);
  const groups = new Set<number>();
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((n) => /^\d+$/.test(n));
  } catch {
    return 0;
  }
  for (const pid of pids) {
    try {
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      if (!prefixes.some((p) => cwd.startsWith(p))) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      groups.add(Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]));
    } catch {}
  }
  for (const g of groups) {
    try {
      process.kill(-g, "SIGKILL");
    } catch {}
  }
  return groups.size;
};
