/**
 * `kubeactor inspect [COMPONENT...]`: the live actor tree of a running cluster
 * (started with `--inspect`, or `npm run dev` components given it) — each
 * actor's current state and its last events — as text, and with
 * `--stately-port N` also served to the Stately inspector in a browser.
 */
import { Bus, connectNats } from "@kubeactor/bus";
import { startInspectCli, startStatelyBridge } from "@kubeactor/inspect";
import { defaultNatsUrl, onShutdown } from "@kubeactor/runtime";

export const inspectFlags = {
  nats: { type: "string", default: defaultNatsUrl(), help: "NATS URL of the cluster" },
  "stately-port": { type: "int", default: 0, help: "also serve the Stately inspector bridge on this port (0: off)" },
} as const;

export const runInspect = async (opts: { nats: string; components: readonly string[]; statelyPort: number }): Promise<void> => {
  const transport = await Promise.race([
    connectNats({ servers: opts.nats, name: "kubeactor-inspect" }),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`cannot reach NATS at ${opts.nats} (is the cluster running on a NATS bus?)`)), 5000)),
  ]);
  const bus = new Bus(transport, { log: () => {} });
  const components = opts.components.length ? { components: [...opts.components] } : {};
  const cli = startInspectCli({ bus, out: (text) => process.stdout.write(text), ...components });
  const bridge = opts.statelyPort ? await startStatelyBridge({ bus, port: opts.statelyPort, ...components }) : undefined;
  if (bridge) console.error(`inspect: Stately inspector bridge at ${bridge.url}`);
  onShutdown(async () => {
    cli.stop();
    await bridge?.stop();
    await bus.close();
  });
};
