/**
 * What every printer file builds its tables from: the Table types, readers of
 * an object's untyped JSON that never throw (a stored object may lack any
 * field), the column constructor with the NAME and AGE columns every table
 * has, and the cell formats several kinds share (labels, containers).
 */
import { D } from "./descriptions.ts";
import { translateTimestampSince } from "./duration.ts";

export interface TableColumn {
  name: string;
  type: "string" | "integer" | "number" | "boolean" | "date";
  format: string;
  description: string;
  priority: number;
}

export type Cell = string | number | boolean;

export interface TableRowCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface PrintedRow {
  cells: Cell[];
  conditions?: TableRowCondition[];
}

export type Printer = (obj: Record<string, unknown>, now: Date) => PrintedRow;

export interface PrinterEntry {
  columns: TableColumn[];
  print: Printer;
}

// ---- JSON access ----
export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
/** `v` when it is an object; {} otherwise. */
export const rec = (v: unknown): Obj => (isObj(v) ? v : {});
export const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const str = (v: unknown): string => (typeof v === "string" ? v : "");
export const int = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? Math.trunc(v) : 0);
export const keyCount = (v: unknown): number => (isObj(v) ? Object.keys(v).length : 0);

// ---- columns ----
/** A column; priority 1 cells show only with `-o wide`. */
export const col = (name: string, type: TableColumn["type"], description: string, priority = 0, format = ""): TableColumn => ({
  name,
  type,
  format,
  description,
  priority,
});
export const nameCol = (priority = 0) => col("Name", "string", D.name, priority, "name");
export const ageCol = () => col("Age", "string", D.creationTimestamp);
export const nameOf = (o: Obj) => str(rec(o.metadata).name);
export const ageOf = (o: Obj, now: Date) => translateTimestampSince(rec(o.metadata).creationTimestamp, now);

// ---- shared cells ----
/** labels.FormatLabels: sorted `k=v` joined by ",", `<none>` when empty. */
export function formatLabels(m: unknown): string {
  const entries = Object.entries(rec(m))
    .map(([k, v]) => [k, str(v)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const s = entries.map(([k, v]) => `${k}=${v}`).join(",");
  return s === "" ? "<none>" : s;
}

/** layoutContainerCells: container names and images, each comma-joined. */
export function layoutContainerCells(containers: unknown): [string, string] {
  const cs = arr(containers).map(rec);
  return [cs.map((c) => str(c.name)).join(","), cs.map((c) => str(c.image)).join(",")];
}

/** spec.replicas, defaulted to 1 as SetDefaults_ReplicaSet / _Deployment / _ReplicationController do. */
export const desiredReplicas = (spec: Obj) => (typeof spec.replicas === "number" ? int(spec.replicas) : 1);

/**
 * printReplicaSet and printReplicationController: NAME DESIRED CURRENT READY
 * AGE, wide CONTAINERS IMAGES SELECTOR; `selector` prints the kind's selector
 * (a LabelSelector, or a ReplicationController's label map).
 */
export const replicaOwnerRow = (o: Obj, now: Date, selector: (s: unknown) => string): PrintedRow => {
  const spec = rec(o.spec);
  const status = rec(o.status);
  const [names, images] = layoutContainerCells(rec(rec(spec.template).spec).containers);
  return {
    cells: [nameOf(o), desiredReplicas(spec), int(status.replicas), int(status.readyReplicas), ageOf(o, now), names, images, selector(spec.selector)],
  };
};
