/**
 * HTTP for the OpenAPI documents, with kube-openapi's caching rules: every
 * document has an ETag (304 on If-None-Match); a v3 document fetched with the
 * index's `?hash=` is immutable for a year, and a stale hash is redirected
 * (301) to the current one. v3 documents are JSON only (406 otherwise); the v2
 * document is also served as gnostic protobuf, which old kubectl requires.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { notAcceptable as notAcceptableStatus } from "@kubeactor/api";
import { sendCached, sendStatus } from "../http.ts";
import { openApiV2Document, openApiV3Document, openApiV3Index } from "./index.ts";

const acceptsJson = (accept: string | undefined): boolean =>
  !accept ||
  accept.split(",").some((range) => {
    const type = range.split(";")[0]!.trim();
    return type === "application/json" || type === "*/*" || type === "application/*";
  });

const V2_PROTOBUF = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";
/** kube-openapi answers with the `.v1.0` spelling: Go's mime parser rejects the `@` one. */
const V2_PROTOBUF_REPLY = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

/** The client's first acceptable form of the v2 document (kubectl ≤ 1.28 asks for protobuf only). */
const v2Format = (accept: string | undefined): "json" | "protobuf" | undefined => {
  if (!accept) return "json";
  for (const range of accept.split(",")) {
    const type = range.split(";")[0]!.trim();
    if (type === V2_PROTOBUF || type === V2_PROTOBUF_REPLY) return "protobuf";
    if (type === "application/json" || type === "*/*" || type === "application/*") return "json";
  }
  return undefined;
};

const notAcceptable = (res: ServerResponse) => sendStatus(res, notAcceptableStatus("only application/json is served for this OpenAPI document").status);

/** Answers an `/openapi/...` GET; false when the path names no document. */
export const serveOpenApi = (path: string, q: URLSearchParams, req: IncomingMessage, res: ServerResponse): boolean => {
  if (path === "/openapi/v3") {
    sendCached(req, res, { body: openApiV3Index.body, etag: `"${openApiV3Index.hash}"` }, { "Content-Type": "application/json" });
    return true;
  }
  if (path === "/openapi/v2") {
    const format = v2Format(req.headers.accept);
    if (!format) notAcceptable(res);
    else {
      const doc = openApiV2Document()[format];
      sendCached(req, res, { body: doc.body, etag: `"${doc.hash}"` }, { "Content-Type": format === "json" ? "application/json" : V2_PROTOBUF_REPLY });
    }
    return true;
  }
  if (!path.startsWith("/openapi/v3/")) return false;
  const gv = path.slice("/openapi/v3/".length);
  const doc = openApiV3Document(gv);
  if (!doc) return false;
  if (!acceptsJson(req.headers.accept)) {
    notAcceptable(res);
    return true;
  }
  const hash = q.get("hash");
  if (hash && hash !== doc.hash) {
    res.writeHead(301, { Location: `/openapi/v3/${gv}?hash=${doc.hash}`, "Content-Length": 0 });
    res.end();
    return true;
  }
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (hash) {
    // Only a hashed URL may be cached forever; Accept changes the bytes.
    headers.Vary = "Accept";
    headers["Cache-Control"] = "public, immutable";
    headers.Expires = new Date(Date.now() + 365 * 24 * 3600 * 1000).toUTCString();
  }
  sendCached(req, res, { body: doc.body, etag: `"${doc.hash}"` }, headers);
  return true;
};
