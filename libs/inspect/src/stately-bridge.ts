/**
 * Serves kubeactor's inspection stream to the Stately inspector
 * (https://stately.ai/inspect) using the protocol of `@statelyai/inspect`'s
 * WebSocket inspector: JSON messages `@xstate.actor` / `@xstate.event` /
 * `@xstate.snapshot` with `sessionId`, `rootId`, `_version`, `createdAt`.
 *
 * Like `@statelyai/inspect/server`'s `createInspectorServer`, it is one HTTP +
 * WebSocket port: open `http://localhost:PORT` for a page that embeds the
 * inspector and relays the socket's messages into it; any other WebSocket
 * client (`createWebSocketReceiver({ server: "ws://localhost:PORT" })`) gets
 * the raw stream. A new connection is first sent every known actor with its
 * latest snapshot, then live records.
 *
 * Session ids are per actor system (`x:0` in every process), so the bridge
 * prefixes them with the component: `scheduler/x:0`.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocket, WebSocketServer } from "ws";
import type { Bus } from "@kubeactor/bus";
import type { InspectionRecord } from "@kubeactor/bus";
import { createInspectModel, startInspectFeed } from "./viewer.ts";

/** The @statelyai/inspect protocol version these messages follow. */
export const STATELY_PROTOCOL_VERSION = "0.7.2";

export type StatelyMessage = Record<string, unknown> & { type: string; sessionId: string; _version: string };

const sid = (component: string, id: string | undefined) => (id === undefined ? undefined : `${component}/${id}`);

/** One bus record as the message `createWebSocketInspector` would have sent. */
export const toStatelyMessage = (rec: InspectionRecord): StatelyMessage => {
  const common = {
    sessionId: sid(rec.component, rec.actorId)!,
    rootId: sid(rec.component, rec.rootId ?? (rec.parentId ? undefined : rec.actorId)),
    _version: STATELY_PROTOCOL_VERSION,
    createdAt: String(rec.time),
    id: `${rec.component}:${rec.instance ?? ""}:${rec.seq}`,
  };
  switch (rec.type) {
    case "@xstate.actor": {
      const name = `${rec.component}/${rec.systemId ?? rec.machineId ?? rec.actorId}`;
      return {
        type: "@xstate.actor",
        name,
        definition: rec.definition ?? JSON.stringify({ id: name }),
        parentId: sid(rec.component, rec.parentId),
        snapshot: rec.snapshot ?? { status: "active" },
        ...common,
      };
    }
    case "@xstate.event":
      return { type: "@xstate.event", event: rec.event ?? { type: "<unknown>" }, sourceId: sid(rec.component, rec.sourceId), ...common };
    case "@xstate.snapshot":
      return { type: "@xstate.snapshot", event: rec.event ?? { type: "<unknown>" }, snapshot: rec.snapshot ?? { status: "active" }, ...common };
  }
};

const bridgeHtml = (inspectorUrl: string) => `<!DOCTYPE html>
<html><head><title>kubeactor · Stately Inspector</title>
<style>*{margin:0;padding:0}html,body{height:100%}iframe{width:100%;height:100%;border:none}</style></head>
<body><iframe id="inspector" src="${inspectorUrl}"></iframe>
<script>
  const iframe = document.getElementById('inspector');
  const buffer = []; let connected = false;
  window.addEventListener('message', (e) => {
    if (e.data && e.data.type === '@statelyai.connected') {
      connected = true; buffer.forEach((m) => iframe.contentWindow.postMessage(m, '*')); buffer.length = 0;
    }
  });
  const ws = new WebSocket('ws://' + location.host);
  ws.onmessage = (event) => { const data = JSON.parse(event.data); if (connected) iframe.contentWindow.postMessage(data, '*'); else buffer.push(data); };
</script></body></html>`;

export interface StatelyBridgeOptions {
  readonly bus: Bus;
  /** 0 picks a free port (see `port` on the result). */
  readonly port: number;
  readonly components?: readonly string[];
  /** The inspector UI embedded by the HTML page (default https://stately.ai/inspect). */
  readonly inspectorUrl?: string;
  readonly host?: string;
}

export interface StatelyBridge {
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
}

export const startStatelyBridge = async (opts: StatelyBridgeOptions): Promise<StatelyBridge> => {
  const model = createInspectModel();
  const html = bridgeHtml(opts.inspectorUrl ?? "https://stately.ai/inspect");
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { "Content-Type": "text/html" });
    res.end(html);
  });
  const wss = new WebSocketServer({ server });
  /** Latest actor record per actor, to replay the tree to new connections. */
  const replay = new Map<string, InspectionRecord>();

  wss.on("connection", (ws) => {
    for (const rec of replay.values()) ws.send(JSON.stringify(toStatelyMessage(rec)));
  });

  model.onRecord((rec) => {
    const key = `${rec.component}/${rec.actorId}`;
    if (rec.snapshot?.status === "stopped") replay.delete(key);
    else if (rec.type === "@xstate.actor") replay.set(key, rec);
    else if (rec.type === "@xstate.snapshot" && rec.snapshot) {
      const prev = replay.get(key);
      if (prev) replay.set(key, { ...prev, snapshot: rec.snapshot });
    }
    const msg = JSON.stringify(toStatelyMessage(rec));
    for (const c of wss.clients) if (c.readyState === WebSocket.OPEN) c.send(msg);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host ?? "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const feed = startInspectFeed({ bus: opts.bus, model, ...(opts.components ? { components: opts.components } : {}) });
  return {
    port,
    url: `http://localhost:${port}`,
    stop: async () => {
      feed.stop();
      for (const c of wss.clients) c.close();
      await new Promise<void>((r) => wss.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
};
