/**
 * The typed bus over a transport: every message is encoded as JSON and
 * decoded with its catalogue schema at the subscription boundary. A message
 * that does not decode is logged and counted, never handed to an actor; a
 * request that does not decode is answered with a 400 Status.
 */
import * as Schema from "effect/Schema";
import * as Either from "effect/Either";
import * as ParseResult from "effect/ParseResult";
import { badRequest, serviceUnavailable, StatusError, timeout, toStatus } from "@kubeactor/api";
import { type EventSubject, paramsOf, type Reply, type RequestSubject, type SubjectParams, subjectFor } from "./define.ts";
import { BusError, type Transport } from "./transport.ts";

export interface BusOptions {
  /** Default request timeout; the store answers in milliseconds, so seconds mean it is gone. */
  readonly requestTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

export interface BusStats {
  published: number;
  received: number;
  decodeFailures: number;
}

export interface BusSubscription {
  unsubscribe(): void;
}

const decoder = new TextDecoder();

/**
 * UTF-8 bytes of an outgoing message. Buffer.from rather than TextEncoder:
 * for messages under 4 KiB it slices Node's shared pool instead of
 * allocating, 2.5x faster for a 1 KiB object, and every message pays it.
 */
const utf8 = (text: string): Uint8Array => Buffer.from(text, "utf8");

const parseJson = (data: Uint8Array): Either.Either<unknown, string> => {
  try {
    return Either.right(JSON.parse(decoder.decode(data)));
  } catch (e) {
    return Either.left(`invalid JSON: ${(e as Error).message}`);
  }
};

/** How every success reply starts (`serve` writes it so, and so does JSON.stringify of `{ok, value}`). */
const OK_VALUE = utf8('{"ok":true,"value":');
const CLOSE_BRACE = utf8("}");

/**
 * The bytes of `data` between `head` and `tail` when it starts and ends with
 * them, else undefined: a JSON value cut out of a known envelope. A copy
 * unless `copy` is false, so it outlives whatever buffer the transport read
 * the message into.
 */
export const jsonBetween = (data: Uint8Array, head: Uint8Array, tail: Uint8Array, copy = true): Uint8Array | undefined => {
  if (data.length < head.length + tail.length) return undefined;
  for (let i = 0; i < head.length; i++) if (data[i] !== head[i]) return undefined;
  const end = data.length - tail.length;
  for (let i = 0; i < tail.length; i++) if (data[end + i] !== tail[i]) return undefined;
  return copy ? data.slice(head.length, end) : data.subarray(head.length, end);
};

/** One decoder per schema, built once: every message of a subject goes through it. */
const decoders = new WeakMap<object, (u: unknown) => Either.Either<unknown, ParseResult.ParseError>>();
const decoderOf = <A, I>(schema: Schema.Schema<A, I>) => {
  let d = decoders.get(schema);
  if (!d) decoders.set(schema, (d = Schema.decodeUnknownEither(schema) as (u: unknown) => Either.Either<unknown, ParseResult.ParseError>));
  return d as (u: unknown) => Either.Either<A, ParseResult.ParseError>;
};

/**
 * A `serve` handler's answer whose JSON the handler already has (the store
 * keeps each object's text): sent as is, neither re-encoded nor checked.
 */
export class EncodedReply {
  constructor(readonly json: string) {}
}

/**
 * Returned by a `serve` handler that is not the one to answer (e.g. a kubelet
 * process asked about a node another process runs): no reply is sent.
 */
export const NO_REPLY: unique symbol = Symbol("NO_REPLY");

export class Bus {
  readonly stats: BusStats = { published: 0, received: 0, decodeFailures: 0 };
  private readonly requestTimeoutMs: number;
  private readonly log: (line: string) => void;

  constructor(
    readonly transport: Transport,
    opts: BusOptions = {},
  ) {
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 10_000;
    this.log = opts.log ?? ((line) => console.error(line));
  }

  private decode<A, I>(schema: Schema.Schema<A, I>, subject: string, data: Uint8Array): Either.Either<A, string> {
    this.stats.received++;
    const json = parseJson(data);
    const result: Either.Either<A, string> = Either.isLeft(json)
      ? Either.left(json.left)
      : Either.mapLeft(decoderOf(schema)(json.right), (e) => ParseResult.TreeFormatter.formatErrorSync(e));
    if (Either.isLeft(result)) {
      this.stats.decodeFailures++;
      this.log(`bus: dropped undecodable message on ${subject}: ${result.left.split("\n")[0]}`);
    }
    return result;
  }

  publish<A, I>(def: EventSubject<A, I>, params: SubjectParams, payload: A): void {
    this.stats.published++;
    this.transport.publish(subjectFor(def, params), utf8(JSON.stringify(payload)));
  }

  /** `publish` of a payload already encoded as JSON (the caller vouches that it matches the subject's schema). */
  publishEncoded<A, I>(def: EventSubject<A, I>, params: SubjectParams, json: string): void {
    this.stats.published++;
    this.transport.publish(subjectFor(def, params), utf8(json));
  }

  /** A request-shaped message sent without waiting for an answer (fire and forget, as `nats pub`). */
  notify<Req, Res, ReqI, ResI>(def: RequestSubject<Req, Res, ReqI, ResI>, params: SubjectParams, payload: Req): void {
    this.stats.published++;
    this.transport.publish(subjectFor(def, params), utf8(JSON.stringify(payload)));
  }

  /** Missing parameters subscribe to all values of them. The handler gets the decoded payload and the subject's parameters. */
  subscribe<A, I>(
    def: EventSubject<A, I>,
    params: SubjectParams,
    handler: (payload: A, params: Record<string, string>) => void,
    opts?: { queue?: string },
  ): BusSubscription {
    return this.transport.subscribe(
      subjectFor(def, params, true),
      (msg) => {
        const decoded = this.decode(def.schema, msg.subject, msg.data);
        if (Either.isRight(decoded)) handler(decoded.right, paramsOf(def, msg.subject));
      },
      opts,
    );
  }

  /**
   * Ask and wait. Error replies are thrown as StatusError; a missing responder
   * becomes 503 ServiceUnavailable and a timeout 504, so callers deal in Status only.
   */
  async request<Req, Res, ReqI, ResI>(
    def: RequestSubject<Req, Res, ReqI, ResI>,
    payload: Req,
    opts: { params?: SubjectParams; timeoutMs?: number } = {},
  ): Promise<Res> {
    const subject = subjectFor(def, opts.params ?? {});
    return this.decodeReply(def, subject, await this.exchange(subject, payload, opts.timeoutMs));
  }

  /**
   * `request` for a caller that only relays the answer (the API server
   * sending the store's object text to its HTTP client): a success reply's
   * `value` comes back as its JSON bytes, sliced out of the message without
   * being decoded (the responder vouches for it, as `EncodedReply` does).
   * Any other reply is decoded as `request` decodes it: errors are thrown
   * as StatusError.
   */
  async requestJson<Req, Res, ReqI, ResI>(
    def: RequestSubject<Req, Res, ReqI, ResI>,
    payload: Req,
    opts: { params?: SubjectParams; timeoutMs?: number } = {},
  ): Promise<Uint8Array> {
    const subject = subjectFor(def, opts.params ?? {});
    const data = await this.exchange(subject, payload, opts.timeoutMs);
    const value = jsonBetween(data, OK_VALUE, CLOSE_BRACE);
    if (value) {
      this.stats.received++;
      return value;
    }
    return utf8(JSON.stringify(this.decodeReply(def, subject, data)));
  }

  /** Sends a request; transport failures become Status errors (503 no responder or closed, 504 timeout). */
  private async exchange(subject: string, payload: unknown, timeoutMs: number | undefined): Promise<Uint8Array> {
    try {
      this.stats.published++;
      const msg = await this.transport.request(subject, utf8(JSON.stringify(payload)), { timeoutMs: timeoutMs ?? this.requestTimeoutMs });
      return msg.data;
    } catch (e) {
      if (e instanceof BusError && e.code === "NoResponders") throw serviceUnavailable(`no responder on ${subject}: is the component running?`);
      if (e instanceof BusError && e.code === "Timeout") throw timeout(`request on ${subject} timed out`);
      if (e instanceof BusError && e.code === "Closed") throw serviceUnavailable("bus connection is closed");
      throw e;
    }
  }

  private decodeReply<Req, Res, ReqI, ResI>(def: RequestSubject<Req, Res, ReqI, ResI>, subject: string, data: Uint8Array): Res {
    const reply = this.decode(def.reply, subject, data);
    if (Either.isLeft(reply)) throw serviceUnavailable(`undecodable reply on ${subject}`);
    if (reply.right.ok) return reply.right.value;
    throw new StatusError(reply.right.status);
  }

  /**
   * Answer requests. Thrown errors become Status replies (StatusError keeps its
   * status; anything else is a 500), so a responder bug never leaves a caller hanging.
   */
  serve<Req, Res, ReqI, ResI>(
    def: RequestSubject<Req, Res, ReqI, ResI>,
    handler: (req: Req, params: Record<string, string>) => Promise<Res | EncodedReply | typeof NO_REPLY> | Res | EncodedReply | typeof NO_REPLY,
    opts: { params?: SubjectParams; queue?: string } = {},
  ): BusSubscription {
    const respond = (replyTo: string | undefined, reply: Reply<Res> | EncodedReply) => {
      if (!replyTo) return;
      this.stats.published++;
      try {
        const json = reply instanceof EncodedReply ? `{"ok":true,"value":${reply.json}}` : JSON.stringify(reply);
        this.transport.publish(replyTo, utf8(json));
      } catch (e) {
        this.log(`bus: could not reply on ${def.pattern}: ${(e as Error).message}`);
      }
    };
    return this.transport.subscribe(
      subjectFor(def, opts.params ?? {}, true),
      (msg) => {
        const decoded = this.decode(def.request, msg.subject, msg.data);
        if (Either.isLeft(decoded)) {
          respond(msg.reply, { ok: false, status: badRequest(`malformed ${def.pattern} request: ${decoded.left}`).status });
          return;
        }
        Promise.resolve()
          .then(() => handler(decoded.right, paramsOf(def, msg.subject)))
          .then(
            (value) => value !== NO_REPLY && respond(msg.reply, value instanceof EncodedReply ? value : { ok: true, value }),
            (e) => respond(msg.reply, { ok: false, status: toStatus(e) }),
          );
      },
      opts.queue ? { queue: opts.queue } : undefined,
    );
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}
