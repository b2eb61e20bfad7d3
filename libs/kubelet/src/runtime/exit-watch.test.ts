import { describe, expect, it } from "vitest";
import type { ContainerEvent, ContainerRuntime, ContainerStatus } from "./cri.ts";
import { unwatchExit, watchExit } from "./exit-watch.ts";

/** Just the two calls the exit watch makes: an event stream and a status per container. */
const fakeRuntime = () => {
  const listeners = new Set<(e: ContainerEvent) => void>();
  const states = new Map<string, ContainerStatus["state"]>();
  const status = (id: string): ContainerStatus => ({ id, state: states.get(id) ?? "CONTAINER_RUNNING" }) as ContainerStatus;
  const runtime = {
    events: (l: (e: ContainerEvent) => void) => (listeners.add(l), () => listeners.delete(l)),
    containerStatus: async (id: string) => status(id),
  } as unknown as ContainerRuntime;
  const exit = (id: string) => {
    states.set(id, "CONTAINER_EXITED");
    for (const l of listeners) l({ type: "exited", container: status(id) } as ContainerEvent);
  };
  return { runtime, exit, listeners, states };
};

const tick = () => new Promise((r) => setTimeout(r, 0));

describe("exit watch", () => {
  it("dispatches each exit to its container's watcher once, over one subscription per runtime", async () => {
    const rt = fakeRuntime();
    const got: string[] = [];
    watchExit(rt.runtime, "a", (s) => got.push(`a:${s.state}`));
    watchExit(rt.runtime, "b", (s) => got.push(`b:${s.state}`));
    await tick();
    expect(rt.listeners.size).toBe(1);
    rt.exit("b");
    rt.exit("b");
    expect(got).toEqual(["b:CONTAINER_EXITED"]);
    rt.exit("a");
    expect(got).toEqual(["b:CONTAINER_EXITED", "a:CONTAINER_EXITED"]);
  });

  it("reports an exit that happened before the watch, and nothing after an unwatch", async () => {
    const rt = fakeRuntime();
    rt.states.set("gone", "CONTAINER_EXITED");
    const got: string[] = [];
    watchExit(rt.runtime, "gone", (s) => got.push(s.id));
    watchExit(rt.runtime, "left", (s) => got.push(s.id));
    unwatchExit(rt.runtime, "left");
    await tick();
    rt.exit("left");
    expect(got).toEqual(["gone"]);
  });

  it("a later watch of the same container replaces the earlier one", async () => {
    const rt = fakeRuntime();
    const got: string[] = [];
    watchExit(rt.runtime, "c", () => got.push("first"));
    watchExit(rt.runtime, "c", () => got.push("second"));
    await tick();
    rt.exit("c");
    expect(got).toEqual(["second"]);
  });
});
