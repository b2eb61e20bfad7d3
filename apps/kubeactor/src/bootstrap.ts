/**
 * First-start objects every cluster has: the namespaces default, kube-system,
 * kube-public and kube-node-lease. Idempotent: existing ones are left alone.
 */
import { findResource, isStatusError } from "@kubeactor/api";
import { prepareCreate } from "@kubeactor/apiserver";
import type { Bus } from "@kubeactor/bus";
import { StoreClient } from "@kubeactor/client";

export const SYSTEM_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"] as const;

export const bootstrapCluster = async (bus: Bus): Promise<string[]> => {
  const store = new StoreClient(bus);
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
  return created;
};
