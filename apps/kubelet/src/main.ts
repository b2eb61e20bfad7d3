/** The kubelet process: `tsx apps/kubelet/src/main.ts --nodes 3 --nats URL` runs that many simulated nodes. */
import { startKubelet } from "@kubeactor/kubelet";
import { chooseBus, defaultNatsUrl, FlagError, flagHelp, inspectFlag, onShutdown, parseFlags, connectComponent } from "@kubeactor/runtime";

const flags = {
  nodes: { type: "int", default: 3, help: "how many simulated nodes this process runs" },
  "name-prefix": { type: "string", default: "node-", help: "node names are <prefix><index>" },
  "first-index": { type: "int", default: 1, help: "index of the first node (podCIDR, IP, zone); give each kubelet process its own range" },
  cpu: { type: "string", default: "4", help: "CPU capacity of each node" },
  memory: { type: "string", default: "8Gi", help: "memory capacity of each node" },
  "max-pods": { type: "int", default: 110, help: "pod capacity of each node" },
  "node-labels": { type: "string", help: "extra node labels, k=v,k2=v2" },
  "register-with-taints": { type: "string", help: "taints to register with, k=v:NoSchedule,k2:NoExecute" },
  "extended-resources": { type: "string", help: "extended resources each node advertises, example.com/gpu=4,..." },
  "data-dir": { type: "string", default: ".kubeactor", help: "data dir: images.json (the user image catalogue) and kubelet/<node>/ (process containers' files and logs)" },
  nats: { type: "string", default: defaultNatsUrl(), help: "NATS server URL (default: loopback on KUBEACTOR_NATS_PORT, 4222)" },
  inspect: inspectFlag,
} as const;

const parseLabels = (s: string | undefined): Record<string, string> =>
  Object.fromEntries(
    (s ?? "")
      .split(",")
      .filter(Boolean)
      .map((kv) => {
        const i = kv.indexOf("=");
        if (i <= 0) throw new FlagError(`invalid value "${kv}" for flag --node-labels: want key=value`);
        return [kv.slice(0, i), kv.slice(i + 1)];
      }),
  );

const parseTaints = (s: string | undefined) =>
  (s ?? "")
    .split(",")
    .filter(Boolean)
    .map((t) => {
      const m = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(t);
      if (!m) throw new FlagError(`invalid value "${t}" for flag --register-with-taints: want key[=value]:NoSchedule|PreferNoSchedule|NoExecute`);
      return { key: m[1]!, ...(m[2] !== undefined ? { value: m[2] } : {}), effect: m[3]! };
    });

const parseExtended = (s: string | undefined): Record<string, string> =>
  Object.fromEntries(
    (s ?? "")
      .split(",")
      .filter(Boolean)
      .map((kv) => {
        const m = /^([^=/]+\/[^=/]+)=(\d+)$/.exec(kv);
        if (!m || m[1]!.startsWith("kubernetes.io/")) throw new FlagError(`invalid value "${kv}" for flag --extended-resources: want example.com/name=<whole number>`);
        return [m[1]!, m[2]!];
      }),
  );

const main = async () => {
  const { values } = parseFlags(flags, process.argv.slice(2));
  const labels = parseLabels(values["node-labels"]);
  const taints = parseTaints(values["register-with-taints"]);
  const extendedResources = parseExtended(values["extended-resources"]);
  const bus = await chooseBus({ nats: values.nats!, natsPort: 0, dataDir: "." });
  const component = await connectComponent(bus, "kubelet", values.inspect);
  const kubelet = await startKubelet({
    ...component.options,
    nodes: values.nodes,
    namePrefix: values["name-prefix"]!,
    firstIndex: values["first-index"],
    cpu: values.cpu!,
    memory: values.memory!,
    maxPods: values["max-pods"],
    labels,
    taints,
    extendedResources,
    dataDir: values["data-dir"]!,
    log: console.error,
  });
  console.log(`kubelet: ${kubelet.nodes.length} nodes ready`);
  onShutdown(async () => {
    await kubelet.stop();
    component.stopInspection();
    await bus.stop();
  });
};

main().catch((e) => {
  console.error(`kubelet: ${e instanceof FlagError ? `${e.message}\n${flagHelp(flags)}` : (e as Error).message}`);
  process.exit(1);
});
