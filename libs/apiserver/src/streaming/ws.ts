/**
 * The `ws` package, typed for what the streaming endpoints use (the repo has
 * no @types/ws, and libs/inspect declares a narrower ambient module).
 */
import { createRequire } from "node:module";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";

export interface WsSocket {
  readonly protocol: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: Buffer, opts: { binary: boolean }, cb?: (err?: Error) => void): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  pause(): void;
  resume(): void;
  on(event: "message", fn: (data: Buffer, isBinary: boolean) => void): this;
  on(event: "close", fn: (code: number) => void): this;
  on(event: "error", fn: (err: Error) => void): this;
}

export interface WsServer {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, cb: (ws: WsSocket) => void): void;
}

interface WsModule {
  WebSocketServer: new (opts: {
    noServer: true;
    perMessageDeflate?: boolean;
    maxPayload?: number;
    handleProtocols?: (protocols: Set<string>, req: IncomingMessage) => string | false;
  }) => WsServer;
}

export const ws = createRequire(import.meta.url)("ws") as WsModule;
