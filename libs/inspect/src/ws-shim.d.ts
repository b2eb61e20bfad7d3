// Minimal types for `ws` (installed with @statelyai/inspect; no @types/ws in the repo).
declare module "ws" {
  import type { Server } from "node:http";
  export class WebSocket {
    static readonly OPEN: number;
    constructor(url: string);
    readonly readyState: number;
    send(data: string): void;
    close(): void;
    on(event: "message", fn: (data: { toString(): string }) => void): this;
    on(event: "open" | "close", fn: () => void): this;
    on(event: "error", fn: (err: Error) => void): this;
  }
  export class WebSocketServer {
    constructor(opts: { server: Server } | { port: number });
    readonly clients: Set<WebSocket>;
    on(event: "connection", fn: (ws: WebSocket) => void): this;
    close(cb?: () => void): void;
  }
}
