/**
 * The NATS transport: one connection, reconnecting forever so components
 * survive a nats-server restart (subscriptions are re-established by the
 * client library).
 */
import { connect, createInbox, errors, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import { BusError, type RequestOptions, type SubscribeOptions, type Transport, type TransportMsg, type TransportSubscription } from "./transport.ts";

export interface NatsTransportOptions {
  readonly servers: string | string[];
  /** Shown by `nats-server` monitoring for this client. */
  readonly name?: string;
}

const toBusError = (e: unknown, subject: string): unknown => {
  if (e instanceof errors.NoRespondersError) return new BusError("NoResponders", `no responders for ${subject}`);
  if (e instanceof errors.RequestError && e.isNoResponders()) return new BusError("NoResponders", `no responders for ${subject}`);
  if (e instanceof errors.TimeoutError) return new BusError("Timeout", `request on ${subject} timed out`);
  if (e instanceof errors.ClosedConnectionError) return new BusError("Closed", "bus connection is closed");
  return e;
};

export const connectNats = async (opts: NatsTransportOptions): Promise<Transport> => {
  const nc: NatsConnection = await connect({
    servers: opts.servers,
    name: opts.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: true,
    // Errors carry no extra stack of where a request started: building one per request was ~7 % of nats.js CPU under load.
    noAsyncTraces: true,
  });
  return natsTransport(nc);
};

/**
 * Outgoing messages wait for the end of the event-loop turn (setImmediate)
 * and are then handed to the client together: it writes everything queued in
 * one microtask as one socket write, so 32 requests arriving at once cost one
 * write syscall instead of 32 (per-message writes were a third of the API
 * server's and the store's CPU under load). Order is kept: anything else that
 * talks to the server (subscribe, unsubscribe, flush, close) sends the queue first.
 */
class Outbox {
  private queue: (() => void)[] = [];
  private scheduled = false;

  push(send: () => void): void {
    this.queue.push(send);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.send());
  }

  send(): void {
    this.scheduled = false;
    const queue = this.queue;
    this.queue = [];
    for (const send of queue) send();
  }
}

interface Pending {
  readonly subject: string;
  resolve(msg: TransportMsg): void;
  reject(e: unknown): void;
  readonly timer: ReturnType<typeof setTimeout>;
}

export const natsTransport = (nc: NatsConnection): Transport => {
  const outbox = new Outbox();
  // Requests share one reply subscription (`<inbox>.<n>`), as the client's own
  // request() does, but without its per-request bookkeeping: it builds an Error
  // (a stack capture) for every request it completes, a tenth of the API server's CPU.
  const inbox = `${createInbox()}.`;
  const pending = new Map<string, Pending>();
  let seq = 0;
  let replies: Subscription | undefined;
  const settle = (token: string): Pending | undefined => {
    const p = pending.get(token);
    if (!p) return undefined;
    pending.delete(token);
    clearTimeout(p.timer);
    return p;
  };
  const subscribeReplies = (): Subscription => {
    outbox.send();
    return nc.subscribe(`${inbox}*`, {
      callback: (err, msg) => {
        if (err) return;
        const p = settle(msg.subject.slice(inbox.length));
        if (!p) return;
        // The server answers 503 with an empty body when nobody subscribes to the subject.
        if (msg.data.length === 0 && msg.headers?.code === 503) p.reject(new BusError("NoResponders", `no responders for ${p.subject}`));
        else p.resolve({ subject: msg.subject, data: msg.data });
      },
    });
  };
  void nc.closed().then(() => {
    for (const token of [...pending.keys()]) settle(token)?.reject(new BusError("Closed", "bus connection is closed"));
  });
  return {
    kind: "nats",
    publish: (subject, data, reply) => {
      const options = reply === undefined ? undefined : { reply };
      // On a closed connection the client throws at once, as it did before queueing.
      if (nc.isClosed()) return nc.publish(subject, data, options);
      outbox.push(() => {
        try {
          nc.publish(subject, data, options);
        } catch (e) {
          console.error(`bus: publish on ${subject} failed: ${(e as Error).message}`);
        }
      });
    },
    subscribe: (subject, handler: (msg: TransportMsg) => void, opts?: SubscribeOptions): TransportSubscription => {
      outbox.send();
      const sub = nc.subscribe(subject, {
        ...(opts?.queue ? { queue: opts.queue } : {}),
        callback: (err, msg) => {
          if (err) {
            console.error(`bus: subscription ${subject} failed: ${err.message}`);
            return;
          }
          try {
            handler(msg.reply ? { subject: msg.subject, data: msg.data, reply: msg.reply } : { subject: msg.subject, data: msg.data });
          } catch (e) {
            console.error(`bus: handler for ${subject} threw`, e);
          }
        },
      });
      return {
        unsubscribe: () => {
          outbox.send();
          sub.unsubscribe();
        },
      };
    },
    request: (subject, data, opts: RequestOptions) =>
      new Promise<TransportMsg>((resolve, reject) => {
        if (nc.isClosed()) return reject(new BusError("Closed", "bus connection is closed"));
        const token = String(++seq);
        const timer = setTimeout(() => {
          pending.delete(token);
          reject(new BusError("Timeout", `request on ${subject} timed out`));
        }, opts.timeoutMs);
        pending.set(token, { subject, resolve, reject, timer });
        replies ??= subscribeReplies();
        outbox.push(() => {
          try {
            nc.publish(subject, data, { reply: `${inbox}${token}` });
          } catch (e) {
            settle(token)?.reject(toBusError(e, subject));
          }
        });
      }),
    flush: () => {
      outbox.send();
      return nc.flush();
    },
    close: async () => {
      outbox.send();
      if (!nc.isClosed()) await nc.drain().catch(() => nc.close());
    },
  };
};
