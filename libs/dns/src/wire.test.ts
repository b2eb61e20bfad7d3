import { describe, expect, it } from "vitest";
import { decodeQuery, DnsFormatError, encodeResponse, RCODE, TYPE } from "./wire.ts";

const header = (qd: number, ar = 0) => Buffer.from([0x12, 0x34, 0x01, 0x00, 0, qd, 0, 0, 0, 0, 0, ar]);
const name = (n: string) => Buffer.concat([...n.split(".").map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])]);

describe("DNS wire format", () => {
  it("decodes a query with a compressed name and an EDNS OPT record, case-insensitively", () => {
    const q1 = Buffer.concat([name("Web.Default.svc.cluster.local"), Buffer.from([0, 1, 0, 1])]);
    // The second question points back at offset 12 + 4 ("default.svc...").
    const q2 = Buffer.concat([Buffer.from([0xc0, 16]), Buffer.from([0, 33, 0, 1])]);
    const opt = Buffer.from([0, 0, 41, 0x10, 0x00, 0, 0, 0, 0, 0, 0]);
    const q = decodeQuery(Buffer.concat([header(2, 1), q1, q2, opt]));
    expect(q).toMatchObject({ id: 0x1234, opcode: 0, recursionDesired: true, ednsUdpSize: 4096 });
    expect(q.questions).toEqual([
      { name: "web.default.svc.cluster.local", type: TYPE.A, class: 1 },
      { name: "default.svc.cluster.local", type: TYPE.SRV, class: 1 },
    ]);
  });

  it("rejects truncated and looping messages", () => {
    expect(() => decodeQuery(Buffer.from([1, 2, 3]))).toThrow(DnsFormatError);
    expect(() => decodeQuery(Buffer.concat([header(1), Buffer.from([0xc0, 12, 0, 1, 0, 1])]))).toThrow(DnsFormatError);
    expect(() => decodeQuery(Buffer.concat([header(1), Buffer.from([5, 97])]))).toThrow(DnsFormatError);
  });

  it("truncates a UDP answer that does not fit and sets TC", () => {
    const q = decodeQuery(Buffer.concat([header(1), name("db.default.svc.cluster.local"), Buffer.from([0, 1, 0, 1])]));
    const answers = Array.from({ length: 40 }, (_, i) => ({ name: "db.default.svc.cluster.local", ttl: 5, type: TYPE.A, address: `127.0.0.${i}` }) as const);
    const full = encodeResponse(q, { rcode: RCODE.NOERROR, answers });
    expect(full.readUInt16BE(6)).toBe(40);
    const cut = encodeResponse(q, { rcode: RCODE.NOERROR, answers }, 512);
    expect(cut.readUInt16BE(2) & 0x0200).toBe(0x0200);
    expect(cut.readUInt16BE(6)).toBe(0);
  });
});
