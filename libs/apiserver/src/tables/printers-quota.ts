/**
 * ResourceQuota and LimitRange rows, as printers.go prints them in
 * Kubernetes 1.32 (printResourceQuota: `used/hard` per resource, limits.* in
 * LIMIT and everything else in REQUEST; printLimitRange: name and creation
 * time).
 */
import { canonicalQuantity } from "@kubeactor/api";
import { D } from "./descriptions.ts";
import { ageCol, ageOf, col, nameCol, nameOf, type Obj, type Printer, type PrinterEntry, rec, str, type TableColumn } from "./cells.ts";

/** Quantity.String() of a list entry: "0" when absent. */
const quantityOf = (list: Obj, key: string): string => {
  const v = list[key];
  if (typeof v !== "string" && typeof v !== "number") return "0";
  try {
    return canonicalQuantity(v);
  } catch {
    return String(v);
  }
};

const quotaColumns: TableColumn[] = [
  nameCol(),
  ageCol(),
  col("Request", "string", "Request represents a minimum amount of cpu/memory that a container may consume."),
  col("Limit", "string", "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node."),
];

/** The REQUEST and LIMIT cells: `name: used/hard` joined by ", ", names sorted. */
export const quotaCells = (o: Obj): [string, string] => {
  const status = rec(o.status);
  const hard = rec(status.hard);
  const used = rec(status.used);
  const request: string[] = [];
  const limit: string[] = [];
  for (const name of Object.keys(hard).sort()) {
    const pieces = name.split(".");
    (pieces.length > 1 && pieces[0] === "limits" ? limit : request).push(`${name}: ${quantityOf(used, name)}/${quantityOf(hard, name)}`);
  }
  return [request.join(", "), limit.join(", ")];
};

const printResourceQuota: Printer = (o, now) => {
  const [request, limit] = quotaCells(o);
  return { cells: [nameOf(o), ageOf(o, now), request, limit] };
};

const limitRangeColumns: TableColumn[] = [nameCol(), col("Created At", "date", D.creationTimestamp)];

const printLimitRange: Printer = (o) => ({ cells: [nameOf(o), str(rec(o.metadata).creationTimestamp)] });

/** Entries for the printers map, keyed `${group}/${resource}`. */
export const quotaPrinters: [string, PrinterEntry][] = [
  ["/resourcequotas", { columns: quotaColumns, print: printResourceQuota }],
  ["/limitranges", { columns: limitRangeColumns, print: printLimitRange }],
];
