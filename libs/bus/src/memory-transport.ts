/**
 * In-process transport with NATS' subject semantics, for tests and the
 * all-in-one mode when no nats-server is available. Delivery is asynchronous
 * (a microtask per message) and ordered per subscription, as with NATS.
 */
import { BusError, type RequestOptions, type SubscribeOptions, type Transport, type TransportMsg, type TransportSubscription } from "./transport.ts";
import { isValidSubject, tokensMatch } from "./subject.ts";

interface Sub {
  readonly pattern: string;
  /** A wildcard pattern's tokens, split once: every message is matched against every wildcard subscription. */
  readonly tokens?: readonly string[];
  readonly queue?: string;
  readonly handler: (msg: TransportMsg) => void;
  readonly inbox: TransportMsg[];
  draining: boolean;
  closed: boolean;
}

const hasWildcard = (pattern: string) => pattern.includes("*") || pattern.includes(">");

/**
 * Shared by every transport created from it, like clients of one server.
 * Literal subscriptions (every request inbox, most watches) are found by
 * subject in a map; only wildcard ones are matched one by one.
 */
export class MemoryHub {
  private readonly exact = new Map<string, Set<Sub>>();
  private readonly wild = new Set<Sub>();
  private queueCursor = new Map<string, number>();

  add(sub: Sub): void {
    if (hasWildcard(sub.pattern)) this.wild.add(sub);
    else {
      const set = this.exact.get(sub.pattern);
      if (set) set.add(sub);
      else this.exact.set(sub.pattern, new Set([sub]));
    }
  }

  delete(sub: Sub): void {
    if (this.wild.delete(sub)) return;
    const set = this.exact.get(sub.pattern);
    if (set?.delete(sub) && set.size === 0) this.exact.delete(sub.pattern);
  }

  deliver(msg: TransportMsg): number {
    let delivered = 0;
    const groups = new Map<string, Sub[]>();
    const matching: Sub[] = [...(this.exact.get(msg.subject) ?? [])];
    if (this.wild.size > 0) {
      const subject = msg.subject.split(".");
      for (const sub of this.wild) if (tokensMatch(sub.tokens!, subject)) matching.push(sub);
    }
    for (const sub of matching) {
      if (sub.queue) {
        const g = groups.get(sub.queue) ?? [];
        g.push(sub);
        groups.set(sub.queue, g);
      } else {
        enqueue(sub, msg);
        delivered++;
      }
    }
    for (const [queue, members] of groups) {
      const cursor = this.queueCursor.get(queue) ?? 0;
      const member = members[cursor % members.length];
      this.queueCursor.set(queue, cursor + 1);
      if (member) {
        enqueue(member, msg);
        delivered++;
      }
    }
    return delivered;
  }
}

const enqueue = (sub: Sub, msg: TransportMsg) => {
  sub.inbox.push(msg);
  if (sub.draining) return;
  sub.draining = true;
  queueMicrotask(() => drain(sub));
};

const drain = (sub: Sub) => {
  // Hand over one message per microtask turn so a busy subscription cannot starve others.
  const msg = sub.inbox.shift();
  if (!msg || sub.closed) {
    sub.draining = false;
    return;
  }
  try {
    sub.handler(msg);
  } catch (e) {
    console.error(`bus: handler for ${sub.pattern} threw`, e);
  }
  if (sub.inbox.length > 0) queueMicrotask(() => drain(sub));
  else sub.draining = false;
};

let inboxCounter = 0;

export const createMemoryTransport = (hub: MemoryHub = new MemoryHub()): Transport => {
  const mine = new Set<Sub>();
  let closed = false;
  const assertOpen = () => {
    if (closed) throw new BusError("Closed", "bus connection is closed");
  };

  const subscribe = (subject: string, handler: (msg: TransportMsg) => void, opts?: SubscribeOptions): TransportSubscription => {
    assertOpen();
    if (!isValidSubject(subject, true)) throw new BusError("BadSubject", `invalid subject "${subject}"`);
    const sub: Sub = {
      pattern: subject,
      ...(hasWildcard(subject) ? { tokens: subject.split(".") } : {}),
      queue: opts?.queue,
      handler,
      inbox: [],
      draining: false,
      closed: false,
    };
    hub.add(sub);
    mine.add(sub);
    return {
      unsubscribe: () => {
        sub.closed = true;
        hub.delete(sub);
        mine.delete(sub);
      },
    };
  };

  const publish = (subject: string, data: Uint8Array, reply?: string) => {
    assertOpen();
    if (!isValidSubject(subject, false)) throw new BusError("BadSubject", `invalid subject "${subject}"`);
    hub.deliver(reply === undefined ? { subject, data } : { subject, data, reply });
  };

  const request = (subject: string, data: Uint8Array, opts: RequestOptions): Promise<TransportMsg> =>
    new Promise((resolve, reject) => {
      assertOpen();
      const inbox = `_INBOX.mem${++inboxCounter}`;
      let timer: NodeJS.Timeout | undefined;
      const sub = subscribe(inbox, (msg) => {
        clearTimeout(timer);
        sub.unsubscribe();
        resolve(msg);
      });
      const delivered = hub.deliver({ subject, data, reply: inbox });
      if (delivered === 0) {
        sub.unsubscribe();
        reject(new BusError("NoResponders", `no responders for ${subject}`));
        return;
      }
      timer = setTimeout(() => {
        sub.unsubscribe();
        reject(new BusError("Timeout", `request on ${subject} timed out after ${opts.timeoutMs}ms`));
      }, opts.timeoutMs);
    });

  return {
    kind: "memory",
    publish,
    subscribe,
    request,
    flush: () => new Promise((r) => setImmediate(r)),
    close: async () => {
      closed = true;
      for (const sub of [...mine]) {
        sub.closed = true;
        hub.delete(sub);
      }
      mine.clear();
    },
  };
};
