/**
 * Real backends for proxy tests and the bench: HTTP servers that answer
 * with their name, a UDP echo server, a client that opens a new TCP
 * connection per request, and the objects that point a selector-less
 * Service at them.
 */
import { createSocket } from "node:dgram";
import { createServer, request, type Agent, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Backend {
  readonly name: string;
  readonly ip: string;
  readonly port: number;
  readonly server: Server;
  close(): Promise<void>;
}

export const startHttpBackend = (name: string, ip: string): Promise<Backend> =>
  new Promise((resolve, reject) => {
    const server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        res.writeHead(200, { "Content-Type": "text/plain" });
        res.end(name);
      });
    });
    server.keepAliveTimeout = 60_000;
    server.once("error", reject);
    server.listen(0, ip, () => {
      const port = (server.address() as AddressInfo).port;
      resolve({
        name,
        ip,
        port,
        server,
        close: () =>
          new Promise<void>((r) => {
            server.close(() => r());
            server.closeAllConnections();
          }),
      });
    });
  });

export const startUdpEcho = (ip: string): Promise<{ port: number; close(): void }> =>
  new Promise((resolve, reject) => {
    const s = createSocket("udp4");
    s.on("message", (msg, rinfo) => s.send(Buffer.concat([Buffer.from("echo:"), msg]), rinfo.port, rinfo.address));
    s.once("error", reject);
    s.bind(0, ip, () => resolve({ port: s.address().port, close: () => s.close() }));
  });

/** GET / on ip:port; a new connection each time unless an agent is given. Resolves with the body. */
export const get = (ip: string, port: number, agent?: Agent): Promise<string> =>
  new Promise((resolve, reject) => {
    const req = request({ host: ip, port, path: "/", agent: agent ?? false, timeout: 10_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve(body));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("request timed out")));
    req.on("error", reject);
    req.end();
  });

export const udpRequest = (ip: string, port: number, payload: string, timeoutMs = 2000): Promise<string> =>
  new Promise((resolve, reject) => {
    const s = createSocket("udp4");
    const timer = setTimeout(() => {
      s.close();
      reject(new Error("no UDP reply"));
    }, timeoutMs);
    s.on("message", (m) => {
      clearTimeout(timer);
      s.close();
      resolve(m.toString());
    });
    s.on("error", (e) => {
      clearTimeout(timer);
      s.close();
      reject(e);
    });
    s.send(payload, port, ip);
  });

/** A loopback /24 of the test's own (127.64.0.0–127.95.255.255: outside the default service range). */
export const randomLoopbackNet = (): string => `127.${64 + Math.floor(Math.random() * 32)}.${Math.floor(Math.random() * 256)}`;

/** One EndpointSlice per backend (each backend has its own port) for a selector-less Service. */
export const sliceFor = (service: string, b: { name: string; ip: string; port: number }, ready = true, portName = "http", protocol = "TCP") => ({
  apiVersion: "discovery.k8s.io/v1",
  kind: "EndpointSlice",
  metadata: { name: `${service}-${b.name}`, labels: { "kubernetes.io/service-name": service } },
  addressType: "IPv4",
  endpoints: [{ addresses: [b.ip], conditions: { ready } }],
  ports: [{ name: portName, port: b.port, protocol }],
});
