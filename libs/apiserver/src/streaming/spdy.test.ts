/**
 * SPDY/3.1 framing as a client (spdystream) sends it: a SYN_STREAM whose
 * header block is compressed with the SPDY/3 dictionary, data with FIN,
 * PING; the server's SYN_REPLY and data frames decode back. Frames are fed
 * split at odd places, as TCP delivers them.
 */
import { constants, createDeflate, createInflate } from "node:zlib";
import { describe, expect, it } from "vitest";
import { until } from "@kubeactor/testing";
import { encodeHeaderBlock, parseHeaderBlock, SpdyConnection, type SpdyStream } from "./spdy.ts";
import { SPDY3_DICTIONARY } from "./spdy-dictionary.ts";

const flushed = (z: ReturnType<typeof createDeflate> | ReturnType<typeof createInflate>, data: Buffer) =>
  new Promise<Buffer>((resolve) => {
    const out: Buffer[] = [];
    const on = (c: Buffer) => out.push(c);
    z.on("data", on);
    z.write(data);
    z.flush(constants.Z_SYNC_FLUSH, () => (z.off("data", on), resolve(Buffer.concat(out))));
  });

const control = (type: number, flags: number, body: Buffer) => {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(0x8003, 0);
  h.writeUInt16BE(type, 2);
  h.writeUInt32BE(body.length, 4);
  h[4] = flags;
  return Buffer.concat([h, body]);
};
const data = (id: number, flags: number, body: Buffer) => {
  const h = Buffer.alloc(8);
  h.writeUInt32BE(id, 0);
  h.writeUInt32BE(body.length, 4);
  h[4] = flags;
  return Buffer.concat([h, body]);
};

describe("SPDY/3.1 framing", () => {
  it("header blocks round-trip (names lower-cased)", () => {
    expect(parseHeaderBlock(encodeHeaderBlock({ StreamType: "data", port: "8080" }))).toEqual({ streamtype: "data", port: "8080" });
  });

  it("takes a client's streams, data and pings, and answers with SYN_REPLY and data frames", async () => {
    const written: Buffer[] = [];
    const streams: SpdyStream[] = [];
    const received: string[] = [];
    let ended = false;
    const conn = new SpdyConnection(
      (b, cb) => (written.push(b), cb?.()),
      (s) => {
        streams.push(s);
        s.onData = (b) => received.push(b.toString());
        s.onEnd = () => (ended = true);
        void conn.reply(s);
      },
      () => {},
    );
    const deflate = createDeflate({ dictionary: SPDY3_DICTIONARY });
    const syn = async (id: number, headers: Record<string, string>) => {
      const head = Buffer.alloc(10);
      head.writeUInt32BE(id, 0);
      return control(1, 0, Buffer.concat([head, await flushed(deflate, encodeHeaderBlock(headers))]));
    };
    const ping = Buffer.alloc(4);
    ping.writeUInt32BE(7);
    const wire = Buffer.concat([
      await syn(1, { streamtype: "error", port: "80", requestid: "0" }),
      await syn(3, { streamtype: "data", port: "80", requestid: "0" }),
      data(3, 0, Buffer.from("GET / HTTP/1.1\r\n")),
      data(3, 1, Buffer.from("\r\n")),
      control(6, 0, ping),
    ]);
    // Split at odd places, as TCP does.
    for (let i = 0; i < wire.length; i += 5) conn.feed(wire.subarray(i, i + 5));
    await until("stream ended", async () => (ended ? true : undefined), 5_000);
    expect(streams.map((s) => s.headers)).toEqual([
      { streamtype: "error", port: "80", requestid: "0" },
      { streamtype: "data", port: "80", requestid: "0" },
    ]);
    expect(received.join("")).toBe("GET / HTTP/1.1\r\n\r\n");

    conn.send(streams[1]!, Buffer.from("HTTP/1.1 200 OK\r\n\r\n"), true);
    await until("reply, ping and data written", async () => (written.length >= 4 ? true : undefined), 5_000);
    const inflate = createInflate({ dictionary: SPDY3_DICTIONARY });
    const kinds: string[] = [];
    for (const f of written) {
      if (f[0]! & 0x80) {
        const type = f.readUInt16BE(2);
        if (type === 2) {
          kinds.push(`SYN_REPLY ${f.readUInt32BE(8)}`);
          expect(parseHeaderBlock(await flushed(inflate, f.subarray(12)))).toEqual({});
        } else if (type === 6) kinds.push(`PING ${f.readUInt32BE(8)}`);
      } else kinds.push(`DATA ${f.readUInt32BE(0)} fin=${f[4]} ${f.subarray(8).toString()}`);
    }
    // The ping is echoed whenever; a stream's data never overtakes its SYN_REPLY.
    expect(kinds).toContain("PING 7");
    expect(kinds.filter((k) => !k.startsWith("PING"))).toEqual(["SYN_REPLY 1", "SYN_REPLY 3", "DATA 3 fin=1 HTTP/1.1 200 OK\r\n\r\n"]);
    conn.close();
  });
});
