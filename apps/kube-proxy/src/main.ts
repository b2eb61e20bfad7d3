/**
 * The kube-proxy process: `tsx apps/kube-proxy/src/main.ts --nats URL [--node-name node-1]`.
 * It also runs the cluster DNS server on --dns-port (0 turns it off), so one
 * process gives a host both Services and names. On one host, run one of
 * them: a second would find the ClusterIP and DNS addresses taken.
 */
import { startDnsServer } from "@kubeactor/dns";
import { startKubeProxy } from "@kubeactor/proxy";
import { chooseBus, defaultNatsUrl, FlagError, flagHelp, inspectFlag, onShutdown, parseFlags, connectComponent } from "@kubeactor/runtime";

const flags = {
  nats: { type: "string", default: defaultNatsUrl(), help: "NATS server URL (default: loopback on KUBEACTOR_NATS_PORT, 4222)" },
  "node-name": { type: "string", help: "serve the NodePorts of these nodes (comma-separated); default: every node" },
  "nodeport-addresses": { type: "string", default: "127.0.0.1", help: "more addresses NodePorts listen on (comma-separated; empty for none)" },
  "min-sync-period-ms": { type: "int", default: 50, help: "changes are applied at most once per this many milliseconds" },
  "sync-period-ms": { type: "int", default: 30_000, help: "a full sync at least this often (retries listeners that failed)" },
  "dns-port": { type: "int", default: 10053, help: "cluster DNS on 127.0.0.1:<port>, UDP and TCP (0: no DNS server)" },
  "cluster-domain": { type: "string", default: "cluster.local", help: "the DNS zone" },
  inspect: inspectFlag,
} as const;

const list = (s: string | undefined) => (s ?? "").split(",").map((x) => x.trim()).filter(Boolean);

const main = async () => {
  const { values } = parseFlags(flags, process.argv.slice(2));
  const bus = await chooseBus({ nats: values.nats!, natsPort: 0, dataDir: "." });
  const nodeNames = list(values["node-name"]);
  const component = await connectComponent(bus, "kube-proxy", values.inspect);
  const proxy = await startKubeProxy({
    ...component.options,
    ...(nodeNames.length ? { nodeNames } : {}),
    nodePortAddresses: list(values["nodeport-addresses"]),
    minSyncPeriodMs: values["min-sync-period-ms"],
    syncPeriodMs: values["sync-period-ms"],
    log: (line) => console.error(`kube-proxy: ${line}`),
  });
  console.log(`kube-proxy: ready (NodePorts of ${nodeNames.length ? nodeNames.join(", ") : "every node"})`);
  const dns = values["dns-port"] > 0
    ? await startDnsServer({ bus: await bus.connect("dns"), port: values["dns-port"], zone: values["cluster-domain"]!, log: (line) => console.error(`dns: ${line}`) })
    : undefined;
  if (dns) console.log(`dns: serving ${values["cluster-domain"]} on ${dns.host}:${dns.port} (UDP and TCP)`);
  onShutdown(async () => {
    await dns?.stop();
    await proxy.stop();
    component.stopInspection();
    await bus.stop();
  });
};

main().catch((e) => {
  console.error(`kube-proxy: ${e instanceof FlagError ? `${e.message}\n${flagHelp(flags)}` : (e as Error).message}`);
  process.exit(1);
});
