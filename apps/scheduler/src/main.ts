/** The scheduler process: `tsx apps/scheduler/src/main.ts --nats URL`. */
import { startScheduler } from "@kubeactor/scheduler";
import { chooseBus, defaultNatsUrl, FlagError, flagHelp, leaderElectionFlags, leaderElectionFromFlags, onShutdown, parseFlags } from "@kubeactor/runtime";

const flags = {
  nats: { type: "string", default: defaultNatsUrl(), help: "NATS server URL (default: loopback on KUBEACTOR_NATS_PORT, 4222)" },
  ...leaderElectionFlags,
} as const;

const main = async () => {
  const { values } = parseFlags(flags, process.argv.slice(2));
  const leaderElection = leaderElectionFromFlags(values);
  const bus = await chooseBus({ nats: values.nats!, natsPort: 0, dataDir: "." });
  const scheduler = await startScheduler({
    bus: await bus.connect("scheduler"),
    log: (line) => console.error(`scheduler: ${line}`),
    ...(leaderElection ? { leaderElection } : {}),
  });
  console.log("scheduler: ready");
  onShutdown(async () => {
    await scheduler.stop();
    await bus.stop();
  });
};

main().catch((e) => {
  console.error(`scheduler: ${e instanceof FlagError ? `${e.message}\n${flagHelp(flags)}` : (e as Error).message}`);
  process.exit(1);
});
