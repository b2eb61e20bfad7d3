import { describe, expect, it } from "vitest";
import { containerForLogs } from "./log-server.ts";

const pod = (status: object) => ({ metadata: { name: "web" }, status: { containerStatuses: [{ name: "app", ...status }] } });
const message = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as { status: { code: number; message: string } }).status;
  }
  throw new Error("no error");
};

describe("containerForLogs (the kubelet's validateContainerLogStatus)", () => {
  it("picks the running, terminated or previous container", () => {
    expect(containerForLogs(pod({ containerID: "process://abc", state: { running: {} } }), "app", false)).toBe("abc");
    expect(containerForLogs(pod({ state: { terminated: { containerID: "sim://t" } } }), "app", false)).toBe("t");
    const looping = pod({ state: { waiting: { reason: "CrashLoopBackOff" } }, lastState: { terminated: { containerID: "process://old" } } });
    expect(containerForLogs(looping, "app", false)).toBe("old");
    expect(containerForLogs(looping, "app", true)).toBe("old");
  });

  it("answers 400 with Kubernetes' words otherwise", () => {
    expect(message(() => containerForLogs(pod({ state: { running: {} } }), "app", true))).toMatchObject({
      code: 400,
      message: 'previous terminated container "app" in pod "web" not found',
    });
    expect(message(() => containerForLogs(pod({ state: { waiting: { reason: "ContainerCreating" } } }), "app", false)).message).toBe(
      'container "app" in pod "web" is waiting to start: ContainerCreating',
    );
    expect(message(() => containerForLogs(pod({ state: { waiting: { reason: "ErrImagePull" } } }), "app", false)).message).toBe(
      `container "app" in pod "web" is waiting to start: image can't be pulled`,
    );
    expect(message(() => containerForLogs(pod({ state: { waiting: { reason: "ImagePullBackOff" } } }), "app", false)).message).toBe(
      'container "app" in pod "web" is waiting to start: trying and failing to pull image',
    );
    expect(message(() => containerForLogs({ metadata: { name: "web" }, status: {} }, "app", false)).message).toBe(
      'container "app" in pod "web" is waiting to start: ContainerCreating',
    );
  });
});
