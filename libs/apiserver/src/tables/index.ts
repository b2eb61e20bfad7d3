/**
 * Server-side Table rendering (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`):
 * the meta.k8s.io/v1 Table kube-apiserver returns for a get or list, with the
 * columns and cells of pkg/printers/internalversion/printers.go for the kinds
 * kubeactor serves, and the default NAME / CREATED AT table
 * (k8s.io/apiserver/pkg/registry/rest/table.go) for anything else.
 */
import { defaultColumns, printDefault, printers, type TableColumn } from "./printers.ts";

export type { TableColumn } from "./printers.ts";
export { humanDuration, translateTimestampSince } from "./duration.ts";
export { formatEndpoints, formatLabels, printPod } from "./printers.ts";

export interface TableOptions {
  /** metav1.TableOptions.includeObject; kubectl sends "Metadata" unless it needs the whole object. */
  includeObject: "None" | "Metadata" | "Object";
  /** The clock for AGE and other relative times; default new Date(). */
  now?: Date;
}

export interface TableListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface TableResource {
  group: string;
  resource: string;
  kind: string;
  apiVersion: string;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** All columns for a resource, priority-1 (`-o wide`) ones included, as the server sends them. */
export function columnsFor(group: string, resource: string): TableColumn[] {
  const entry = printers.get(`${group}/${resource}`);
  return (entry?.columns ?? defaultColumns).map((c) => ({ ...c }));
}

/**
 * The meta.k8s.io/v1 Table for these objects of one resource, exactly as
 * kube-apiserver renders it (printers run with Wide: true; rows carry the
 * object per includeObject). Pass `listMeta` for a list; without it a single
 * object's own resourceVersion is used, as GenerateTable does for a get.
 */
export function renderTable(
  resource: TableResource,
  objects: readonly Record<string, unknown>[],
  opts: TableOptions,
  listMeta?: TableListMeta,
): Record<string, unknown> {
  const now = opts.now ?? new Date();
  const entry = printers.get(`${resource.group}/${resource.resource}`);
  const columns = (entry?.columns ?? defaultColumns).map((c) => ({ ...c }));
  const print = entry?.print ?? printDefault;

  const rows = objects.map((obj) => {
    const printed = print(obj, now);
    const row: Record<string, unknown> = { cells: printed.cells };
    if (printed.conditions !== undefined) row.conditions = printed.conditions;
    switch (opts.includeObject) {
      case "Object":
        row.object = {
          ...obj,
          apiVersion: typeof obj.apiVersion === "string" && obj.apiVersion !== "" ? obj.apiVersion : resource.apiVersion,
          kind: typeof obj.kind === "string" && obj.kind !== "" ? obj.kind : resource.kind,
        };
        break;
      case "None":
        break;
      default:
        // meta.AsPartialObjectMetadata: the whole ObjectMeta under kind PartialObjectMetadata
        row.object = {
          kind: "PartialObjectMetadata",
          apiVersion: "meta.k8s.io/v1",
          metadata: isObj(obj.metadata) ? obj.metadata : {},
        };
    }
    return row;
  });

  // ListMeta: resourceVersion and continue are omitempty; remainingItemCount is a pointer.
  const metadata: Record<string, unknown> = {};
  let resourceVersion = listMeta?.resourceVersion;
  if (listMeta === undefined && objects.length === 1) {
    const m = objects[0]!.metadata;
    if (isObj(m) && typeof m.resourceVersion === "string") resourceVersion = m.resourceVersion;
  }
  if (resourceVersion !== undefined && resourceVersion !== "") metadata.resourceVersion = resourceVersion;
  if (listMeta?.continue !== undefined && listMeta.continue !== "") metadata.continue = listMeta.continue;
  if (listMeta?.remainingItemCount !== undefined) metadata.remainingItemCount = listMeta.remainingItemCount;

  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata,
    columnDefinitions: columns,
    rows,
  };
}
