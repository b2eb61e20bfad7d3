/**
 * The transport contract both buses implement: NATS subject semantics
 * (`*` matches one token, `>` the rest; queue groups deliver each message to
 * one member; request/reply with a timeout and a no-responders error).
 * Transports move bytes only — decoding happens one layer up in `bus.ts`.
 */
export interface TransportMsg {
  readonly subject: string;
  readonly data: Uint8Array;
  /** Where to send the answer when this message is a request. */
  readonly reply?: string;
}

export interface TransportSubscription {
  unsubscribe(): void;
}

export interface SubscribeOptions {
  /** Queue group: each message goes to exactly one member of the group. */
  readonly queue?: string;
}

export interface RequestOptions {
  readonly timeoutMs: number;
}

export type BusErrorCode = "NoResponders" | "Timeout" | "Closed" | "BadSubject";

/** Failures of the transport itself, distinct from errors a responder answers with. */
export class BusError extends Error {
  readonly _tag = "BusError";
  constructor(
    readonly code: BusErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface Transport {
  /** "nats" or "memory"; printed at start-up so users know which bus they got. */
  readonly kind: "nats" | "memory";
  publish(subject: string, data: Uint8Array, reply?: string): void;
  /** Handlers are called one message at a time, in arrival order, never re-entrantly. */
  subscribe(subject: string, handler: (msg: TransportMsg) => void, opts?: SubscribeOptions): TransportSubscription;
  /** Rejects with BusError NoResponders when nobody listens, Timeout after `timeoutMs`. */
  request(subject: string, data: Uint8Array, opts: RequestOptions): Promise<TransportMsg>;
  /** Resolves when everything published so far has reached the server (NATS) or been queued (memory). */
  flush(): Promise<void>;
  close(): Promise<void>;
}
