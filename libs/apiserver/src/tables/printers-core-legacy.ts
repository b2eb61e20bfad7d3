/**
 * ReplicationController and PodTemplate rows, as printers.go prints them in
 * Kubernetes 1.33 (printReplicationController: NAME DESIRED CURRENT READY AGE,
 * wide CONTAINERS IMAGES SELECTOR with the selector map as `k=v,...`;
 * printPodTemplate: NAME CONTAINERS IMAGES POD LABELS).
 *
 * printers.ts spreads `legacyCorePrinters` into its map and this file uses its
 * cell helpers at print time only, so the two may import each other; import
 * the `printers` map, not this file, first.
 */
import { D } from "./descriptions.ts";
import { translateTimestampSince } from "./duration.ts";
import { formatLabels, layoutContainerCells, type Printer, type PrinterEntry, type TableColumn } from "./printers.ts";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const rec = (v: unknown): Obj => (isObj(v) ? v : {});
const str = (v: unknown): string => (typeof v === "string" ? v : "");
const int = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? Math.trunc(v) : 0);

const col = (name: string, type: TableColumn["type"], description: string, priority = 0, format = ""): TableColumn => ({ name, type, format, description, priority });

const RC_DOCS = "https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#what-is-a-replicationcontroller";

const replicationControllerColumns: TableColumn[] = [
  col("Name", "string", D.name, 0, "name"),
  col("Desired", "integer", `Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: ${RC_DOCS}`),
  col("Current", "integer", `Replicas is the most recently observed number of replicas. More info: ${RC_DOCS}`),
  col("Ready", "integer", "The number of ready replicas for this replication controller."),
  col("Age", "string", D.creationTimestamp),
  col("Containers", "string", D.containers, 1),
  col("Images", "string", D.images, 1),
  col(
    "Selector",
    "string",
    "Selector is a label query over pods that should match the Replicas count. If Selector is empty, it is defaulted to the labels present on the Pod template. Label keys and values that must match in order to be controlled by this replication controller, if empty defaulted to labels on Pod template. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels#label-selectors",
    1,
  ),
];

const printReplicationController: Printer = (o, now) => {
  const spec = rec(o.spec);
  const status = rec(o.status);
  const [names, images] = layoutContainerCells(rec(rec(spec.template).spec).containers);
  return {
    cells: [
      str(rec(o.metadata).name),
      // The internal type's replicas is defaulted to 1 (SetDefaults_ReplicationController).
      typeof spec.replicas === "number" ? int(spec.replicas) : 1,
      int(status.replicas),
      int(status.readyReplicas),
      translateTimestampSince(rec(o.metadata).creationTimestamp, now),
      names,
      images,
      formatLabels(spec.selector),
    ],
  };
};

const podTemplateColumns: TableColumn[] = [
  col("Name", "string", D.name, 0, "name"),
  col("Containers", "string", D.containers),
  col("Images", "string", D.images),
  col("Pod Labels", "string", "The labels for the pod template."),
];

const printPodTemplate: Printer = (o) => {
  const template = rec(o.template);
  const [names, images] = layoutContainerCells(rec(template.spec).containers);
  return { cells: [str(rec(o.metadata).name), names, images, formatLabels(rec(template.metadata).labels)] };
};

/** Entries for the printers map, keyed `${group}/${resource}`. */
export const legacyCorePrinters: [string, PrinterEntry][] = [
  ["/replicationcontrollers", { columns: replicationControllerColumns, print: printReplicationController }],
  ["/podtemplates", { columns: podTemplateColumns, print: printPodTemplate }],
];
