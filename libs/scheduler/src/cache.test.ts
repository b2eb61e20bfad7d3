import { describe, expect, it } from "vitest";
import { scheduleOne } from "./algorithm.ts";
import { SchedulerCache } from "./cache.ts";
import { defaultProfile } from "./profile.ts";
import { makeNode, makePod } from "./test-helpers.ts";

const antiAffine = (name: string, nodeName: string) =>
  makePod(name, {
    nodeName,
    labels: { app: "db" },
    spec: { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: "db" } }, topologyKey: "kubernetes.io/hostname" }] } } },
  });

describe("SchedulerCache", () => {
  it("keeps the nodes with pods with pod (anti-)affinity up to date as pods and nodes come and go", () => {
    const cache = new SchedulerCache();
    for (const n of ["a", "b", "c"]) cache.addNode(makeNode(n));
    cache.upsertPod(makePod("plain", { nodeName: "a" }));
    expect(cache.nodesWithPodAffinity()).toEqual([]);
    cache.upsertPod(antiAffine("db-1", "b"));
    expect(cache.nodesWithPodAffinity().map((n) => n.name)).toEqual(["b"]);
    expect(cache.nodesWithRequiredAntiAffinity().map((n) => n.name)).toEqual(["b"]);
    // InterPodAffinity reads the list: the existing pod's anti-affinity keeps another db pod off b.
    const next = makePod("db-2", { labels: { app: "db" } });
    const r = scheduleOne(defaultProfile(), cache, next, () => 0);
    expect(r.filters.map((f) => [f.node, f.plugin])).toEqual([["b", "InterPodAffinity"]]);
    cache.assume(antiAffine("db-3", "c"), "c");
    expect(cache.nodesWithRequiredAntiAffinity().map((n) => n.name)).toEqual(["b", "c"]);
    cache.forget("default/db-3");
    cache.removePod(antiAffine("db-1", "b"));
    expect(cache.nodesWithRequiredAntiAffinity()).toEqual([]);
    expect(scheduleOne(defaultProfile(), cache, next, () => 0).filters).toEqual([]);
    cache.upsertPod(antiAffine("db-4", "d")); // a pod on a node not seen yet
    cache.addNode(makeNode("d"));
    expect(cache.nodesWithPodAffinity().map((n) => n.name)).toEqual(["d"]);
  });
});
