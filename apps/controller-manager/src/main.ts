/** The controller manager process: `tsx apps/controller-manager/src/main.ts --nats URL --controllers '*'`. */
import { resolve } from "node:path";
import {
  horizontalPodAutoscalerFlags, horizontalPodAutoscalerOptionsFrom, nodeLifecycleFlags, nodeLifecycleOptionsFrom, resourceQuotaFlags, resourceQuotaOptionsFrom, startControllerManager,
} from "@kubeactor/controllers";
import { asFlagError, chooseBus, defaultNatsUrl, FlagError, flagHelp, inspectFlag, leaderElectionFlags, leaderElectionFromFlags, onShutdown, parseFlags, connectComponent } from "@kubeactor/runtime";

const flags = {
  nats: { type: "string", default: defaultNatsUrl(), help: "NATS server URL (default: loopback on KUBEACTOR_NATS_PORT, 4222)" },
  "data-dir": { type: "string", default: ".kubeactor", help: "data dir: the local-path provisioner keeps volumes in volumes/ under it" },
  controllers: { type: "string", default: "*", help: "controllers to run: '*', names, '-name' to leave one out (comma-separated)" },
  ...nodeLifecycleFlags,
  ...horizontalPodAutoscalerFlags,
  ...resourceQuotaFlags,
  ...leaderElectionFlags,
  inspect: inspectFlag,
} as const;

const main = async () => {
  const { values } = parseFlags(flags, process.argv.slice(2));
  const nodeLifecycle = asFlagError(() => nodeLifecycleOptionsFrom(values));
  const horizontalPodAutoscaler = asFlagError(() => horizontalPodAutoscalerOptionsFrom(values));
  const resourceQuota = asFlagError(() => resourceQuotaOptionsFrom(values));
  const leaderElection = leaderElectionFromFlags(values);
  const bus = await chooseBus({ nats: values.nats!, natsPort: 0, dataDir: "." });
  const component = await connectComponent(bus, "controller-manager", values.inspect);
  const manager = await startControllerManager({
    ...component.options,
    controllers: values.controllers!.split(",").map((s) => s.trim()).filter(Boolean),
    nodeLifecycle,
    volumesDir: resolve(values["data-dir"]!, "volumes"),
    horizontalPodAutoscaler,
    resourceQuota,
    log: (line) => console.error(`controller-manager: ${line}`),
    ...(leaderElection ? { leaderElection } : {}),
  });
  const leading = manager.actor.getSnapshot().matches("Running");
  console.log(`controller-manager: ${leading ? "ready" : "standing by for the leader lease"} (${manager.controllers.join(", ")})`);
  onShutdown(async () => {
    await manager.stop();
    component.stopInspection();
    await bus.stop();
  });
};

main().catch((e) => {
  console.error(`controller-manager: ${e instanceof FlagError ? `${e.message}\n${flagHelp(flags)}` : (e as Error).message}`);
  process.exit(1);
});
