/**
 * The API server process: `tsx apps/apiserver/src/main.ts --port 6443 --nats URL [--data-dir DIR]`.
 * With a data dir it writes DIR/kubeconfig, as `kubeactor up` does.
 */
import { join, resolve } from "node:path";
import { mkdirSync } from "node:fs";
import { startApiServer } from "@kubeactor/apiserver";
import { chooseBus, defaultNatsUrl, FlagError, flagHelp, onShutdown, parseFlags, writeKubeconfig } from "@kubeactor/runtime";

const flags = {
  port: { type: "int", default: 6443, help: "port of the Kubernetes API (HTTP)" },
  nats: { type: "string", default: defaultNatsUrl(), help: "NATS server URL (default: loopback on KUBEACTOR_NATS_PORT, 4222)" },
  "data-dir": { type: "string", help: "write DIR/kubeconfig for this API server" },
  "default-not-ready-toleration-seconds": { type: "int", default: 300, help: "tolerationSeconds of the not-ready:NoExecute toleration added to pods without one" },
  "default-unreachable-toleration-seconds": { type: "int", default: 300, help: "tolerationSeconds of the unreachable:NoExecute toleration added to pods without one" },
  "service-cluster-ip-range": { type: "string", default: "127.96.0.0/12", help: "ClusterIPs come from this range (inside 127.0.0.0/8, so kube-proxy can bind them)" },
} as const;

const main = async () => {
  const { values } = parseFlags(flags, process.argv.slice(2));
  const bus = await chooseBus({ nats: values.nats!, natsPort: 0, dataDir: "." });
  const api = await startApiServer({
    bus: await bus.connect("apiserver"),
    port: values.port,
    log: console.error,
    defaultTolerationSeconds: { notReady: values["default-not-ready-toleration-seconds"], unreachable: values["default-unreachable-toleration-seconds"] },
    serviceClusterIpRange: values["service-cluster-ip-range"]!,
  });
  console.log(`apiserver: serving the Kubernetes API on ${api.url}`);
  if (values["data-dir"]) {
    const dir = resolve(values["data-dir"]);
    mkdirSync(dir, { recursive: true });
    writeKubeconfig(join(dir, "kubeconfig"), api.url);
    console.log(`apiserver: export KUBECONFIG=${join(dir, "kubeconfig")}`);
  }
  onShutdown(async () => {
    await api.close();
    await bus.stop();
  });
};

main().catch((e) => {
  console.error(`apiserver: ${e instanceof FlagError ? `${e.message}\n${flagHelp(flags)}` : (e as Error).message}`);
  process.exit(1);
});
