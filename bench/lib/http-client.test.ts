import { describe, expect, it } from "vitest";
import { requestText, ResponseParser } from "./http-client.ts";

const text = (replies: { status: number; body: Buffer }[]) => replies.map((r) => ({ status: r.status, body: r.body.toString() }));

/** Feeds `bytes` in pieces of `size`, collecting every response. */
const feed = (bytes: string, size: number, parser = new ResponseParser()) => {
  const out = [];
  const b = Buffer.from(bytes);
  for (let i = 0; i < b.length; i += size) out.push(...parser.push(b.subarray(i, i + size)));
  return text(out);
};

const lengthReply = (status: number, body: string) => `HTTP/1.1 ${status} X\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
const chunkedReply = (parts: string[]) =>
  `HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n${parts.map((p) => `${Buffer.byteLength(p).toString(16)}\r\n${p}\r\n`).join("")}0\r\n\r\n`;

describe("ResponseParser", () => {
  it("parses a Content-Length body, whole or one byte at a time", () => {
    const bytes = lengthReply(200, '{"kind":"ConfigMap","ü":1}');
    for (const size of [bytes.length, 1, 7]) expect(feed(bytes, size)).toEqual([{ status: 200, body: '{"kind":"ConfigMap","ü":1}' }]);
  });

  it("parses chunked bodies, with extensions and trailers, split anywhere", () => {
    const bytes = chunkedReply(["{\"items\":[", "1,2", "]}"]);
    for (const size of [bytes.length, 1, 3, 11]) expect(feed(bytes, size)).toEqual([{ status: 200, body: '{"items":[1,2]}' }]);
    const withExtras = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nX-Trailer: 1\r\n\r\n";
    expect(feed(withExtras, 2)).toEqual([{ status: 200, body: "abc" }]);
  });

  it("assembles a large body from many reads, Content-Length or chunked", () => {
    const big = "x".repeat(300_000) + "end";
    expect(feed(lengthReply(200, big), 65_536)).toEqual([{ status: 200, body: big }]);
    expect(feed(chunkedReply([big.slice(0, 100_000), big.slice(100_000)]), 65_536)).toEqual([{ status: 200, body: big }]);
  });

  it("returns responses that arrive in one read in order, keeping the rest for later", () => {
    const parser = new ResponseParser();
    const both = lengthReply(201, "a") + chunkedReply(["bc"]) + lengthReply(404, '{"reason":"NotFound"}').slice(0, 20);
    expect(text(parser.push(Buffer.from(both)))).toEqual([
      { status: 201, body: "a" },
      { status: 200, body: "bc" },
    ]);
    expect(text(parser.push(Buffer.from(lengthReply(404, '{"reason":"NotFound"}').slice(20))))).toEqual([{ status: 404, body: '{"reason":"NotFound"}' }]);
  });

  it("gives 204 and 304 no body, and an empty Content-Length body as empty", () => {
    expect(feed("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n" + lengthReply(200, ""), 4)).toEqual([
      { status: 204, body: "" },
      { status: 200, body: "" },
    ]);
  });

  it("ends a body without a length at the close, and refuses a close inside a response", () => {
    const parser = new ResponseParser();
    expect(parser.push(Buffer.from("HTTP/1.0 200 OK\r\n\r\nuntil "))).toEqual([]);
    parser.push(Buffer.from("close"));
    expect(text([parser.end()!])).toEqual([{ status: 200, body: "until close" }]);
    const partial = new ResponseParser();
    partial.push(Buffer.from(lengthReply(200, "abcdef").slice(0, -2)));
    expect(() => partial.end()).toThrow(/closed in the middle/);
    expect(new ResponseParser().end()).toBeUndefined();
  });

  it("rejects what is not HTTP", () => {
    expect(() => new ResponseParser().push(Buffer.from("SSH-2.0-OpenSSH\r\n\r\n"))).toThrow(/bad status line/);
    expect(() => new ResponseParser().push(Buffer.from("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"))).toThrow(/bad chunk size/);
  });
});

describe("requestText", () => {
  it("writes the head and a JSON body with its byte length", () => {
    expect(requestText("POST", "/api/v1/namespaces", "127.0.0.1:80", '{"ü":1}', {})).toBe(
      'POST /api/v1/namespaces HTTP/1.1\r\nHost: 127.0.0.1:80\r\nContent-Type: application/json\r\nContent-Length: 8\r\n\r\n{"ü":1}',
    );
    expect(requestText("PATCH", "/x", "h", "{}", { "Content-Type": "application/merge-patch+json" })).toBe(
      "PATCH /x HTTP/1.1\r\nHost: h\r\nContent-Type: application/merge-patch+json\r\nContent-Length: 2\r\n\r\n{}",
    );
    expect(requestText("GET", "/", "h", undefined, { Accept: "application/json" })).toBe("GET / HTTP/1.1\r\nHost: h\r\nAccept: application/json\r\n\r\n");
  });
});
