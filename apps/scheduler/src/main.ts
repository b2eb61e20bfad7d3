/** The scheduler process: `tsx apps/scheduler/src/main.ts --nats URL`. */
import { loadSchedulerConfiguration, startScheduler } from "@kubeactor/scheduler";
import { chooseBus, defaultNatsUrl, FlagError, flagHelp, inspectFlag, leaderElectionFlags, leaderElectionFromFlags, onShutdown, parseFlags, connectComponent } from "@kubeactor/runtime";

const flags = {
  nats: { type: "string", default: defaultNatsUrl(), help: "NATS server URL (default: loopback on KUBEACTOR_NATS_PORT, 4222)" },
  config: { type: "string", help: "KubeSchedulerConfiguration file (YAML or JSON): profiles, plugins, plugin args; its leaderElection replaces the --leader-elect flags" },
  ...leaderElectionFlags,
  inspect: inspectFlag,
} as const;

const main = async () => {
  const { values } = parseFlags(flags, process.argv.slice(2));
  // As kube-scheduler: with --config, the file's leaderElection wins over the flags.
  const config = values.config ? loadSchedulerConfiguration(values.config) : undefined;
  const leaderElection = config ? config.leaderElection : leaderElectionFromFlags(values);
  const bus = await chooseBus({ nats: values.nats!, natsPort: 0, dataDir: "." });
  const component = await connectComponent(bus, "scheduler", values.inspect);
  const scheduler = await startScheduler({
    ...component.options,
    log: (line) => console.error(`scheduler: ${line}`),
    ...(config ? { profiles: config.profiles, backoff: config.backoff } : {}),
    ...(leaderElection ? { leaderElection } : {}),
  });
  console.log("scheduler: ready");
  onShutdown(async () => {
    await scheduler.stop();
    component.stopInspection();
    await bus.stop();
  });
};

main().catch((e) => {
  console.error(`scheduler: ${e instanceof FlagError ? `${e.message}\n${flagHelp(flags)}` : (e as Error).message}`);
  process.exit(1);
});
