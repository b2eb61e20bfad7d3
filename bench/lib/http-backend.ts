/**
 * Benchmark backends in a process of their own (so they do not share an
 * event loop with the load generator): one HTTP server per address given on
 * the command line, each answering its own address. Prints
 * `backend <ip> <port>` per server, then `backends ready`.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const ips = process.argv.slice(2);
for (const ip of ips) {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": Buffer.byteLength(ip) });
      res.end(ip);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, ip, () => r()));
  console.log(`backend ${ip} ${(server.address() as AddressInfo).port}`);
}
console.log("backends ready");
process.on("SIGTERM", () => process.exit(0));
