/** What a component writes carries its name in managedFields, as Kubernetes' own components do. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bus } from "@kubeactor/bus";
import { ApiClient } from "@kubeactor/client";
import { startTestCluster, transportCases } from "@kubeactor/testing";

const configMaps = { group: "", version: "v1", resource: "configmaps" };

describe.each(transportCases())("ApiClient on the $name bus", (tc) => {
  beforeAll(() => tc.setup());
  afterAll(() => tc.teardown());
  it("records its field manager on create and update, unless the caller names another", async () => {
    const cluster = await startTestCluster(tc);
    try {
      const api = new ApiClient(new Bus(await tc.connect("component"), { log: () => {} }), "kube-controller-manager");
      const created: any = await api.create(configMaps, "default", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a" }, data: { x: "1" } });
      expect(created.metadata.managedFields.map((m: any) => [m.manager, m.operation])).toEqual([["kube-controller-manager", "Update"]]);
      const other: any = await api.create(configMaps, "default", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "b" }, data: { y: "1" } }, { fieldManager: "someone" });
      expect(other.metadata.managedFields[0].manager).toBe("someone");
      const updated: any = await api.update(configMaps, "default", { ...created, data: { x: "2" } });
      expect(updated.metadata.managedFields.map((m: any) => m.manager)).toEqual(["kube-controller-manager"]);
    } finally {
      await cluster.stop();
    }
  });
});
