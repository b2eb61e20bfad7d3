/**
 * The API server's half of pods/log over an in-process bus with a scripted
 * node: chunks are written in `seq` order whatever order they arrive in,
 * and a node that goes silent ends the response instead of hanging it.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { Bus, createMemoryTransport, nodeLogs, podLogCancel, podLogStream, type PodLogRequest } from "@kubeactor/bus";
import { logContainer, servePodLog } from "./logs.ts";

const pod = { metadata: { name: "web", namespace: "default", uid: "u1" }, spec: { nodeName: "node-1", containers: [{ name: "app" }] } };

describe("pods/log relay", () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  const serve = async (bus: Bus, idleMs: number) => {
    server = createServer((req, res) => void servePodLog(bus, pod, new URL(req.url!, "http://x").searchParams, req, res, idleMs).catch((e) => res.end(String(e))));
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
  };

  it("writes chunks in seq order and ends on `end`", async () => {
    const bus = new Bus(createMemoryTransport());
    bus.serve(nodeLogs, (req: PodLogRequest) => {
      setTimeout(() => {
        bus.publish(podLogStream, { stream: req.stream }, { type: "data", seq: 1, data: Buffer.from("world\n").toString("base64") });
        bus.publish(podLogStream, { stream: req.stream }, { type: "end", seq: 2 });
        bus.publish(podLogStream, { stream: req.stream }, { type: "data", seq: 0, data: Buffer.from("hello ").toString("base64") });
      }, 10);
      return { node: "node-1", container: req.container };
    });
    const url = await serve(bus, 60_000);
    expect(await (await fetch(`${url}/?container=app`)).text()).toBe("hello world\n");
  });

  it("a node that goes silent: the response ends after the idle time and the stream is cancelled", async () => {
    const bus = new Bus(createMemoryTransport());
    const cancelled: string[] = [];
    bus.subscribe(podLogCancel, {}, (_m, p) => cancelled.push(p.stream!));
    bus.serve(nodeLogs, (req: PodLogRequest) => {
      setTimeout(() => bus.publish(podLogStream, { stream: req.stream }, { type: "data", seq: 0, data: Buffer.from("last words\n").toString("base64") }), 10);
      return { node: "node-1", container: req.container };
    });
    const url = await serve(bus, 300);
    expect(await (await fetch(`${url}/?follow=true`)).text()).toBe("last words\n");
    expect(cancelled).toHaveLength(1);
  });

  it("names the containers when none is given and several exist", () => {
    const two = { metadata: { name: "web" }, spec: { containers: [{ name: "a" }, { name: "b" }], initContainers: [{ name: "i" }] } };
    expect(() => logContainer(two, undefined)).toThrow("a container name must be specified for pod web, choose one of: [a b] or one of the init containers: [i]");
    expect(logContainer(two, "i")).toBe("i");
    expect(() => logContainer(two, "z")).toThrow("container z is not valid for pod web");
  });
});
