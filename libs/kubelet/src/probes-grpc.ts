/**
 * The one gRPC call the kubelet makes: grpc.health.v1.Health/Check, unary,
 * over cleartext HTTP/2 (node:http2). The request and response are tiny
 * protobuf messages encoded by hand:
 *   HealthCheckRequest  { string service = 1; }
 *   HealthCheckResponse { ServingStatus status = 1; }  (1 = SERVING)
 * each framed as gRPC's length-prefixed message (1 byte compressed flag,
 * 4 bytes big-endian length).
 */
import { connect, constants } from "node:http2";

export type GrpcHealthResult =
  | { kind: "connect-error"; message: string }
  /** A non-OK grpc-status (12 Unimplemented when the server lacks the health service). */
  | { kind: "status"; code: number; message: string }
  | { kind: "response"; status: number };

/** Protobuf varint. */
const varint = (n: number): Buffer => {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
};

export const encodeHealthCheckRequest = (service: string): Buffer => {
  const s = Buffer.from(service, "utf8");
  const msg = s.length ? Buffer.concat([Buffer.from([0x0a]), varint(s.length), s]) : Buffer.alloc(0);
  const head = Buffer.alloc(5);
  head.writeUInt32BE(msg.length, 1);
  return Buffer.concat([head, msg]);
};

/** Field 1 (varint) of the first framed message; proto3 omits a zero value (UNKNOWN). */
export const decodeHealthCheckResponse = (framed: Buffer): number => {
  if (framed.length < 5) return 0;
  const len = framed.readUInt32BE(1);
  const msg = framed.subarray(5, 5 + len);
  let i = 0;
  while (i < msg.length) {
    const tag = msg[i++]!;
    let v = 0;
    let shift = 0;
    for (;;) {
      const b = msg[i++]!;
      v |= (b & 0x7f) << shift;
      shift += 7;
      if (!(b & 0x80) || i >= msg.length) break;
    }
    if (tag === 0x08) return v;
    if ((tag & 7) === 2) i += v; // skip a length-delimited field
  }
  return 0;
};

export const encodeHealthCheckResponse = (status: number): Buffer => {
  const msg = status ? Buffer.concat([Buffer.from([0x08]), varint(status)]) : Buffer.alloc(0);
  const head = Buffer.alloc(5);
  head.writeUInt32BE(msg.length, 1);
  return Buffer.concat([head, msg]);
};

export const grpcHealthCheck = (host: string, port: number, service: string, signal: AbortSignal): Promise<GrpcHealthResult> =>
  new Promise((resolve) => {
    const authority = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
    const session = connect(authority);
    let settled = false;
    const done = (r: GrpcHealthResult) => {
      if (settled) return;
      settled = true;
      session.close();
      session.destroy();
      resolve(r);
    };
    signal.addEventListener("abort", () => done({ kind: "connect-error", message: "aborted" }), { once: true });
    session.on("error", (e: NodeJS.ErrnoException) => done({ kind: "connect-error", message: e.code === "ECONNREFUSED" ? `dial tcp ${host}:${port}: connect: connection refused` : e.message }));
    const req = session.request({
      [constants.HTTP2_HEADER_METHOD]: "POST",
      [constants.HTTP2_HEADER_PATH]: "/grpc.health.v1.Health/Check",
      [constants.HTTP2_HEADER_CONTENT_TYPE]: "application/grpc",
      te: "trailers",
      "user-agent": "kube-probe/1.32",
    });
    const chunks: Buffer[] = [];
    let headerStatus: string | undefined;
    let headerMessage: string | undefined;
    req.on("response", (h) => {
      // A trailers-only answer carries grpc-status in the headers.
      if (h["grpc-status"] !== undefined) {
        headerStatus = String(h["grpc-status"]);
        headerMessage = decodeURIComponent(String(h["grpc-message"] ?? ""));
      }
      if (h[":status"] !== 200 && headerStatus === undefined) done({ kind: "status", code: 2, message: `unexpected HTTP status code received from server: ${h[":status"]}` });
    });
    req.on("data", (b: Buffer) => chunks.push(b));
    req.on("trailers", (t) => {
      headerStatus = String(t["grpc-status"] ?? headerStatus ?? "");
      headerMessage = decodeURIComponent(String(t["grpc-message"] ?? headerMessage ?? ""));
    });
    req.on("error", (e: Error) => done({ kind: "connect-error", message: e.message }));
    req.on("end", () => {
      const code = Number(headerStatus ?? 2);
      if (code !== 0) return done({ kind: "status", code, message: headerMessage ?? "" });
      done({ kind: "response", status: decodeHealthCheckResponse(Buffer.concat(chunks)) });
    });
    req.end(encodeHealthCheckRequest(service));
  });
