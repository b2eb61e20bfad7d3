/**
 * One composition, two shapes: `kubeactor up` (every component in one
 * process) and the `turbo dev` shape (every component its own process over a
 * real nats-server) pass the same scenario — a Deployment runs, a node stopped
 * from a plain NATS client loses its pods to the other nodes, and the node
 * comes back. The multi-process shape then survives what only it can suffer:
 * nats-server restarting under every component, and the store killed with
 * SIGKILL and started again; the cluster keeps reconciling without a manual
 * restart of anything else.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, findNatsServer, freePort, type RunningNats, type RunningProcess, startNatsServer, startProcess, until } from "@kubeactor/testing";

/** Short enough that a stopped node's pods move within half a minute; the grace period must outlast the kubelets' 10 s lease renewals. */
const FAST_FAILOVER = { gracePeriod: "20s", tolerationSeconds: "2" };

interface Shape {
  readonly apiUrl: string;
  readonly natsUrl: string;
}

const deployment = (name: string, replicas: number) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "web", image: "nginx:1.27" }] } },
  },
});

const availableReplicas = async (api: string, name: string): Promise<number> => {
  const { code, body } = await call(api, "GET", `/apis/apps/v1/namespaces/default/deployments/${name}`);
  return code === 200 ? (body.status?.availableReplicas ?? 0) : -1;
};

const runningPodsByNode = async (api: string, app: string): Promise<Map<string, number>> => {
  const { body } = await call(api, "GET", `/api/v1/namespaces/default/pods?labelSelector=app%3D${app}`);
  const byNode = new Map<string, number>();
  for (const p of body.items ?? []) {
    if (p.status?.phase !== "Running" || p.metadata.deletionTimestamp) continue;
    byNode.set(p.spec.nodeName, (byNode.get(p.spec.nodeName) ?? 0) + 1);
  }
  return byNode;
};

/** What a user would type with the `nats` CLI: a JSON request on kube.node.<node>.inject. */
const inject = async (natsUrl: string, node: string, event: object): Promise<unknown> => {
  const nc = await connect({ servers: natsUrl, name: "shapes-test" });
  try {
    const reply = await nc.request(`kube.node.${node}.inject`, JSON.stringify(event), { timeout: 5000 });
    return reply.json();
  } finally {
    await nc.close();
  }
};

const nodeHasTaint = async (api: string, node: string, key: string): Promise<boolean> => {
  const { body } = await call(api, "GET", `/api/v1/nodes/${node}`);
  return (body.spec?.taints ?? []).some((t: { key: string }) => t.key === key);
};

/** The scenario both shapes pass. */
const deploymentSurvivesNodeStop = async ({ apiUrl, natsUrl }: Shape): Promise<void> => {
  expect((await call(apiUrl, "POST", "/apis/apps/v1/namespaces/default/deployments", deployment("web", 3))).code).toBe(201);
  await until("3 available replicas", async () => (await availableReplicas(apiUrl, "web")) === 3, 60_000);

  // Stop the node running the most pods, as a partitioned node: its heartbeats stop.
  const before = await runningPodsByNode(apiUrl, "web");
  const [victim] = [...before.entries()].sort((a, b) => b[1] - a[1])[0]!;
  expect(await inject(natsUrl, victim, { type: "node.stop" })).toMatchObject({ ok: true, value: { node: victim } });

  await until(`${victim} tainted unreachable`, () => nodeHasTaint(apiUrl, victim, "node.kubernetes.io/unreachable"), 60_000);
  await until(
    `3 running pods off ${victim}`,
    async () => {
      const now = await runningPodsByNode(apiUrl, "web");
      const elsewhere = [...now.entries()].filter(([n]) => n !== victim).reduce((s, [, c]) => s + c, 0);
      return elsewhere === 3 && (await availableReplicas(apiUrl, "web")) === 3;
    },
    90_000,
  );

  expect(await inject(natsUrl, victim, { type: "node.start" })).toMatchObject({ ok: true, value: { node: victim } });
  await until(`${victim} untainted`, async () => !(await nodeHasTaint(apiUrl, victim, "node.kubernetes.io/unreachable")), 60_000);
};

const scaleTo = async (api: string, name: string, replicas: number) => {
  const res = await call(api, "PATCH", `/apis/apps/v1/namespaces/default/deployments/${name}/scale`, JSON.stringify({ spec: { replicas } }), {
    "Content-Type": "application/merge-patch+json",
  });
  expect(res.code).toBe(200);
};

const haveNats = !!findNatsServer();

describe.skipIf(!haveNats)("kubeactor up (one process)", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "kubeactor-shape-up-"));
  let up: RunningProcess;
  let shape: Shape;
  beforeAll(async () => {
    const port = await freePort();
    const natsPort = await freePort();
    up = await startProcess(
      "apps/kubeactor/src/main.ts",
      [
        "up",
        ...["--data-dir", dataDir, "--port", String(port), "--nats-port", String(natsPort)],
        ...["--node-monitor-grace-period", FAST_FAILOVER.gracePeriod],
        ...["--default-unreachable-toleration-seconds", FAST_FAILOVER.tolerationSeconds],
        ...["--default-not-ready-toleration-seconds", FAST_FAILOVER.tolerationSeconds],
      ],
      { ready: /export KUBECONFIG=/, timeoutMs: 60_000 },
    );
    shape = { apiUrl: `http://127.0.0.1:${port}`, natsUrl: `nats://127.0.0.1:${natsPort}` };
  }, 90_000);
  afterAll(async () => {
    await up?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("runs a deployment and moves it off a node stopped through NATS", () => deploymentSurvivesNodeStop(shape), 240_000);
});

describe.skipIf(!haveNats)("turbo dev shape (one process per component over nats-server)", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "kubeactor-shape-dev-"));
  const procs = new Map<string, RunningProcess>();
  let nats: RunningNats;
  let natsPort: number;
  let shape: Shape;

  // As `turbo dev` starts them: every component publishes its state machines.
  const natsArgs = () => ["--nats", `nats://127.0.0.1:${natsPort}`, "--inspect"];
  const apiNatsArgs = () => ["--nats", `nats://127.0.0.1:${natsPort}`];
  const startStore = async () =>
    procs.set("store", await startProcess("apps/store/src/main.ts", ["--data-dir", dataDir, ...natsArgs()], { ready: /store: serving/, timeoutMs: 60_000 }));

  beforeAll(async () => {
    natsPort = await freePort();
    nats = await startNatsServer({ port: natsPort, storeDir: join(dataDir, "nats") });
    const apiPort = await freePort();
    await startStore();
    const [api, cm, sched, kubelet] = await Promise.all([
      startProcess(
        "apps/apiserver/src/main.ts",
        [
          ...["--port", String(apiPort), ...apiNatsArgs()],
          ...["--default-unreachable-toleration-seconds", FAST_FAILOVER.tolerationSeconds],
          ...["--default-not-ready-toleration-seconds", FAST_FAILOVER.tolerationSeconds],
        ],
        { ready: /apiserver: serving/, timeoutMs: 60_000 },
      ),
      startProcess("apps/controller-manager/src/main.ts", [...natsArgs(), "--node-monitor-grace-period", FAST_FAILOVER.gracePeriod], {
        ready: /controller-manager: ready/,
        timeoutMs: 60_000,
      }),
      startProcess("apps/scheduler/src/main.ts", natsArgs(), { ready: /scheduler: ready/, timeoutMs: 60_000 }),
      startProcess("apps/kubelet/src/main.ts", ["--nodes", "3", ...natsArgs()], { ready: /kubelet: 3 nodes ready/, timeoutMs: 60_000 }),
    ]);
    procs.set("apiserver", api).set("controller-manager", cm).set("scheduler", sched).set("kubelet", kubelet);
    shape = { apiUrl: `http://127.0.0.1:${apiPort}`, natsUrl: `nats://127.0.0.1:${natsPort}` };
  }, 120_000);

  afterAll(async () => {
    for (const p of [...procs.values()].reverse()) await p.stop();
    await nats?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("runs a deployment and moves it off a node stopped through NATS", () => deploymentSurvivesNodeStop(shape), 240_000);

  it("publishes every component's state machines, and a restarted component announces its actors again", async () => {
    const nc = await connect({ servers: shape.natsUrl, name: "shapes-inspect" });
    const actorsBy = new Map<string, Set<string>>();
    const instancesOf = new Map<string, Set<string>>();
    const sub = nc.subscribe("kube.inspect.>", {
      callback: (err, msg) => {
        if (err) return;
        const rec = msg.json<{ component: string; instance?: string; type: string; machineId?: string; systemId?: string }>();
        if (rec.type !== "@xstate.actor") return;
        actorsBy.set(rec.component, (actorsBy.get(rec.component) ?? new Set()).add(rec.systemId ?? rec.machineId ?? "?"));
        if (rec.instance) instancesOf.set(rec.component, (instancesOf.get(rec.component) ?? new Set()).add(rec.instance));
      },
    });
    try {
      // What `kubeactor inspect` does on start: ask every component to announce its live actors.
      nc.publish("kube.inspect.announce", JSON.stringify({}));
      await until(
        "actors from store, controller-manager, scheduler and kubelet",
        () => ["store", "controller-manager", "scheduler", "kubelet"].every((c) => (actorsBy.get(c)?.size ?? 0) > 0),
        30_000,
      );
      expect([...actorsBy.get("kubelet")!]).toEqual(expect.arrayContaining(["kubelet/node-1", "kubelet/node-2", "kubelet/node-3"]));
      await procs.get("scheduler")!.stop();
      procs.set("scheduler", await startProcess("apps/scheduler/src/main.ts", natsArgs(), { ready: /scheduler: ready/, timeoutMs: 60_000 }));
      await until("a second scheduler instance announcing its actors", () => (instancesOf.get("scheduler")?.size ?? 0) >= 2, 30_000);
    } finally {
      sub.unsubscribe();
      await nc.close();
    }
  }, 120_000);

  it("keeps reconciling after nats-server restarts under every component", async () => {
    expect((await call(shape.apiUrl, "POST", "/apis/apps/v1/namespaces/default/deployments", deployment("steady", 2))).code).toBe(201);
    await until("2 available replicas", async () => (await availableReplicas(shape.apiUrl, "steady")) === 2, 60_000);
    await nats.stop();
    nats = await startNatsServer({ port: natsPort, storeDir: join(dataDir, "nats") });
    // The API server answers again once its connection is back, then the
    // controllers' watches must have resumed for the scale-up to happen.
    await until("the API server reaches the store again", async () => (await call(shape.apiUrl, "GET", "/api/v1/namespaces/default")).code === 200, 60_000);
    await scaleTo(shape.apiUrl, "steady", 4);
    await until("4 available replicas", async () => (await availableReplicas(shape.apiUrl, "steady")) === 4, 90_000);
    for (const [name, p] of procs) expect(p.child.exitCode, `${name} exited:\n${p.output()}`).toBeNull();
  }, 180_000);

  it("keeps its data and reconciles after the store is killed with SIGKILL", async () => {
    await procs.get("store")!.stop("SIGKILL");
    await startStore();
    await until("the API server reaches the new store", async () => (await call(shape.apiUrl, "GET", "/apis/apps/v1/namespaces/default/deployments/steady")).code === 200, 60_000);
    await scaleTo(shape.apiUrl, "steady", 1);
    await until("1 available replica and 1 pod", async () => {
      const pods = await runningPodsByNode(shape.apiUrl, "steady");
      return (await availableReplicas(shape.apiUrl, "steady")) === 1 && [...pods.values()].reduce((a, b) => a + b, 0) === 1;
    }, 90_000);
  }, 180_000);
});
