/**
 * HTTP plumbing shared by every handler: bounded body reading, JSON/YAML
 * decoding, and replies — errors are always Kubernetes Status objects.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { parse as parseYaml } from "yaml";
import { badRequest, requestEntityTooLarge, type Status, StatusError, unsupportedMediaType } from "@kubeactor/api";
import { ENCODED, isEncoded } from "./watch-cache.ts";
import { decodeKubernetesProtobuf, PROTOBUF_CONTENT_TYPE, ProtobufDecodeError } from "./protobuf/index.ts";

/** Kubernetes rejects request bodies over 3 MiB. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export const readBody = (req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? "0");
    if (declared > limit) {
      req.resume();
      reject(requestEntityTooLarge(`the request body is too large: ${declared} bytes is over the limit of ${limit} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on("data", (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(requestEntityTooLarge(`the request body is too large: over the limit of ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    // A small body arrives in one chunk: no concatenation (a copy) needed.
    req.on("end", () => !failed && resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on("error", (e) => !failed && reject(e));
  });

const mediaType = (req: IncomingMessage) => (req.headers["content-type"] ?? "application/json").split(";")[0]!.trim().toLowerCase();

/** JSON, YAML or Kubernetes protobuf by Content-Type (JSON when none is given), always a single JSON object. */
export const parseObjectBody = (body: Buffer, req: IncomingMessage): Record<string, unknown> => {
  const type = mediaType(req);
  let value: unknown;
  const text = body.toString("utf8");
  if (type === "application/json" || type === "application/merge-patch+json" || type === "*/*" || type === "") {
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw badRequest(`json: ${(e as Error).message}`);
    }
  } else if (type === PROTOBUF_CONTENT_TYPE) {
    // kubectl's generators (create configmap/deployment/...) send k8s protobuf.
    try {
      value = decodeKubernetesProtobuf(body);
    } catch (e) {
      if (e instanceof ProtobufDecodeError) throw badRequest(`protobuf: ${e.message}`);
      throw e;
    }
  } else if (type === "application/yaml" || type === "application/x-yaml" || type === "text/yaml") {
    try {
      value = parseYaml(text);
    } catch (e) {
      throw badRequest(`yaml: ${(e as Error).message.split("\n")[0]}`);
    }
  } else {
    throw unsupportedMediaType(type);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw badRequest(`the body of the request must be a JSON object, got ${Array.isArray(value) ? "an array" : typeof value}`);
  }
  return value as Record<string, unknown>;
};

export const sendJson = (res: ServerResponse, code: number, body: unknown): void => {
  const text = isEncoded(body) ? body[ENCODED]() : JSON.stringify(body);
  res.writeHead(code, { "Content-Type": "application/json", "Content-Length": typeof text === "string" ? Buffer.byteLength(text) : text.length, "Cache-Control": "no-cache, private" });
  res.end(text);
};

export const sendStatus = (res: ServerResponse, status: Status): void => {
  if (res.headersSent) {
    res.end();
    return;
  }
  sendJson(res, status.code, status);
};

export const sendText = (res: ServerResponse, code: number, text: string): void => {
  res.writeHead(code, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
};

export const isStatusError = (e: unknown): e is StatusError => e instanceof StatusError;

/**
 * A document that rarely changes, with an ETag: 304 when the client already
 * has it (If-None-Match), as kube-apiserver serves discovery and OpenAPI.
 */
export const sendCached = (
  req: IncomingMessage,
  res: ServerResponse,
  doc: { readonly body: string | Buffer; readonly etag: string },
  headers: Record<string, string>,
): void => {
  const all = { ETag: doc.etag, ...headers };
  if (req.headers["if-none-match"] === doc.etag) {
    res.writeHead(304, all);
    res.end();
    return;
  }
  res.writeHead(200, { ...all, "Content-Length": Buffer.byteLength(doc.body) });
  res.end(doc.body);
};
