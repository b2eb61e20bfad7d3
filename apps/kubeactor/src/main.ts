/**
 * The kubeactor CLI. `kubeactor up` runs the all-in-one cluster (what
 * `npm start` runs). Bad flags are a one-line error and exit code 2.
 */
import { horizontalPodAutoscalerOptionsFrom, nodeLifecycleOptionsFrom, resourceQuotaOptionsFrom } from "@kubeactor/controllers";
import { asFlagError, defaultNatsUrl, FlagError, flagHelp, parseFlags } from "@kubeactor/runtime";
import { injectUsage, runInject } from "./inject.ts";
import { inspectFlags, runInspect } from "./inspect.ts";
import { runUp, upFlags } from "./up.ts";

const usage = `usage: kubeactor <command> [flags]

commands:
  up      run an all-in-one cluster in the foreground
  inject  send a fault-injection event to a running cluster (over NATS)
  inspect watch every component's state machines live (text view; --stately-port N for the Stately inspector)

flags for up:
${flagHelp(upFlags)}

${injectUsage}`;

const main = async (argv: string[]) => {
  const [command, ...rest] = argv;
  switch (command) {
    case "up": {
      const { values, positional } = parseFlags(upFlags, rest);
      if (positional.length) throw new FlagError(`unexpected argument: ${positional[0]}`);
      await runUp({
        dataDir: values["data-dir"]!,
        port: values.port,
        nodes: values.nodes,
        ...(values.nats ? { nats: values.nats } : {}),
        natsPort: values["nats-port"],
        embedded: values.embedded,
        inspect: values.inspect,
        defaultTolerationSeconds: { notReady: values["default-not-ready-toleration-seconds"], unreachable: values["default-unreachable-toleration-seconds"] },
        nodeLifecycle: asFlagError(() => nodeLifecycleOptionsFrom(values)),
        horizontalPodAutoscaler: asFlagError(() => horizontalPodAutoscalerOptionsFrom(values)),
        resourceQuota: asFlagError(() => resourceQuotaOptionsFrom(values)),
        serviceClusterIpRange: values["service-cluster-ip-range"]!,
        dnsPort: values["dns-port"],
        storeBackend: { backend: values["store-backend"], bucket: values["jetstream-bucket"], replicas: values["jetstream-replicas"] },
      });
      return;
    }
    case "inject": {
      const { values, positional } = parseFlags({ nats: { type: "string", default: defaultNatsUrl(), help: "NATS URL" } } as const, rest);
      console.log(await runInject(positional, values.nats!));
      return;
    }
    case "inspect": {
      const { values, positional } = parseFlags(inspectFlags, rest);
      await runInspect({ nats: values.nats!, components: positional, statelyPort: values["stately-port"] });
      return;
    }
    case undefined:
    case "help":
    case "--help":
    case "-h":
      console.log(usage);
      return;
    default:
      throw new FlagError(`unknown command "${command}"`);
  }
};

main(process.argv.slice(2)).catch((e) => {
  if (e instanceof FlagError) {
    console.error(`kubeactor: ${e.message} (see kubeactor --help)`);
    process.exit(2);
  }
  console.error(`kubeactor: ${(e as Error).message}`);
  process.exit(1);
});
