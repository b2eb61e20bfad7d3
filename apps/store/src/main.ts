/**
 * The store process (etcd's role): `tsx apps/store/src/main.ts --data-dir DIR --nats URL`.
 * Prints one readiness line; exits non-zero with the reason when recovery fails.
 */
import { join } from "node:path";
import { chooseBus, defaultNatsUrl, FlagError, flagHelp, inspectFlag, onShutdown, parseFlags, connectComponent } from "@kubeactor/runtime";
import { chooseStoreBackend, startStoreComponent, storeBackendFlags } from "@kubeactor/store";

const flags = {
  "data-dir": { type: "string", default: ".kubeactor", help: "directory for the store's log and snapshots (DIR/store)" },
  nats: { type: "string", default: defaultNatsUrl(), help: "NATS server URL, or comma-separated URLs of a cluster (default: loopback on KUBEACTOR_NATS_PORT, 4222)" },
  inspect: inspectFlag,
  ...storeBackendFlags,
} as const;

const main = async () => {
  const { values } = parseFlags(flags, process.argv.slice(2));
  const dataDir = values["data-dir"]!;
  const dir = join(dataDir, "store");
  const choice = chooseStoreBackend({
    backend: values["store-backend"],
    dir,
    natsUrl: values.nats,
    bucket: values["jetstream-bucket"],
    replicas: values["jetstream-replicas"],
  });
  const bus = await chooseBus({ nats: values.nats!, natsPort: 0, dataDir });
  const component = await connectComponent(bus, "store", values.inspect);
  const store = await startStoreComponent({ ...component.options, dir, ...choice });
  console.log(`store: serving revision ${store.backend.revision} (${store.backend.stats.objects} objects) from ${choice.where} on ${bus.description}`);
  onShutdown(async () => {
    await store.stop();
    component.stopInspection();
    await bus.stop();
  });
};

main().catch((e) => {
  console.error(`store: ${e instanceof FlagError ? `${e.message}\n${flagHelp(flags)}` : (e as Error).message}`);
  process.exit(1);
});
