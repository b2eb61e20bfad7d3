/**
 * The probe handlers of the kubelet's prober package, against real
 * processes: exec (runtime.execSync), httpGet, tcpSocket and grpc (the
 * grpc.health.v1 unary call, probes-grpc.ts). Results and output wording
 * follow pkg/probe/{exec,http,tcp,grpc}. Simulated containers are not
 * probed: they pass, unless `sim.kubeactor.io/probe-fail` names the kind.
 */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { connect } from "node:net";
import type { ContainerRuntime } from "./runtime/cri.ts";
import { SimAnnotations, simSetting } from "./runtime/sim.ts";
import { grpcHealthCheck } from "./probes-grpc.ts";
import { httpUrl, type ProbeKind, type ProbeOutcome, type ProbeSpec, resolvePort, type RunProbe } from "./probes.ts";

/** The kubelet's User-Agent for HTTP probes (`kube-probe/<major>.<minor>`). */
export const PROBE_USER_AGENT = "kube-probe/1.32";
/** The kubelet reads at most this much of an HTTP probe's body. */
const MAX_BODY = 10 * 1024;

export interface ProbeTarget {
  readonly runtime: ContainerRuntime;
  readonly containerId: string;
  /** The pod IP: the default host of httpGet, tcpSocket and grpc. */
  readonly podIP: string;
  /** The container's ports, for ports given by name. */
  readonly ports: readonly { readonly name?: string; readonly containerPort: number }[];
  /** True for a simulated container (nothing listens, nothing runs). */
  readonly simulated: boolean;
  readonly containerName: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

const failure = (output: string): ProbeOutcome => ({ result: "failure", output });
const success = (output = ""): ProbeOutcome => ({ result: "success", output });

/** Go's net error wording for a failed dial (`dial tcp 127.0.0.1:81: connect: connection refused`). */
const dialError = (host: string, port: number, e: NodeJS.ErrnoException): string => {
  const why =
    e.code === "ECONNREFUSED" ? "connect: connection refused" : e.code === "EHOSTUNREACH" ? "connect: no route to host" : e.code === "ETIMEDOUT" ? "i/o timeout" : e.message;
  return `dial tcp ${host}:${port}: ${why}`;
};

export const simulatedProbe = (kind: ProbeKind, containerName: string, annotations: Readonly<Record<string, string>> | undefined): ProbeOutcome => {
  const fails = (simSetting(annotations, containerName, SimAnnotations.probeFail) ?? "").split(",").map((s) => s.trim());
  return fails.includes(kind) || fails.includes("all") ? failure(`simulated ${kind} probe failure (sim.kubeactor.io/${SimAnnotations.probeFail})`) : success();
};

export const runProbeOn =
  (t: ProbeTarget): RunProbe =>
  async (kind, probe, signal) => {
    if (t.simulated) return simulatedProbe(kind, t.containerName, t.annotations);
    const timeoutSeconds = probe.timeoutSeconds || 1;
    if (probe.exec) return execProbe(t, probe.exec.command ?? [], timeoutSeconds);
    if (probe.httpGet) return httpProbe(t, probe.httpGet, signal);
    if (probe.tcpSocket) return tcpProbe(probe.tcpSocket.host || t.podIP, resolvePort(probe.tcpSocket.port, t.ports), signal);
    if (probe.grpc) return grpcProbe(t.podIP, probe.grpc.port, probe.grpc.service ?? "", timeoutSeconds, signal);
    // kubelet: a probe without a handler is a warning and counts as success.
    return success();
  };

const execProbe = async (t: ProbeTarget, command: readonly string[], timeoutSeconds: number): Promise<ProbeOutcome> => {
  const r = await t.runtime.execSync(t.containerId, command, timeoutSeconds);
  if (r.timedOut) return failure(`command ${JSON.stringify(command.join(" "))} timed out`);
  const output = (r.stdout + r.stderr).slice(0, MAX_BODY);
  return r.exitCode === 0 ? success(output) : failure(output);
};

export const httpProbe = (t: Pick<ProbeTarget, "podIP" | "ports">, h: NonNullable<ProbeSpec["httpGet"]>, signal: AbortSignal): Promise<ProbeOutcome> => {
  const host = h.host || t.podIP;
  const port = resolvePort(h.port, t.ports);
  const url = httpUrl(h, host, port);
  const headers: Record<string, string> = { "User-Agent": PROBE_USER_AGENT, Accept: "*/*" };
  for (const { name, value } of h.httpHeaders ?? []) {
    // A header given in the probe replaces the default of the same name (case-insensitively, as Go's canonical keys).
    for (const k of Object.keys(headers)) if (k.toLowerCase() === name.toLowerCase()) delete headers[k];
    headers[name] = value;
  }
  return httpGet(url, headers, signal, 0);
};

/** Redirects the kubelet follows: to the same host, at most 10. */
const MAX_REDIRECTS = 10;

const httpGet = (url: string, headers: Record<string, string>, signal: AbortSignal, redirects: number): Promise<ProbeOutcome> => {
  const u = new URL(url);
  const https = u.protocol === "https:";
  return new Promise<ProbeOutcome>((resolve) => {
    const req = (https ? httpsRequest : httpRequest)(url, { method: "GET", headers, signal, ...(https ? { rejectUnauthorized: false } : {}) }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        if (body.length < MAX_BODY) body += chunk;
      });
      res.on("error", () => {});
      res.on("end", () => {
        const code = res.statusCode ?? 0;
        const location = res.headers.location;
        if (code >= 300 && code < 400 && location) {
          const next = new URL(location, url);
          // Go's client follows a redirect to the same host; one elsewhere ends the probe with a warning (kubelet's redirectChecker).
          if (next.hostname === u.hostname) {
            if (redirects + 1 >= MAX_REDIRECTS) return resolve(failure(`Get ${JSON.stringify(next.href)}: stopped after ${MAX_REDIRECTS} redirects`));
            return resolve(httpGet(next.href, headers, signal, redirects + 1));
          }
          return resolve({ result: "success", output: `Probe terminated redirects, Response body: ${body.slice(0, MAX_BODY)}`, warning: true });
        }
        // pkg/probe/http: 200..399 pass.
        if (code >= 200 && code < 400) resolve(success(body.slice(0, MAX_BODY)));
        else resolve(failure(`HTTP probe failed with statuscode: ${code}`));
      });
    });
    req.on("error", (e: NodeJS.ErrnoException) => {
      if (e.name === "AbortError") return;
      const port = Number(u.port || (https ? 443 : 80));
      resolve(failure(`Get ${JSON.stringify(url)}: ${e.code && e.syscall === "connect" ? dialError(u.hostname.replace(/^\[|\]$/g, ""), port, e) : e.message}`));
    });
    req.end();
  });
};

export const tcpProbe = (host: string, port: number, signal: AbortSignal): Promise<ProbeOutcome> =>
  new Promise<ProbeOutcome>((resolve) => {
    const sock = connect({ host, port });
    const done = (o: ProbeOutcome) => {
      sock.destroy();
      resolve(o);
    };
    signal.addEventListener("abort", () => sock.destroy(), { once: true });
    sock.once("connect", () => done(success()));
    sock.once("error", (e: NodeJS.ErrnoException) => done(failure(dialError(host, port, e))));
  });

const grpcProbe = async (host: string, port: number, service: string, timeoutSeconds: number, signal: AbortSignal): Promise<ProbeOutcome> => {
  const r = await grpcHealthCheck(host, port, service, signal);
  const addr = `${host}:${port}`;
  switch (r.kind) {
    case "connect-error":
      return failure(`timeout: failed to connect service ${JSON.stringify(addr)} within ${timeoutSeconds}s: ${r.message}`);
    case "status":
      if (r.code === 12) return failure(`this server doesn't implement the grpc health protocol (grpc.health.v1.Health): ${r.message}`);
      return failure(`error: health rpc probe failed: rpc error: code = ${GRPC_CODES[r.code] ?? r.code} desc = ${r.message}`);
    case "response":
      return r.status === 1 ? success("service is healthy") : failure(`service unhealthy (responded with ${JSON.stringify(HEALTH_STATUS[r.status] ?? String(r.status))})`);
  }
};

const HEALTH_STATUS: Record<number, string> = { 0: "UNKNOWN", 1: "SERVING", 2: "NOT_SERVING", 3: "SERVICE_UNKNOWN" };
const GRPC_CODES: Record<number, string> = {
  1: "Canceled",
  2: "Unknown",
  3: "InvalidArgument",
  4: "DeadlineExceeded",
  5: "NotFound",
  7: "PermissionDenied",
  8: "ResourceExhausted",
  12: "Unimplemented",
  13: "Internal",
  14: "Unavailable",
  16: "Unauthenticated",
};
