/**
 * First-start objects every cluster has: the namespaces default, kube-system,
 * kube-public and kube-node-lease — kube-apiserver's bootstrap controller does
 * the same — the PriorityClasses system-node-critical and
 * system-cluster-critical, and the cluster-admin ClusterRole bound to
 * system:masters (RBAC's bootstrap policy; not enforced here), and the
 * default StorageClass `standard` of the local-path provisioner (as kind and
 * k3s deploy theirs). Idempotent: existing ones are left alone. Waits for the store
 * (a component started before it, e.g. under `turbo dev`).
 */
import { DEFAULT_STORAGE_CLASS_ANNOTATION, DEFAULT_STORAGE_CLASS_NAME, findResource, isStatusError, LOCAL_PATH_PROVISIONER, SYSTEM_PRIORITY_CLASSES } from "@kubeactor/api";
import { prepareCreate } from "./objects.ts";
import type { Bus } from "@kubeactor/bus";
import { StoreClient } from "@kubeactor/client";

export const SYSTEM_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"] as const;

export const bootstrapCluster = async (bus: Bus, log: (line: string) => void = () => {}): Promise<string[]> => {
  const store = new StoreClient(bus);
  await waitForStore(store, log);
  const info = findResource("", "v1", "namespaces")!;
  const created: string[] = [];
  for (const name of SYSTEM_NAMESPACES) {
    const obj = prepareCreate(info, { apiVersion: "v1", kind: "Namespace", metadata: { name } }, "");
    try {
      await store.create({ group: "", resource: "namespaces", namespace: "", name }, obj);
      created.push(name);
    } catch (e) {
      if (!(isStatusError(e) && e.status.reason === "AlreadyExists")) throw e;
    }
  }
  // The built-in PriorityClasses, as kube-apiserver's scheduling post-start hook creates them
  // (not in the returned list, which names the namespaces created).
  const pcInfo = findResource("scheduling.k8s.io", "v1", "priorityclasses")!;
  for (const { name, value, description } of SYSTEM_PRIORITY_CLASSES) {
    const obj = prepareCreate(pcInfo, { apiVersion: "scheduling.k8s.io/v1", kind: "PriorityClass", metadata: { name }, value, description }, "");
    try {
      await store.create({ group: "scheduling.k8s.io", resource: "priorityclasses", namespace: "", name }, obj);
    } catch (e) {
      if (!(isStatusError(e) && e.status.reason === "AlreadyExists")) throw e;
    }
  }
  // The RuntimeClasses every kubeactor node offers (handler = name): real processes, or simulated.
  const rcInfo = findResource("node.k8s.io", "v1", "runtimeclasses")!;
  for (const name of BUILTIN_RUNTIME_CLASSES) {
    const obj = prepareCreate(rcInfo, { apiVersion: "node.k8s.io/v1", kind: "RuntimeClass", metadata: { name }, handler: name }, "");
    try {
      await store.create({ group: "node.k8s.io", resource: "runtimeclasses", namespace: "", name }, obj);
    } catch (e) {
      if (!(isStatusError(e) && e.status.reason === "AlreadyExists")) throw e;
    }
  }
  // The default StorageClass, as kind's and k3s' installers deploy one: claims bind when a pod uses them.
  const scInfo = findResource("storage.k8s.io", "v1", "storageclasses")!;
  const standard = {
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: { name: DEFAULT_STORAGE_CLASS_NAME, annotations: { [DEFAULT_STORAGE_CLASS_ANNOTATION]: "true" } },
    provisioner: LOCAL_PATH_PROVISIONER,
    reclaimPolicy: "Delete",
    volumeBindingMode: "WaitForFirstConsumer",
  };
  try {
    await store.create({ group: "storage.k8s.io", resource: "storageclasses", namespace: "", name: DEFAULT_STORAGE_CLASS_NAME }, prepareCreate(scInfo, standard, ""));
  } catch (e) {
    if (!(isStatusError(e) && e.status.reason === "AlreadyExists")) throw e;
  }
  // RBAC's bootstrap policy, as its post-start hook reconciles it (the part users name: cluster-admin).
  const bootstrapMeta = { name: "cluster-admin", labels: { "kubernetes.io/bootstrapping": "rbac-defaults" }, annotations: { "rbac.authorization.kubernetes.io/autoupdate": "true" } };
  const rbac = [
    {
      resource: "clusterroles",
      obj: {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRole",
        metadata: bootstrapMeta,
        rules: [
          { verbs: ["*"], apiGroups: ["*"], resources: ["*"] },
          { verbs: ["*"], nonResourceURLs: ["*"] },
        ],
      },
    },
    {
      resource: "clusterrolebindings",
      obj: {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRoleBinding",
        metadata: bootstrapMeta,
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
        subjects: [{ kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: "system:masters" }],
      },
    },
  ];
  for (const { resource, obj } of rbac) {
    try {
      await store.create({ group: "rbac.authorization.k8s.io", resource, namespace: "", name: "cluster-admin" }, prepareCreate(findResource("rbac.authorization.k8s.io", "v1", resource)!, obj, ""));
    } catch (e) {
      if (!(isStatusError(e) && e.status.reason === "AlreadyExists")) throw e;
    }
  }
  return created;
};

/** RuntimeClasses created at first start; pods without runtimeClassName get the nodes' `auto` handler. */
export const BUILTIN_RUNTIME_CLASSES = ["process", "sim"] as const;

/** Until the store answers: a missing store is the normal state for a moment at start-up. */
export const waitForStore = async (store: StoreClient, log: (line: string) => void, timeoutMs = 120_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      await store.status(1000);
      return;
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`the store did not answer within ${timeoutMs / 1000}s: ${(e as Error).message}`);
      if (attempt === 2) log("waiting for the store (kube.store.status) to answer...");
      await new Promise((r) => setTimeout(r, 250));
    }
  }
};
