import { describe, expect, it } from "vitest";
import { SchedulerCache } from "../cache.ts";
import { CycleState, FakeNodeSource, type Node } from "../framework.ts";
import { makeNode, makePod, scoreAll } from "../test-helpers.ts";
import { imageLocality, imageLocalityPriority, MIN_THRESHOLD, normalizedImageName } from "./image-locality.ts";

const MB = 1024 * 1024;
const withImages = (node: Node, images: { names: string[]; sizeBytes: number }[]): Node => ({ ...node, status: { ...node.status, images } }) as Node;
const pod = (...images: string[]) => makePod("p", { spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) } });

describe("ImageLocality", () => {
  it("normalises untagged names to :latest, keeps tags and digests", () => {
    expect(normalizedImageName("nginx")).toBe("nginx:latest");
    expect(normalizedImageName("registry:5000/app")).toBe("registry:5000/app:latest");
    expect(normalizedImageName("nginx:1.27")).toBe("nginx:1.27");
    expect(normalizedImageName("nginx@sha256:abc")).toBe("nginx@sha256:abc");
  });

  it("clamps to [23 MiB, 1000 MiB per container]", () => {
    expect(imageLocalityPriority(0, 1)).toBe(0);
    expect(imageLocalityPriority(MIN_THRESHOLD, 1)).toBe(0);
    expect(imageLocalityPriority(2000 * MB, 1)).toBe(100);
    expect(imageLocalityPriority(500 * MB, 1)).toBe(Math.trunc((100 * (500 * MB - MIN_THRESHOLD)) / (1000 * MB - MIN_THRESHOLD)));
    expect(imageLocalityPriority(1000 * MB, 2)).toBe(Math.trunc((100 * (1000 * MB - MIN_THRESHOLD)) / (2000 * MB - MIN_THRESHOLD)));
  });

  const cases = [
    {
      name: "a node with a big image wins; one without scores 0",
      nodes: [withImages(makeNode("a"), [{ names: ["big:1"], sizeBytes: 600 * MB }]), makeNode("b")],
      pod: pod("big:1"),
      // spread 1/2: 300 MiB
      want: { a: Math.trunc((100 * (300 * MB - MIN_THRESHOLD)) / (1000 * MB - MIN_THRESHOLD)), b: 0 },
    },
    {
      name: "an image on every node counts in full",
      nodes: [withImages(makeNode("a"), [{ names: ["big:1"], sizeBytes: 600 * MB }]), withImages(makeNode("b"), [{ names: ["big:1"], sizeBytes: 600 * MB }])],
      pod: pod("big:1"),
      want: { a: 59, b: 59 },
    },
    {
      name: "small images stay under the minimum threshold",
      nodes: [withImages(makeNode("a"), [{ names: ["small:latest"], sizeBytes: 20 * MB }]), makeNode("b")],
      pod: pod("small"),
      want: { a: 0, b: 0 },
    },
    {
      name: "nodes that report no images (kubeactor's simulated kubelets) all score 0",
      nodes: [makeNode("a"), makeNode("b")],
      pod: pod("nginx:1.27"),
      want: { a: 0, b: 0 },
    },
  ];
  it.each(cases)("$name", ({ nodes, pod: p, want }) => {
    expect(scoreAll(imageLocality, p, new FakeNodeSource(nodes))).toEqual(want);
  });

  it("skips the cycle when no feasible node reports any image, and not when one does", () => {
    const skipped = (nodes: ReturnType<typeof makeNode>[]) => {
      const src = new FakeNodeSource(nodes);
      const st = new CycleState();
      imageLocality.preScore!(st, pod("big:1"), src.nodeInfos(), src);
      return imageLocality.skip!(st, pod("big:1"));
    };
    expect(skipped([makeNode("a"), makeNode("b")])).toBe(true);
    expect(skipped([makeNode("a"), withImages(makeNode("b"), [{ names: ["other:1"], sizeBytes: 600 * MB }])])).toBe(false);
  });

  it("the cache counts how many nodes have each image as nodes come, change and go", () => {
    const cache = new SchedulerCache();
    cache.addNode(withImages(makeNode("a"), [{ names: ["x:1"], sizeBytes: 500 * MB }]));
    cache.addNode(withImages(makeNode("b"), [{ names: ["x:1"], sizeBytes: 500 * MB }]));
    cache.addNode(makeNode("c"));
    expect(cache.nodeInfo("a")!.imageStates.get("x:1")!.numNodes).toBe(2);
    cache.updateNode(withImages(makeNode("b"), [{ names: ["y:1"], sizeBytes: 1 }]));
    cache.updateNode(withImages(makeNode("b"), [{ names: ["y:1"], sizeBytes: 1 }])); // a heartbeat changes nothing
    expect(cache.nodeInfo("a")!.imageStates.get("x:1")!.numNodes).toBe(1);
    cache.addNode(withImages(makeNode("c"), [{ names: ["x:1"], sizeBytes: 500 * MB }]));
    expect(cache.nodeInfo("a")!.imageStates.get("x:1")!.numNodes).toBe(2);
    cache.removeNode("c");
    expect(cache.nodeInfo("a")!.imageStates.get("x:1")!.numNodes).toBe(1);
    const st = new CycleState();
    imageLocality.preScore!(st, pod("x:1"), cache.nodeInfos(), cache);
    // 500 MiB × 1/2 nodes
    expect(imageLocality.score(st, pod("x:1"), cache.nodeInfo("a")!)).toBe(Math.trunc((100 * (250 * MB - MIN_THRESHOLD)) / (1000 * MB - MIN_THRESHOLD)));
  });
});
