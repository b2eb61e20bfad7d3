/**
 * Container exits, dispatched by container ID: one subscription to a
 * runtime's event stream shared by every running container of the node,
 * instead of an invoked XState callback actor per container (~1.5 KiB each,
 * and every exit event offered to every container's listener).
 */
import type { ContainerRuntime, ContainerStatus } from "./cri.ts";

type OnExit = (status: ContainerStatus) => void;

const watchers = new WeakMap<ContainerRuntime, Map<string, OnExit>>();

const watchersOf = (runtime: ContainerRuntime): Map<string, OnExit> => {
  let byId = watchers.get(runtime);
  if (!byId) {
    const map = (byId = new Map<string, OnExit>());
    runtime.events((e) => {
      if (e.type !== "exited") return;
      const onExit = map.get(e.container.id);
      if (!onExit) return;
      map.delete(e.container.id);
      onExit(e.container);
    });
    watchers.set(runtime, map);
  }
  return byId;
};

/**
 * Calls `onExit` once when the container exits, including an exit that
 * happened before this call. A later watch of the same container replaces
 * this one (a pod actor started again adopts its running container).
 */
export const watchExit = (runtime: ContainerRuntime, containerId: string, onExit: OnExit): void => {
  const byId = watchersOf(runtime);
  byId.set(containerId, onExit);
  runtime.containerStatus(containerId).then(
    (s) => {
      if (s.state !== "CONTAINER_EXITED" || byId.get(containerId) !== onExit) return;
      byId.delete(containerId);
      onExit(s);
    },
    () => {},
  );
};

/** Forgets the watch of `containerId` (the container actor left Running). */
export const unwatchExit = (runtime: ContainerRuntime, containerId: string | undefined): void => {
  if (containerId) watchers.get(runtime)?.delete(containerId);
};
