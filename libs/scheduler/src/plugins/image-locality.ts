/**
 * ImageLocality (pkg/scheduler/framework/plugins/imagelocality): favours nodes
 * that already have the pod's images (node.status.images), by size, scaled by
 * the share of nodes that have the image (so an image every node has does not
 * pull pods together), clamped between 23 MiB and 1000 MiB per container and
 * mapped to [0, 100]. kubeactor's simulated kubelets report no images, so on
 * them every node scores 0; nodes that report images are scored as upstream.
 */
import { MAX_NODE_SCORE, type ImageState, type NodeInfo, type Pod, type ScorePlugin } from "../framework.ts";

export const IMAGE_LOCALITY = "ImageLocality";
const MB = 1024 * 1024;
export const MIN_THRESHOLD = 23 * MB;
export const MAX_CONTAINER_THRESHOLD = 1000 * MB;

/** An image reference without a tag (or digest) means `:latest`, as the kubelet pulls it. */
export const normalizedImageName = (name: string): string => (name.lastIndexOf(":") <= name.lastIndexOf("/") ? `${name}:latest` : name);

const scaledImageScore = (s: ImageState, totalNodes: number) => Math.trunc(s.size * (s.numNodes / totalNodes));

export const sumImageScores = (node: NodeInfo, pod: Pod, totalNodes: number): number => {
  let sum = 0;
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    const st = c.image ? node.imageStates.get(normalizedImageName(c.image)) : undefined;
    if (st) sum += scaledImageScore(st, totalNodes);
  }
  return sum;
};

/** calculatePriority: clamp to [23 MiB, 1000 MiB × containers], map linearly to [0, 100]. */
export const imageLocalityPriority = (sum: number, numContainers: number): number => {
  const max = MAX_CONTAINER_THRESHOLD * numContainers;
  const clamped = Math.min(Math.max(sum, MIN_THRESHOLD), max);
  return Math.trunc((MAX_NODE_SCORE * (clamped - MIN_THRESHOLD)) / (max - MIN_THRESHOLD));
};

const KEY = `${IMAGE_LOCALITY}/totalNodes`;
const ANY_IMAGES_KEY = `${IMAGE_LOCALITY}/anyImages`;

export const imageLocality: ScorePlugin = {
  name: IMAGE_LOCALITY,
  preScore: (state, _pod, feasible, cluster) => {
    state.write(KEY, cluster.nodeInfos().length);
    // The cache knows whether any node has images; asking each node's map touched ~500 objects per cycle.
    let any = false;
    if (cluster.hasImages?.() !== false)
      for (const n of feasible)
      if (n.imageStates.size > 0) {
        any = true;
        break;
      }
    state.write(ANY_IMAGES_KEY, any);
  },
  // No feasible node reports any image (kubeactor's simulated kubelets never do): every node scores 0.
  skip: (state) => state.get<boolean>(ANY_IMAGES_KEY) === false,
  score: (state, pod, node) => {
    if (node.imageStates.size === 0) return 0;
    const total = state.read(KEY, () => 1);
    const containers = (pod.spec?.initContainers?.length ?? 0) + (pod.spec?.containers?.length ?? 0);
    if (containers === 0) return 0;
    return imageLocalityPriority(sumImageScores(node, pod, total), containers);
  },
};
