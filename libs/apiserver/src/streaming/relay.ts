/**
 * The API server's end of a node session (`kubectl exec`, `attach`,
 * `port-forward`): asks the node over `kube.node.<node>.stream`, then
 * exchanges `kube.stream.<session>.in|out` messages. A node that does not
 * answer within NODE_ANSWER_MS is a 500 (`error dialing backend`), as when
 * kube-apiserver cannot reach a kubelet; 30 s without a word from the node
 * ends an open session.
 */
import { randomBytes } from "node:crypto";
import { internalError, StatusError } from "@kubeactor/api";
import { type Bus, nodeStream, type PodStreamMessage, type PodStreamRequest, podStreamIn, podStreamOut } from "@kubeactor/bus";

export const NODE_ANSWER_MS = 5_000;
const PING_MS = 10_000;
const IDLE_MS = 30_000;

export class NodeSession {
  private handler: ((m: PodStreamMessage) => void) | undefined;
  private readonly early: PodStreamMessage[] = [];
  private lastHeard = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private onIdle: (() => void) | undefined;

  private constructor(
    private readonly bus: Bus,
    readonly session: string,
    private readonly sub: { unsubscribe(): void },
  ) {}

  /** Opens the session; rejects with the node's Status, or a 500 when the node does not answer. */
  static async open(bus: Bus, node: string, req: Omit<PodStreamRequest, "session">): Promise<NodeSession> {
    const session = randomBytes(12).toString("hex");
    let s: NodeSession | undefined;
    const early: PodStreamMessage[] = [];
    const sub = bus.subscribe(podStreamOut, { session }, (m) => (s ? s.receive(m) : early.push(m)));
    try {
      await bus.transport.flush();
      await bus.request(nodeStream, { ...req, session }, { params: { node }, timeoutMs: NODE_ANSWER_MS });
    } catch (e) {
      sub.unsubscribe();
      // The node's own refusal (400/404) goes to the client as is; silence or no kubelet is the backend's failure.
      if (e instanceof StatusError && e.status.code !== undefined && e.status.code < 500) throw e;
      throw internalError(`error dialing backend: node "${node}" did not answer: ${(e as Error).message}`);
    }
    s = new NodeSession(bus, session, sub);
    for (const m of early) s.receive(m);
    return s;
  }

  /** Starts delivering the node's messages (those that came before are kept in order). */
  listen(handler: (m: PodStreamMessage) => void, onIdle: () => void): void {
    this.handler = handler;
    this.onIdle = onIdle;
    for (const m of this.early.splice(0)) handler(m);
    this.timer = setInterval(() => {
      if (Date.now() - this.lastHeard > IDLE_MS) {
        this.close();
        this.onIdle?.();
        return;
      }
      this.send({ type: "ping" });
    }, PING_MS);
  }

  send(m: PodStreamMessage): void {
    if (!this.closed) this.bus.publish(podStreamIn, { session: this.session }, m);
  }

  /** Ends the session: tells the node (unless it ended it) and stops listening. */
  close(tellNode = true): void {
    if (this.closed) return;
    if (tellNode) this.send({ type: "end" });
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.sub.unsubscribe();
  }

  private receive(m: PodStreamMessage): void {
    this.lastHeard = Date.now();
    if (m.type === "ping") return;
    if (this.handler) this.handler(m);
    else this.early.push(m);
  }
}
