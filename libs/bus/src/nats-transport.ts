/**
 * The NATS transport: one connection, reconnecting forever so components
 * survive a nats-server restart (subscriptions are re-established by the
 * client library).
 */
import { connect, errors, type NatsConnection } from "@nats-io/transport-node";
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
  });
  return natsTransport(nc);
};

export const natsTransport = (nc: NatsConnection): Transport => ({
  kind: "nats",
  publish: (subject, data, reply) => nc.publish(subject, data, reply === undefined ? undefined : { reply }),
  subscribe: (subject, handler: (msg: TransportMsg) => void, opts?: SubscribeOptions): TransportSubscription => {
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
    return { unsubscribe: () => sub.unsubscribe() };
  },
  request: async (subject, data, opts: RequestOptions) => {
    try {
      const msg = await nc.request(subject, data, { timeout: opts.timeoutMs });
      return { subject: msg.subject, data: msg.data };
    } catch (e) {
      throw toBusError(e, subject);
    }
  },
  flush: () => nc.flush(),
  close: async () => {
    if (!nc.isClosed()) await nc.drain().catch(() => nc.close());
  },
});
