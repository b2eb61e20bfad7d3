/**
 * Content negotiation for `get`: kubectl asks for
 * `application/json;as=Table;v=v1;g=meta.k8s.io,...,application/json` and then
 * renders the server's columns. Everything else gets plain JSON, whatever the
 * Accept header says (kubectl often prefers protobuf; JSON is always accepted).
 */
import type { IncomingMessage } from "node:http";
import { apiVersionOf, badRequest, type ResourceInfo } from "@kubeactor/api";
import { renderTable, type TableOptions } from "./tables/index.ts";
import type { Obj } from "./objects.ts";

export interface Representation {
  readonly table: boolean;
  readonly includeObject: TableOptions["includeObject"];
}

const wantsTable = (accept: string): boolean =>
  accept.split(",").some((range) => {
    const params = new Map(
      range
        .split(";")
        .slice(1)
        .map((p) => p.trim().split("=") as [string, string]),
    );
    return params.get("as") === "Table" && params.get("g") === "meta.k8s.io" && (params.get("v") === "v1" || params.get("v") === "v1beta1");
  });

export const negotiate = (req: IncomingMessage, q: URLSearchParams): Representation => {
  const include = q.get("includeObject") ?? "Metadata";
  if (include !== "None" && include !== "Metadata" && include !== "Object") {
    throw badRequest(`includeObject: Unsupported value: "${include}": supported values: "None", "Metadata", "Object"`);
  }
  return { table: wantsTable(req.headers.accept ?? ""), includeObject: include };
};

const tableResource = (info: ResourceInfo) => ({ group: info.group, resource: info.resource, kind: info.kind, apiVersion: apiVersionOf(info) });

/** A list or a single object as the Table kubectl asked for; other bodies (Status) pass through. */
export const asTable = (info: ResourceInfo, body: unknown, rep: Representation): unknown => {
  if (!rep.table || typeof body !== "object" || body === null) return body;
  const o = body as Obj;
  if (o.kind === "Status") return body;
  if (o.kind === info.listKind && Array.isArray(o.items)) {
    return renderTable(tableResource(info), o.items as Obj[], { includeObject: rep.includeObject }, (o.metadata ?? {}) as never);
  }
  return renderTable(tableResource(info), [o], { includeObject: rep.includeObject });
};
