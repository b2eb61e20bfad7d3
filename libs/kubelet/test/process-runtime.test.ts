/**
 * The process runtime with real processes: exit codes and reasons, SIGTERM
 * and the SIGKILL deadline, OOM kills, CRI logs (and their rotation), env,
 * volumes with live configMap updates, the image catalogue, the pod IP.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { until } from "@kubeactor/testing";
import {
  containerEnv,
  type ContainerConfig,
  type ContainerStatus,
  CriLogWriter,
  ImageCatalogue,
  type ObjectLookup,
  type PodSandboxConfig,
  ProcessRuntime,
  readCriLog,
  reapOrphans,
  rotatedFiles,
  RuntimeError,
  serviceEnv,
  syncVolumes,
} from "../src/index.ts";

const sandbox: PodSandboxConfig = { name: "web", namespace: "default", uid: "uid-1", runtimeHandler: "process" };

describe("process runtime", () => {
  let dir: string;
  let rt: ProcessRuntime;
  let exits: ContainerStatus[];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "kubeactor-proc-"));
    rt = new ProcessRuntime({ dataDir: dir, catalogue: new ImageCatalogue(join(dir, "images.json")), podCIDR: "127.250.7.0/24", pollMs: 100, volumeSyncMs: 100 });
    exits = [];
    rt.events((e) => e.type === "exited" && exits.push(e.container));
  });
  afterEach(() => {
    rt.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = async (config: Partial<ContainerConfig> & { name: string }, sb = sandbox) => {
    const sandboxId = (await rt.listPodSandboxes({ uid: sb.uid }))[0]?.id ?? (await rt.runPodSandbox(sb));
    const id = await rt.createContainer(sandboxId, { image: "busybox", kind: "regular", attempt: 0, ...config }, sb);
    await rt.startContainer(id);
    return id;
  };
  const exited = (id: string) => until(`container ${id} to exit`, () => exits.find((e) => e.id === id), 20_000);
  const logOf = async (id: string, opts = {}) => {
    const chunks: Buffer[] = [];
    await readCriLog((await rt.containerStatus(id)).logPath!, opts, (b) => chunks.push(b), () => false);
    return Buffer.concat(chunks).toString();
  };

  it("runs the command with the host shell; exit codes become Completed and Error; stdout and stderr go to the CRI log", async () => {
    const ok = await run({ name: "ok", command: ["sh", "-c", "echo hello; echo oops >&2"] });
    const bad = await run({ name: "bad", command: ["sh", "-c", "echo failing; exit 3"] });
    expect(await exited(ok)).toMatchObject({ exitCode: 0, reason: "Completed", state: "CONTAINER_EXITED" });
    expect(await exited(bad)).toMatchObject({ exitCode: 3, reason: "Error" });
    const raw = readFileSync((await rt.containerStatus(ok)).logPath!, "utf8");
    expect(raw).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z stdout F hello$/m);
    expect(raw).toMatch(/ stderr F oops$/m);
    expect(await logOf(ok)).toBe("hello\noops\n");
    expect(await logOf(bad, { timestamps: true })).toMatch(/^\S+Z failing\n$/);
  });

  it("SIGTERM stops a process that handles it; one that ignores it is SIGKILLed at the deadline with its whole group", async () => {
    const polite = await run({ name: "polite", command: ["sh", "-c", "trap 'echo bye; exit 0' TERM; echo up; while true; do sleep 0.1; done"] });
    await until("polite to start", async () => (await logOf(polite)).includes("up"));
    await rt.stopContainer(polite, 10);
    expect(await exited(polite)).toMatchObject({ exitCode: 0, reason: "Completed" });
    expect(await logOf(polite)).toContain("bye");

    const stubborn = await run({ name: "stubborn", command: ["sh", "-c", "trap '' TERM; echo $$ > pid; sleep 1000 & echo $! > child; echo up; wait"] });
    await until("stubborn to start", async () => (await logOf(stubborn)).includes("up"));
    const t0 = Date.now();
    await rt.stopContainer(stubborn, 1);
    expect(await exited(stubborn)).toMatchObject({ exitCode: 137, reason: "Error" });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    const child = Number(readFileSync(join(dir, "pods", "uid-1", "containers", "stubborn", "rootfs", "child"), "utf8"));
    await until("the background child to be gone", () => !existsSync(`/proc/${child}`) || readFileSync(`/proc/${child}/stat`, "utf8").split(") ")[1]!.startsWith("Z"));
  });

  it("a container over its memory limit is OOMKilled (137); usage is read from /proc", async () => {
    const hog = await run({
      name: "hog",
      command: [process.execPath, "-e", "const a=[]; setInterval(() => a.push(Buffer.alloc(8e6, 1)), 20)"],
      memoryLimitBytes: 64 * 1024 * 1024,
    });
    expect(await exited(hog)).toMatchObject({ exitCode: 137, reason: "OOMKilled" });

    const idle = await run({ name: "idle", command: ["sleep", "1000"] });
    await until("usage sampled", () => rt.usage(idle).memory !== "0Ki" && rt.usage(idle));
    expect(rt.usage(idle).memory).toMatch(/^\d+Ki$/);
  });

  it("env, POD_IP, workingDir and volumes: emptyDir, configMap with items and defaultMode, updated in place via ..data", async () => {
    let data: Record<string, string> = { "app.conf": "v1", other: "x" };
    const lookup: ObjectLookup = {
      configMap: async (_ns, name) => (name === "cfg" ? { metadata: { name }, data } : undefined),
      secret: async () => ({ metadata: { name: "s" }, data: { token: Buffer.from("s3cret").toString("base64") } }),
      services: async () => [],
      runtimeClass: async () => undefined,
    };
    rt.close();
    rt = new ProcessRuntime({ dataDir: dir, catalogue: new ImageCatalogue(), podCIDR: "127.250.8.0/24", lookup, pollMs: 100, volumeSyncMs: 100 });
    exits = [];
    rt.events((e) => e.type === "exited" && exits.push(e.container));
    const volumes = [
      { name: "cache", emptyDir: {} },
      { name: "cfg", configMap: { name: "cfg", items: [{ key: "app.conf", path: "conf/app.conf" }], defaultMode: 0o600 } },
      { name: "sec", secret: { secretName: "s" } },
    ];
    const id = await run({
      name: "app",
      command: ["sh", "-c", 'echo "$GREETING $POD_IP $HOST" ; pwd; cat "$KUBEACTOR_ROOTFS/etc/sec/token"; echo; while true; do cat "$KUBEACTOR_ROOTFS/etc/cfg/conf/app.conf"; echo; sleep 0.1; done'],
      envs: [{ name: "GREETING", value: "hi" }],
      workingDir: "/work/dir",
      volumes,
      mounts: [
        { name: "cache", mountPath: "/cache" },
        { name: "cfg", mountPath: "/etc/cfg" },
        { name: "sec", mountPath: "/etc/sec" },
      ],
    });
    const ip = (await rt.listPodSandboxes())[0]!.ip;
    expect(ip).toMatch(/^127\.250\.8\.\d+$/);
    await until("the env line and the first config", async () => (await logOf(id)).includes("v1"));
    const lines = (await logOf(id)).split("\n");
    expect(lines[0]).toBe(`hi ${ip} ${ip}`);
    expect(lines[1]).toMatch(/\/containers\/app\/rootfs\/work\/dir$/);
    expect(lines[2]).toBe("s3cret");
    const cfgDir = join(dir, "pods", "uid-1", "volumes", "cfg");
    expect(readlinkSync(join(cfgDir, "conf"))).toBe("..data/conf");
    expect(readFileSync(join(cfgDir, "conf", "app.conf"), "utf8")).toBe("v1");
    expect(readdirSync(cfgDir)).not.toContain("other");
    const before = readlinkSync(join(cfgDir, "..data"));
    data = { "app.conf": "v2" };
    await until("the process to see the update", async () => (await logOf(id)).includes("v2"));
    expect(readlinkSync(join(cfgDir, "..data"))).not.toBe(before);
    expect(readdirSync(cfgDir).filter((n) => n.startsWith("..") && n !== "..data")).toHaveLength(1);
  });

  it("the echo image listens on the pod IP and reports pod name and path", async () => {
    const id = await run({ name: "echo", image: "kubeactor/echo", ports: [8080] });
    const ip = (await rt.listPodSandboxes())[0]!.ip;
    const body = await until("the echo server to answer", async () => (await fetch(`http://${ip}:8080/hello?x=1`)).json() as Promise<Record<string, unknown>>);
    expect(body).toMatchObject({ pod: "web", namespace: "default", podIP: ip, path: "/hello?x=1", method: "GET" });
    await rt.stopContainer(id, 5);
    expect(await exited(id)).toMatchObject({ exitCode: 0 });
    expect(await logOf(id)).toContain("GET /hello?x=1 200");
  });

  it("images outside the catalogue fail to pull with how to add them; the user catalogue file adds them; a missing executable fails to start", async () => {
    const err = await rt.pullImage("tomcat:9.0.55", "IfNotPresent", sandbox).catch((e) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect(err.reason).toBe("ErrImagePull");
    expect(err.message).toContain(`image "tomcat:9.0.55" is not in the local image catalogue: add it to ${join(dir, "images.json")}`);
    writeFileSync(join(dir, "images.json"), JSON.stringify({ tomcat: ["sh", "-c", "echo catalina"] }));
    expect(await rt.pullImage("docker.io/library/tomcat:9.0.55", "IfNotPresent", sandbox)).toMatch(/^process:\/\/sha256:/);
    const id = await run({ name: "tc", image: "tomcat:9.0.55" });
    expect(await exited(id)).toMatchObject({ exitCode: 0 });
    expect(await logOf(id)).toBe("catalina\n");

    const missing = await run({ name: "nope", command: ["no-such-binary-kubeactor"] }).catch((e) => e);
    expect(missing).toBeInstanceOf(RuntimeError);
    expect(missing.message).toContain('exec: "no-such-binary-kubeactor": executable file not found in $PATH');
  });

  it("termination messages: the file at terminationMessagePath, else the log's tail with FallbackToLogsOnError", async () => {
    const file = await run({ name: "file", command: ["sh", "-c", "mkdir -p dev; printf 'bye now' > dev/termination-log; exit 2"] });
    expect(await exited(file)).toMatchObject({ exitCode: 2, message: "bye now" });
    const custom = await run({ name: "custom", command: ["sh", "-c", "printf done > msg"], terminationMessagePath: "/msg" });
    expect(await exited(custom)).toMatchObject({ exitCode: 0, message: "done" });
    const fallback = await run({ name: "fallback", command: ["sh", "-c", "echo one; echo boom >&2; exit 1"], terminationMessagePolicy: "FallbackToLogsOnError" });
    expect(await exited(fallback)).toMatchObject({ exitCode: 1, message: "one\nboom\n" });
    const quiet = await run({ name: "quiet", command: ["sh", "-c", "echo fine"], terminationMessagePolicy: "FallbackToLogsOnError" });
    expect((await exited(quiet)).message).toBeUndefined();
  });

  it("kill from outside: the exit is reported with the signal's code", async () => {
    const id = await run({ name: "victim", command: ["sleep", "1000"] });
    const pid = rt.pidOf(id)!;
    process.kill(pid, "SIGKILL");
    expect(await exited(id)).toMatchObject({ exitCode: 137, reason: "Error" });

    // The container.exit injection kills the group and reports the code asked for.
    const injected = await run({ name: "injected", command: ["sleep", "1000"] });
    expect(rt.crash({ namespace: "default", pod: "web", container: "injected" }, 42)).toBe(true);
    expect(await exited(injected)).toMatchObject({ exitCode: 42, reason: "Error" });
    expect(rt.crash({ namespace: "default", pod: "web", container: "injected" }, 42)).toBe(false);
  });
});

describe("orphans", () => {
  it("a restarted kubelet kills the process groups a SIGKILLed one left under its directory", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kubeactor-orphans-"));
    try {
      const cwd = join(dir, "pods", "u", "containers", "c", "rootfs");
      mkdirSync(cwd, { recursive: true });
      const child = spawn("sh", ["-c", "sleep 1000 & wait"], { cwd, detached: true, stdio: "ignore" });
      const gone = new Promise((r) => child.on("exit", r));
      await until("the orphan to run", () => existsSync(`/proc/${child.pid}`));
      expect(reapOrphans([join(dir, "elsewhere"), dir])).toBe(1);
      await gone;
      // The shell is gone; the killed sleep may take a moment longer to leave /proc on a loaded machine.
      await until("every process of the group to be gone", () => reapOrphans(dir) === 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("CRI logs", () => {
  it("rotate at the size limit keeping maxFiles files, and read back in order with tail, since and limitBytes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kubeactor-logs-"));
    try {
      const path = join(dir, "0.log");
      const w = new CriLogWriter(path, { maxBytes: 400, maxFiles: 3 });
      for (let i = 0; i < 40; i++) w.write(i % 2 ? "stderr" : "stdout", Buffer.from(`line ${i}\n`));
      w.write("stdout", Buffer.from("no newline"));
      w.close();
      expect(rotatedFiles(path).length).toBe(2);
      const read = async (opts: object) => {
        const out: Buffer[] = [];
        await readCriLog(path, opts, (b) => out.push(b), () => false);
        return Buffer.concat(out).toString();
      };
      const all = (await read({})).split("\n").filter(Boolean);
      expect(all.at(-1)).toBe("no newline");
      expect(all.at(-2)).toBe("line 39");
      // Older lines were rotated away; what is left is contiguous.
      const first = Number(all[0]!.split(" ")[1]);
      expect(all.slice(0, -1)).toEqual(Array.from({ length: 40 - first }, (_, i) => `line ${first + i}`));
      expect(await read({ tailLines: 2 })).toBe("line 39\nno newline\n");
      expect(await read({ tailLines: 0 })).toBe("");
      expect(await read({ tailLines: 1, limitBytes: 4 })).toBe("no n");
      expect(await read({ sinceMs: Date.now() + 60_000 })).toBe("");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("container environment", () => {
  const pod = {
    metadata: { name: "web-1", namespace: "shop", uid: "u-9", labels: { app: "web", tier: "fe" }, annotations: { note: "x" } },
    spec: { nodeName: "node-2" },
  };
  const lookup: ObjectLookup = {
    configMap: async (_ns, name) => (name === "cfg" ? { data: { MODE: "prod", LEVEL: "3" } } : undefined),
    secret: async (_ns, name) => (name === "creds" ? { data: { password: Buffer.from("pw").toString("base64") } } : undefined),
    services: async (ns) =>
      ns === "shop"
        ? [
            { metadata: { name: "redis-primary" }, spec: { clusterIP: "10.96.0.7", ports: [{ name: "redis", port: 6379, protocol: "TCP" }, { port: 9121 }] } },
            { metadata: { name: "headless" }, spec: { clusterIP: "None", ports: [{ port: 80 }] } },
          ]
        : [{ metadata: { name: "kubernetes" }, spec: { clusterIP: "10.96.0.1", ports: [{ name: "https", port: 443 }] } }],
    runtimeClass: async () => undefined,
  };

  it("service links as Kubernetes writes them (and only the master service without enableServiceLinks)", async () => {
    const env = Object.fromEntries((await containerEnv({ name: "c" }, { pod }, lookup)).map((e) => [e.name, e.value]));
    expect(env).toMatchObject({
      REDIS_PRIMARY_SERVICE_HOST: "10.96.0.7",
      REDIS_PRIMARY_SERVICE_PORT: "6379",
      REDIS_PRIMARY_SERVICE_PORT_REDIS: "6379",
      REDIS_PRIMARY_PORT: "tcp://10.96.0.7:6379",
      REDIS_PRIMARY_PORT_6379_TCP: "tcp://10.96.0.7:6379",
      REDIS_PRIMARY_PORT_6379_TCP_PROTO: "tcp",
      REDIS_PRIMARY_PORT_6379_TCP_PORT: "6379",
      REDIS_PRIMARY_PORT_6379_TCP_ADDR: "10.96.0.7",
      REDIS_PRIMARY_PORT_9121_TCP: "tcp://10.96.0.7:9121",
      KUBERNETES_SERVICE_HOST: "10.96.0.1",
      KUBERNETES_SERVICE_PORT_HTTPS: "443",
    });
    expect(Object.keys(env).some((k) => k.startsWith("HEADLESS"))).toBe(false);
    const off = await containerEnv({ name: "c" }, { pod: { ...pod, spec: { enableServiceLinks: false } } }, lookup);
    expect(off.map((e) => e.name).some((n) => n.startsWith("REDIS"))).toBe(false);
    expect(off.map((e) => e.name)).toContain("KUBERNETES_SERVICE_HOST");
    expect(serviceEnv([{ metadata: { name: "9lives" }, spec: { clusterIP: "1.2.3.4", ports: [{ port: 1 }] } }])[0]!.name).toBe("_9LIVES_SERVICE_HOST");
  });

  it("values, $(VAR) expansion, fieldRef, resourceFieldRef, configMap/secret refs, envFrom with prefix, optional refs, errors", async () => {
    const container = {
      name: "c",
      resources: { limits: { memory: "128Mi" }, requests: { cpu: "250m" } },
      envFrom: [{ configMapRef: { name: "cfg" }, prefix: "CFG_" }, { secretRef: { name: "absent", optional: true } }],
      env: [
        { name: "A", value: "1" },
        { name: "B", value: "$(A)-$(CFG_MODE)-$(NOPE)-$$(A)" },
        { name: "NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
        { name: "NS", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
        { name: "UID", valueFrom: { fieldRef: { fieldPath: "metadata.uid" } } },
        { name: "APP", valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
        { name: "LABELS", valueFrom: { fieldRef: { fieldPath: "metadata.labels" } } },
        { name: "IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
        { name: "NODE", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
        { name: "MEM", valueFrom: { resourceFieldRef: { resource: "limits.memory", divisor: "1Mi" } } },
        { name: "CPU_REQ", valueFrom: { resourceFieldRef: { resource: "requests.cpu", divisor: "1m" } } },
        { name: "CPU_LIM", valueFrom: { resourceFieldRef: { resource: "limits.cpu" } } },
        { name: "MODE", valueFrom: { configMapKeyRef: { name: "cfg", key: "MODE" } } },
        { name: "PW", valueFrom: { secretKeyRef: { name: "creds", key: "password" } } },
        { name: "OPT", valueFrom: { secretKeyRef: { name: "creds", key: "nope", optional: true } } },
      ],
    };
    const env = Object.fromEntries(
      (await containerEnv(container, { pod, podIP: "127.244.2.9", nodeAllocatable: { cpu: "4", memory: "8Gi" } }, lookup)).map((e) => [e.name, e.value]),
    );
    expect(env).toMatchObject({
      CFG_MODE: "prod",
      CFG_LEVEL: "3",
      A: "1",
      B: "1-prod-$(NOPE)-$(A)",
      NAME: "web-1",
      NS: "shop",
      UID: "u-9",
      APP: "web",
      LABELS: 'app="web"\ntier="fe"',
      IP: "127.244.2.9",
      NODE: "node-2",
      MEM: "128",
      CPU_REQ: "250",
      CPU_LIM: "4",
      MODE: "prod",
      PW: "pw",
    });
    expect(env).not.toHaveProperty("OPT");
    await expect(containerEnv({ name: "c", env: [{ name: "X", valueFrom: { configMapKeyRef: { name: "cfg", key: "MISSING" } } }] }, { pod }, lookup)).rejects.toThrow(
      "couldn't find key MISSING in ConfigMap shop/cfg",
    );
    await expect(containerEnv({ name: "c", envFrom: [{ secretRef: { name: "gone" } }] }, { pod }, lookup)).rejects.toThrow('secret "gone" not found');
  });

  it("a missing non-optional configMap volume is a configuration error; an optional one is empty", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kubeactor-vol-"));
    try {
      await expect(syncVolumes(dir, "shop", [{ name: "v", configMap: { name: "gone" } }], lookup)).rejects.toThrow('configmap "gone" not found');
      await syncVolumes(dir, "shop", [{ name: "v", configMap: { name: "gone", optional: true } }], lookup);
      const names = readdirSync(join(dir, "volumes", "v"));
      expect(names).toHaveLength(2);
      expect(names).toContain("..data");
      expect(names.every((n) => n.startsWith(".."))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
