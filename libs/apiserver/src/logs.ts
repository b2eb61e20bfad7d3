/**
 * `GET pods/{name}/log`: the API server checks the request and the container
 * name (as kube-apiserver's pod LogLocation does), then relays it to the
 * node running the pod over `kube.node.<node>.logs`; the log comes back as
 * `kube.logs.<stream>` chunks and is written as text/plain, chunked. When
 * the HTTP client goes away, `kube.logs.<stream>.cancel` stops the node.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { randomBytes } from "node:crypto";
import { badRequest, type FieldCause, invalid } from "@kubeactor/api";
import { type Bus, nodeLogs, podLogCancel, type PodLogChunk, podLogStream } from "@kubeactor/bus";
import { metaOf, type Obj } from "./objects.ts";

type Container = { name: string };

/** The node sends at least an empty chunk every 10 s; this much silence means it is gone and the response ends. */
export const LOG_IDLE_MS = 30_000;

const intParam = (q: URLSearchParams, name: string): number | undefined => {
  const v = q.get(name);
  if (v === null || v === "") return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw badRequest(`${name}: Invalid value: "${v}": must be an integer`);
  return n;
};
const boolParam = (q: URLSearchParams, name: string) => q.get(name) === "true" || q.get(name) === "1";

/** The container to read: the named one, or the only one; Kubernetes' errors otherwise. */
export const logContainer = (pod: Obj, requested: string | undefined): string => {
  const name = metaOf(pod).name ?? "";
  const spec = (pod.spec ?? {}) as { containers?: Container[]; initContainers?: Container[]; ephemeralContainers?: Container[] };
  const containers = (spec.containers ?? []).map((c) => c.name);
  const inits = (spec.initContainers ?? []).map((c) => c.name);
  const ephemeral = (spec.ephemeralContainers ?? []).map((c) => c.name);
  if (!requested) {
    if (containers.length === 1) return containers[0]!;
    let msg = `a container name must be specified for pod ${name}, choose one of: [${containers.join(" ")}]`;
    if (inits.length) msg += ` or one of the init containers: [${inits.join(" ")}]`;
    if (ephemeral.length) msg += ` or one of the ephemeral containers: [${ephemeral.join(" ")}]`;
    throw badRequest(msg);
  }
  if (![...containers, ...inits, ...ephemeral].includes(requested)) {
    throw badRequest(`container ${requested} is not valid for pod ${name}`);
  }
  return requested;
};

/** PodLogOptions validation (field errors as kube-apiserver words them). */
const validateOptions = (q: URLSearchParams, name: string) => {
  const causes: FieldCause[] = [];
  const tailLines = intParam(q, "tailLines");
  const limitBytes = intParam(q, "limitBytes");
  const sinceSeconds = intParam(q, "sinceSeconds");
  const sinceTime = q.get("sinceTime") ?? undefined;
  const bad = (field: string, value: unknown, detail: string) => causes.push({ reason: "FieldValueInvalid", field, message: `Invalid value: ${JSON.stringify(value)}: ${detail}` });
  if (tailLines !== undefined && tailLines < 0) bad("tailLines", tailLines, "must be greater than or equal to 0");
  if (limitBytes !== undefined && limitBytes < 1) bad("limitBytes", limitBytes, "must be greater than 0");
  if (sinceSeconds !== undefined && sinceSeconds < 1) bad("sinceSeconds", sinceSeconds, "must be greater than 0");
  if (sinceSeconds !== undefined && sinceTime !== undefined) causes.push({ reason: "FieldValueForbidden", field: "", message: "Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified" });
  if (sinceTime !== undefined && !Number.isFinite(Date.parse(sinceTime))) bad("sinceTime", sinceTime, "must be an RFC 3339 time");
  if (causes.length) throw invalid("PodLogOptions", "", name, causes);
  return { tailLines, limitBytes, sinceSeconds, sinceTime };
};

export const servePodLog = async (bus: Bus, pod: Obj, q: URLSearchParams, req: IncomingMessage, res: ServerResponse, idleMs = LOG_IDLE_MS): Promise<void> => {
  const meta = metaOf(pod);
  const container = logContainer(pod, q.get("container") ?? undefined);
  const o = validateOptions(q, meta.name ?? "");
  const node = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
  if (!node) {
    // Not scheduled: nothing ran, nothing to show (kube-apiserver answers an empty log too).
    res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": 0 });
    res.end();
    return;
  }
  const sinceTime = o.sinceSeconds !== undefined ? new Date(Date.now() - o.sinceSeconds * 1000).toISOString() : o.sinceTime;
  const stream = randomBytes(12).toString("hex");
  let accepted = false;
  let done = false;
  let next = 0;
  const early = new Map<number, PodLogChunk>();
  let finish: () => void = () => {};
  const finished = new Promise<void>((r) => (finish = r));
  let idle: NodeJS.Timeout | undefined;
  const watchdog = () => {
    if (idle) clearTimeout(idle);
    // Silence (a dead node, or a lost chunk the stream cannot get past) ends the response.
    idle = setTimeout(() => {
      if (done) return;
      done = true;
      bus.publish(podLogCancel, { stream }, {});
      res.end();
      finish();
    }, idleMs);
  };
  const write = (c: PodLogChunk) => {
    watchdog();
    if (c.type === "data") {
      if (c.data) res.write(Buffer.from(c.data, "base64"));
    } else {
      done = true;
      res.end();
      finish();
    }
  };
  // Chunks in seq order, and only after the node accepted (headers first).
  const deliver = () => {
    while (accepted && !done && early.has(next)) {
      const c = early.get(next)!;
      early.delete(next++);
      write(c);
    }
  };
  const sub = bus.subscribe(podLogStream, { stream }, (c) => {
    early.set(c.seq, c);
    deliver();
  });
  const onClose = () => {
    if (accepted && !done) bus.publish(podLogCancel, { stream }, {});
    done = true;
    finish();
  };
  try {
    await bus.transport.flush();
    await bus.request(
      nodeLogs,
      {
        namespace: meta.namespace ?? "",
        pod: meta.name ?? "",
        ...(meta.uid ? { uid: meta.uid } : {}),
        container,
        ...(boolParam(q, "follow") ? { follow: true } : {}),
        ...(boolParam(q, "previous") ? { previous: true } : {}),
        ...(boolParam(q, "timestamps") ? { timestamps: true } : {}),
        ...(o.tailLines !== undefined ? { tailLines: o.tailLines } : {}),
        ...(sinceTime !== undefined ? { sinceTime } : {}),
        ...(o.limitBytes !== undefined ? { limitBytes: o.limitBytes } : {}),
        stream,
      },
      { params: { node }, timeoutMs: 10_000 },
    );
    res.writeHead(200, { "Content-Type": "text/plain", "Transfer-Encoding": "chunked", "Cache-Control": "no-cache, private" });
    res.flushHeaders();
    accepted = true;
    watchdog();
    res.on("close", onClose);
    req.on("close", onClose);
    deliver();
    await finished;
  } finally {
    if (idle) clearTimeout(idle);
    sub.unsubscribe();
    // Only a stream the node opened needs stopping.
    if (accepted && !done) bus.publish(podLogCancel, { stream }, {});
  }
};
