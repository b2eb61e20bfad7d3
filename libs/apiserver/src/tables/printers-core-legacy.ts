/**
 * ReplicationController and PodTemplate rows, as printers.go prints them in
 * Kubernetes 1.33 (printReplicationController: NAME DESIRED CURRENT READY AGE,
 * wide CONTAINERS IMAGES SELECTOR with the selector map as `k=v,...`;
 * printPodTemplate: NAME CONTAINERS IMAGES POD LABELS; printComponentStatus:
 * NAME STATUS MESSAGE ERROR from the Healthy condition, Unknown without one).
 */
import { D } from "./descriptions.ts";
import { ageCol, col, formatLabels, layoutContainerCells, nameCol, nameOf, type Printer, type PrinterEntry, rec, replicaOwnerRow, type TableColumn } from "./cells.ts";

const RC_DOCS = "https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#what-is-a-replicationcontroller";

const replicationControllerColumns: TableColumn[] = [
  nameCol(),
  col("Desired", "integer", `Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: ${RC_DOCS}`),
  col("Current", "integer", `Replicas is the most recently observed number of replicas. More info: ${RC_DOCS}`),
  col("Ready", "integer", "The number of ready replicas for this replication controller."),
  ageCol(),
  col("Containers", "string", D.containers, 1),
  col("Images", "string", D.images, 1),
  col(
    "Selector",
    "string",
    "Selector is a label query over pods that should match the Replicas count. If Selector is empty, it is defaulted to the labels present on the Pod template. Label keys and values that must match in order to be controlled by this replication controller, if empty defaulted to labels on Pod template. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels#label-selectors",
    1,
  ),
];

const printReplicationController: Printer = (o, now) => replicaOwnerRow(o, now, formatLabels);

const podTemplateColumns: TableColumn[] = [
  nameCol(),
  col("Containers", "string", D.containers),
  col("Images", "string", D.images),
  col("Pod Labels", "string", "The labels for the pod template."),
];

const printPodTemplate: Printer = (o) => {
  const template = rec(o.template);
  const [names, images] = layoutContainerCells(rec(template.spec).containers);
  return { cells: [nameOf(o), names, images, formatLabels(rec(template.metadata).labels)] };
};

/** Entries for the printers map, keyed `${group}/${resource}`. */
const componentStatusColumns: TableColumn[] = [
  nameCol(),
  col("Status", "string", "Status of the component conditions"),
  col("Message", "string", "Message of the component conditions"),
  col("Error", "string", "Error of the component conditions"),
];

const printComponentStatus: Printer = (o) => {
  const healthy = (Array.isArray(o.conditions) ? (o.conditions as unknown[]) : []).map(rec).find((c) => c.type === "Healthy");
  if (!healthy) return { cells: [nameOf(o), "Unknown", "", ""] };
  return { cells: [nameOf(o), healthy.status === "True" ? "Healthy" : "Unhealthy", String(healthy.message ?? ""), String(healthy.error ?? "")] };
};

export const legacyCorePrinters: [string, PrinterEntry][] = [
  ["/replicationcontrollers", { columns: replicationControllerColumns, print: printReplicationController }],
  ["/podtemplates", { columns: podTemplateColumns, print: printPodTemplate }],
  ["/componentstatuses", { columns: componentStatusColumns, print: printComponentStatus }],
];
