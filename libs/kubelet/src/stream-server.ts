/**
 * The kubelet's side of `kubectl exec`, `attach` and `port-forward`: answers
 * `kube.node.<node>.stream` for the nodes this process runs (as the log
 * server answers `.logs`), opens the session in the runtime, then moves bytes
 * between it and `kube.stream.<session>.in|out`.
 *
 * Back-pressure: at most WINDOW_BYTES sent and not yet acknowledged by the
 * API server (it acknowledges once the client's socket took them); beyond,
 * the process' pipes (or the pod's sockets) are paused. Stdin bytes are
 * acknowledged once written to the process. Pings every 10 s; 30 s without a
 * word from the API server ends the session (the exec'd process is killed).
 */
import type { Socket } from "node:net";
import { badRequest, internalError, notFound, type Status, StatusError } from "@kubeactor/api";
import { type Bus, type BusSubscription, type JsonObject, NO_REPLY, nodeStream, type PodStreamMessage, type PodStreamRequest, podStreamIn, podStreamOut } from "@kubeactor/bus";
import { RuntimeError, type StreamSession } from "./runtime/cri.ts";
import type { NodeRuntime } from "./runtime/node-runtime.ts";
import { runtimeContainerId } from "./pod-status.ts";

export const STREAM_WINDOW_BYTES = 1024 * 1024;
const CHUNK_BYTES = 128 * 1024;
export const STREAM_PING_MS = 10_000;
export const STREAM_IDLE_MS = 30_000;

export interface StreamServerOptions {
  readonly bus: Bus;
  readonly runtime: (node: string) => NodeRuntime | undefined;
  readonly pod: (namespace: string, name: string) => JsonObject | undefined;
  readonly log?: (line: string) => void;
}

type Status_ = { name: string; containerID?: string; state?: { running?: object } };

/** The running container's runtime id, or the error containerd gives (kubectl shows it after "unable to upgrade connection: "). */
const runningContainer = (pod: JsonObject, container: string): string => {
  const st = (pod.status ?? {}) as { containerStatuses?: Status_[]; initContainerStatuses?: Status_[]; ephemeralContainerStatuses?: Status_[] };
  const s = [...(st.containerStatuses ?? []), ...(st.initContainerStatuses ?? []), ...(st.ephemeralContainerStatuses ?? [])].find((c) => c.name === container);
  if (!s?.state?.running || !s.containerID) throw badRequest(`container not found ("${container}")`);
  return runtimeContainerId(s.containerID);
};

/** The exec's result on the error channel, worded as the kubelet's remotecommand server does. */
export const exitStatus = (cmd: readonly string[], code: number): Status =>
  code === 0
    ? ({ metadata: {}, status: "Success" } as unknown as Status)
    : ({
        metadata: {},
        status: "Failure",
        message: `command terminated with non-zero exit code: error executing command [${cmd.join(" ")}], exit code ${code}`,
        reason: "NonZeroExitCode",
        details: { causes: [{ reason: "ExitCode", message: String(code) }] },
      } as unknown as Status);

/** Runtime refusals (not running, simulated, no such command) are the client's 400; anything else a 500. */
const asStatus = (e: unknown): StatusError =>
  e instanceof StatusError ? e : e instanceof RuntimeError ? badRequest(e.message) : internalError((e as Error).message);

/** Unsubscribing also ends every open session (the kubelet stops: no exec'd process outlives it). */
export const serveStreams = (opts: StreamServerOptions): BusSubscription => {
  const open = new Set<Session>();
  const track = (s: Session) => {
    open.add(s);
    s.onEnded = () => open.delete(s);
    s.start();
  };
  const sub = opts.bus.serve(nodeStream, async (req, params) => {
    const node = params.node!;
    const runtime = opts.runtime(node);
    if (!runtime) return NO_REPLY;
    const pod = opts.pod(req.namespace, req.pod);
    const uid = (pod?.metadata as { uid?: string } | undefined)?.uid;
    if (!pod || (req.uid && uid !== req.uid)) throw notFound({ group: "", resource: "pods" }, req.pod);
    try {
      if (req.kind === "portforward") {
        const sandboxes = await runtime.listPodSandboxes({ uid: uid! });
        const sb = sandboxes.find((s) => s.state === "SANDBOX_READY");
        if (!sb) throw badRequest(`pod ${req.pod} has no running sandbox`);
        // Nothing listens on a simulated pod's IP: say so now rather than on every connection.
        if (!(await runtime.proc.listContainers({ sandboxId: sb.id })).some((c) => c.state === "CONTAINER_RUNNING")) await runtime.sim.portForward();
        track(new PortForwardSession(opts, req, runtime, sb.id));
      } else {
        const id = runningContainer(pod, req.container ?? "");
        const o = { stdin: req.stdin ?? false, tty: req.tty ?? false };
        const session = req.kind === "exec" ? await runtime.exec(id, req.command ?? [], o) : await runtime.attach(id, o);
        track(new ExecSession(opts, req, session));
      }
    } catch (e) {
      throw asStatus(e);
    }
    return { node };
  });
  return {
    unsubscribe: () => {
      sub.unsubscribe();
      for (const s of [...open]) s.end();
    },
  };
};

/** What both kinds of session share: the subjects, pings, idle end and send credit. */
abstract class Session {
  protected unacked = 0;
  protected ended = false;
  private lastHeard = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private sub: BusSubscription | undefined;
  onEnded: (() => void) | undefined;

  constructor(
    protected readonly opts: StreamServerOptions,
    protected readonly req: PodStreamRequest,
  ) {}

  start(): void {
    this.sub = this.opts.bus.subscribe(podStreamIn, { session: this.req.session }, (m) => {
      this.lastHeard = Date.now();
      if (m.type === "ack") {
        this.unacked -= m.bytes;
        if (this.unacked <= STREAM_WINDOW_BYTES) this.resume();
      } else if (m.type === "end") this.finish(undefined, true);
      else this.onMessage(m);
    });
    this.timer = setInterval(() => {
      if (Date.now() - this.lastHeard > STREAM_IDLE_MS) return this.finish(undefined, true);
      this.send({ type: "ping" });
    }, STREAM_PING_MS);
    // Let the reply reach the API server before the first bytes.
    setTimeout(() => this.begin(), 0);
  }

  protected send(m: PodStreamMessage): void {
    if (!this.ended) this.opts.bus.publish(podStreamOut, { session: this.req.session }, m);
  }

  /** Bytes out, in chunks; pauses the source when the API server is behind. */
  protected sendData(channel: number, b: Buffer): void {
    for (let i = 0; i < b.length; i += CHUNK_BYTES) this.send({ type: "data", channel, data: b.subarray(i, i + CHUNK_BYTES).toString("base64") });
    this.unacked += b.length;
    if (this.unacked > STREAM_WINDOW_BYTES) this.pause();
  }

  /** The kubelet is stopping: the API server hears an error Status, the process is killed. */
  end(): void {
    this.finish({ metadata: {}, status: "Failure", message: "the kubelet stopped", reason: "InternalError", code: 500 } as unknown as Status);
  }

  protected finish(status: Status | undefined, aborted = false): void {
    if (this.ended) return;
    if (!aborted) this.send({ type: "end", ...(status ? { status } : {}) });
    this.ended = true;
    if (this.timer) clearInterval(this.timer);
    this.sub?.unsubscribe();
    this.close();
    this.onEnded?.();
  }

  protected abstract begin(): void;
  protected abstract onMessage(m: PodStreamMessage): void;
  protected abstract pause(): void;
  protected abstract resume(): void;
  protected abstract close(): void;
}

class ExecSession extends Session {
  constructor(
    opts: StreamServerOptions,
    req: PodStreamRequest,
    private readonly s: StreamSession,
  ) {
    super(opts, req);
  }

  protected begin(): void {
    const outputs = [
      [1, this.req.stdout === false ? undefined : this.s.stdout],
      [2, this.req.stderr === false ? undefined : this.s.stderr],
    ] as const;
    const drained = outputs.map(([channel, r]) => {
      if (!r) return Promise.resolve();
      r.on("data", (b: Buffer) => this.sendData(channel, b));
      return new Promise<void>((resolve) => {
        r.once("end", resolve);
        r.once("close", resolve);
      });
    });
    // Unread outputs must not block the process.
    if (this.req.stdout === false) this.s.stdout?.resume();
    if (this.req.stderr === false) this.s.stderr?.resume();
    void this.s.done.then(async (code) => {
      // The output is complete once the pipes closed (bounded: a background child may hold them).
      await Promise.race([Promise.all(drained), new Promise((r) => setTimeout(r, 1000))]);
      this.finish(this.req.kind === "exec" ? exitStatus(this.req.command ?? [], code) : exitStatus([], 0));
    });
  }

  protected onMessage(m: PodStreamMessage): void {
    if (m.type === "data" && m.channel === 0 && this.s.stdin) {
      const b = Buffer.from(m.data, "base64");
      this.s.stdin.write(b, () => this.send({ type: "ack", bytes: b.length }));
    } else if (m.type === "close" && m.channel === 0) this.s.stdin?.end();
    else if (m.type === "resize") this.s.resize(m.width, m.height);
  }

  protected pause(): void {
    this.s.stdout?.pause();
    this.s.stderr?.pause();
  }

  protected resume(): void {
    this.s.stdout?.resume();
    this.s.stderr?.resume();
  }

  protected close(): void {
    this.s.close();
  }
}

class PortForwardSession extends Session {
  private readonly conns = new Map<number, Socket>();
  /** Bytes that arrived for a connection still being dialled. */
  private readonly early = new Map<number, { data: Buffer[]; closed: boolean }>();

  constructor(
    opts: StreamServerOptions,
    req: PodStreamRequest,
    private readonly runtime: NodeRuntime,
    private readonly sandboxId: string,
  ) {
    super(opts, req);
  }

  protected begin(): void {}

  protected onMessage(m: PodStreamMessage): void {
    if (m.type === "open") {
      this.early.set(m.channel, { data: [], closed: false });
      this.runtime.portForward(this.sandboxId, m.port).then(
        (sock) => this.connected(m.channel, sock),
        (e) => {
          this.early.delete(m.channel);
          this.send({ type: "error", channel: m.channel, message: (e as Error).message });
          this.send({ type: "close", channel: m.channel });
        },
      );
    } else if (m.type === "data") {
      const b = Buffer.from(m.data, "base64");
      const sock = this.conns.get(m.channel);
      if (sock) sock.write(b, () => this.send({ type: "ack", bytes: b.length }));
      else this.early.get(m.channel)?.data.push(b);
    } else if (m.type === "close") {
      const sock = this.conns.get(m.channel);
      if (sock) sock.end();
      else {
        const e = this.early.get(m.channel);
        if (e) e.closed = true;
      }
    }
  }

  private connected(channel: number, sock: Socket): void {
    const pending = this.early.get(channel);
    this.early.delete(channel);
    if (this.ended) return void sock.destroy();
    this.conns.set(channel, sock);
    sock.on("data", (b: Buffer) => this.sendData(channel, b));
    sock.on("error", (e) => this.send({ type: "error", channel, message: e.message }));
    sock.on("close", () => {
      this.conns.delete(channel);
      this.send({ type: "close", channel });
    });
    for (const b of pending?.data ?? []) sock.write(b, () => this.send({ type: "ack", bytes: b.length }));
    if (pending?.closed) sock.end();
    if (this.unacked > STREAM_WINDOW_BYTES) sock.pause();
  }

  protected pause(): void {
    for (const s of this.conns.values()) s.pause();
  }

  protected resume(): void {
    for (const s of this.conns.values()) s.resume();
  }

  protected close(): void {
    for (const s of this.conns.values()) s.destroy();
    this.conns.clear();
  }
}
