// The built-in `kubeactor/echo` image: an HTTP server that answers every
// request with who answered (pod name, namespace, pod IP, node) and what was
// asked (method, path, headers), as JSON, and logs one line per request.
// Plain JavaScript so the process runtime starts it with node alone.
import { createServer } from "node:http";

const host = process.env.HOST || process.env.POD_IP || "0.0.0.0";
const port = Number(process.env.PORT || 8080);
const text = process.argv.find((a) => a.startsWith("-text="))?.slice(6);

// A health switch for probe demos and tests: /healthz answers 200 "ok", or 503
// after a request to /fail (or with ECHO_FAIL_HEALTHZ=1) until /recover.
let failing = process.env.ECHO_FAIL_HEALTHZ === "1";

const server = createServer((req, res) => {
  const path = (req.url || "/").split("?")[0];
  if (path === "/healthz" || path === "/fail" || path === "/recover") {
    if (path === "/fail") failing = true;
    if (path === "/recover") failing = false;
    const code = path === "/healthz" && failing ? 503 : 200;
    const msg = path === "/healthz" ? (failing ? "failing\n" : "ok\n") : `healthz ${failing ? "failing" : "ok"}\n`;
    res.writeHead(code, { "Content-Type": "text/plain", "Content-Length": Buffer.byteLength(msg) });
    res.end(msg);
    console.log(`${req.socket.remoteAddress} ${req.method} ${req.url} ${code}`);
    return;
  }
  const body = text !== undefined
    ? `${text}\n`
    : `${JSON.stringify({
        pod: process.env.POD_NAME || process.env.KUBEACTOR_POD_NAME || process.env.HOSTNAME || "",
        namespace: process.env.POD_NAMESPACE || process.env.KUBEACTOR_POD_NAMESPACE || "",
        podIP: process.env.POD_IP || "",
        node: process.env.NODE_NAME || process.env.KUBEACTOR_NODE_NAME || "",
        method: req.method,
        path: req.url,
        headers: req.headers,
      })}\n`;
  res.writeHead(200, { "Content-Type": text !== undefined ? "text/plain" : "application/json", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
  console.log(`${req.socket.remoteAddress} ${req.method} ${req.url} 200`);
});
server.listen(port, host, () => console.log(`echo server listening on ${host}:${port}`));
// Graceful stop: finish in-flight requests, then exit 0 (as a well-behaved server does on SIGTERM).
process.on("SIGTERM", () => {
  console.log("SIGTERM: shutting down");
  server.close(() => process.exit(0));
  server.closeIdleConnections?.();
});
