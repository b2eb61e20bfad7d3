/** The API server process: `tsx apps/apiserver/src/main.ts --port 6443 --nats URL`. */
import { startApiServer } from "@kubeactor/apiserver";
import { chooseBus, FlagError, flagHelp, onShutdown, parseFlags } from "@kubeactor/runtime";

const flags = {
  port: { type: "int", default: 6443, help: "port of the Kubernetes API (HTTP)" },
  nats: { type: "string", default: "nats://127.0.0.1:4222", help: "NATS server URL" },
} as const;

const main = async () => {
  const { values } = parseFlags(flags, process.argv.slice(2));
  const bus = await chooseBus({ nats: values.nats!, natsPort: 0, dataDir: "." });
  const api = await startApiServer({ bus: await bus.connect("apiserver"), port: values.port, log: console.error });
  console.log(`apiserver: serving the Kubernetes API on ${api.url}`);
  onShutdown(async () => {
    await api.close();
    await bus.stop();
  });
};

main().catch((e) => {
  console.error(`apiserver: ${e instanceof FlagError ? `${e.message}\n${flagHelp(flags)}` : (e as Error).message}`);
  process.exit(1);
});
