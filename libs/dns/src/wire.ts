/**
 * The DNS wire format (RFC 1035, SRV from RFC 2782, EDNS from RFC 6891):
 * decoding queries and encoding answers. Only what a cluster DNS server
 * needs: questions in, A/AAAA/CNAME/PTR/SRV/SOA/TXT records out. Names in
 * answers are not compressed (valid, just a little longer); names in
 * queries may be. Decoding throws DnsFormatError on malformed input, which
 * the server answers with FORMERR.
 */
export const TYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, TXT: 16, AAAA: 28, SRV: 33, OPT: 41, ANY: 255 } as const;
export const CLASS_IN = 1;
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

export class DnsFormatError extends Error {}

export interface Question {
  /** Lower-case, without the trailing dot. */
  readonly name: string;
  readonly type: number;
  readonly class: number;
}

export interface Query {
  readonly id: number;
  readonly opcode: number;
  readonly recursionDesired: boolean;
  readonly questions: readonly Question[];
  /** The requestor's UDP payload size from an EDNS OPT record, if any. */
  readonly ednsUdpSize: number | undefined;
}

export type RecordData =
  | { readonly type: typeof TYPE.A; readonly address: string }
  | { readonly type: typeof TYPE.AAAA; readonly address: string }
  | { readonly type: typeof TYPE.CNAME | typeof TYPE.PTR | typeof TYPE.NS; readonly target: string }
  | { readonly type: typeof TYPE.SRV; readonly priority: number; readonly weight: number; readonly port: number; readonly target: string }
  | { readonly type: typeof TYPE.TXT; readonly text: readonly string[] }
  | {
      readonly type: typeof TYPE.SOA;
      readonly mname: string;
      readonly rname: string;
      readonly serial: number;
      readonly refresh: number;
      readonly retry: number;
      readonly expire: number;
      readonly minimum: number;
    };

export type ResourceRecord = { readonly name: string; readonly ttl: number } & RecordData;

/** Reads a possibly compressed name at `offset`; returns it and the offset after it. */
const readName = (buf: Buffer, offset: number): [string, number] => {
  const labels: string[] = [];
  let pos = offset;
  let end = -1;
  for (let jumps = 0; ; ) {
    if (pos >= buf.length) throw new DnsFormatError("name runs past the message");
    const len = buf[pos]!;
    if (len === 0) {
      pos++;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= buf.length || ++jumps > 32) throw new DnsFormatError("bad compression pointer");
      if (end < 0) end = pos + 2;
      pos = ((len & 0x3f) << 8) | buf[pos + 1]!;
      continue;
    }
    if (len > 63 || pos + 1 + len > buf.length) throw new DnsFormatError("bad label");
    labels.push(buf.toString("latin1", pos + 1, pos + 1 + len));
    pos += 1 + len;
  }
  return [labels.join(".").toLowerCase(), end >= 0 ? end : pos];
};

export const decodeQuery = (buf: Buffer): Query => {
  if (buf.length < 12) throw new DnsFormatError("message shorter than a header");
  const id = buf.readUInt16BE(0);
  const flags = buf.readUInt16BE(2);
  const qd = buf.readUInt16BE(4);
  const an = buf.readUInt16BE(6);
  const ns = buf.readUInt16BE(8);
  const ar = buf.readUInt16BE(10);
  let pos = 12;
  const questions: Question[] = [];
  for (let i = 0; i < qd; i++) {
    const [name, next] = readName(buf, pos);
    if (next + 4 > buf.length) throw new DnsFormatError("question runs past the message");
    questions.push({ name, type: buf.readUInt16BE(next), class: buf.readUInt16BE(next + 2) });
    pos = next + 4;
  }
  let ednsUdpSize: number | undefined;
  for (let i = 0; i < an + ns + ar; i++) {
    const [, next] = readName(buf, pos);
    if (next + 10 > buf.length) throw new DnsFormatError("record runs past the message");
    const type = buf.readUInt16BE(next);
    const rdlen = buf.readUInt16BE(next + 8);
    if (type === TYPE.OPT) ednsUdpSize = Math.max(512, buf.readUInt16BE(next + 2));
    pos = next + 10 + rdlen;
    if (pos > buf.length) throw new DnsFormatError("record data runs past the message");
  }
  return { id, opcode: (flags >> 11) & 0xf, recursionDesired: (flags & 0x0100) !== 0, questions, ednsUdpSize };
};

const encodeName = (name: string): Buffer => {
  const parts = name.replace(/\.$/, "").split(".").filter((l) => l.length > 0);
  const out: Buffer[] = [];
  for (const label of parts) {
    const b = Buffer.from(label, "latin1");
    out.push(Buffer.from([Math.min(b.length, 63)]), b.subarray(0, 63));
  }
  out.push(Buffer.from([0]));
  return Buffer.concat(out);
};

const u16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};

const ipv6Bytes = (address: string): Buffer => {
  const [head, tail] = address.includes("::") ? address.split("::") : [address, undefined];
  const h = head ? head.split(":") : [];
  const t = tail !== undefined && tail ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  return Buffer.concat(groups.map((g) => u16(parseInt(g || "0", 16))));
};

const rdata = (r: RecordData): Buffer => {
  switch (r.type) {
    case TYPE.A:
      return Buffer.from(r.address.split(".").map(Number));
    case TYPE.AAAA:
      return ipv6Bytes(r.address);
    case TYPE.CNAME:
    case TYPE.PTR:
    case TYPE.NS:
      return encodeName(r.target);
    case TYPE.SRV:
      return Buffer.concat([u16(r.priority), u16(r.weight), u16(r.port), encodeName(r.target)]);
    case TYPE.TXT:
      return Buffer.concat(r.text.map((s) => Buffer.concat([Buffer.from([Math.min(Buffer.byteLength(s), 255)]), Buffer.from(s).subarray(0, 255)])));
    case TYPE.SOA:
      return Buffer.concat([encodeName(r.mname), encodeName(r.rname), u32(r.serial), u32(r.refresh), u32(r.retry), u32(r.expire), u32(r.minimum)]);
  }
};

const encodeRecord = (r: ResourceRecord): Buffer => {
  const data = rdata(r);
  return Buffer.concat([encodeName(r.name), u16(r.type), u16(CLASS_IN), u32(r.ttl), u16(data.length), data]);
};

export interface Response {
  readonly rcode: number;
  readonly answers: readonly ResourceRecord[];
  readonly authority?: readonly ResourceRecord[];
  readonly additional?: readonly ResourceRecord[];
  /** Authoritative for the zone (AA bit). */
  readonly authoritative?: boolean;
}

/**
 * The reply to `q`. When it would exceed `maxSize` (UDP: 512 bytes, or the
 * EDNS size) the records are dropped and TC is set, so the client retries
 * over TCP.
 */
export const encodeResponse = (q: Query, res: Response, maxSize = Infinity): Buffer => {
  const build = (r: Response, truncated: boolean) => {
    const flags = 0x8000 | ((q.opcode & 0xf) << 11) | (r.authoritative ? 0x0400 : 0) | (truncated ? 0x0200 : 0) | (q.recursionDesired ? 0x0100 : 0) | (r.rcode & 0xf);
    const opt = q.ednsUdpSize !== undefined ? [Buffer.concat([Buffer.from([0]), u16(TYPE.OPT), u16(1232), u32(0), u16(0)])] : [];
    const additional = r.additional ?? [];
    const header = Buffer.concat([u16(q.id), u16(flags), u16(q.questions.length), u16(r.answers.length), u16(r.authority?.length ?? 0), u16(additional.length + opt.length)]);
    const question = q.questions.map((x) => Buffer.concat([encodeName(x.name), u16(x.type), u16(x.class)]));
    return Buffer.concat([header, ...question, ...r.answers.map(encodeRecord), ...(r.authority ?? []).map(encodeRecord), ...additional.map(encodeRecord), ...opt]);
  };
  const full = build(res, false);
  if (full.length <= maxSize) return full;
  return build({ rcode: res.rcode, answers: [], ...(res.authoritative ? { authoritative: true } : {}) }, true);
};

/** A bare error reply (FORMERR, NOTIMP, SERVFAIL) echoing what could be read of the header. */
export const errorResponse = (raw: Buffer, rcode: number): Buffer => {
  const b = Buffer.alloc(12);
  if (raw.length >= 2) raw.copy(b, 0, 0, 2);
  const opcode = raw.length >= 3 ? (raw[2]! >> 3) & 0xf : 0;
  b.writeUInt16BE(0x8000 | (opcode << 11) | (rcode & 0xf), 2);
  return b;
};
