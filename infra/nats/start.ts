/**
 * nats-server for `npm run dev`: JetStream data under the repository's
 * `.kubeactor/nats` (or KUBEACTOR_DATA_DIR), port KUBEACTOR_NATS_PORT (4222).
 * Without nats-server installed it stops with a one-line hint.
 */
import { join, resolve } from "node:path";
import { mkdirSync } from "node:fs";
import { findNatsServer, startNatsServer } from "@kubeactor/bus";
import { onShutdown } from "@kubeactor/runtime";

const repoRoot = resolve(import.meta.dirname, "..", "..");
const dataDir = resolve(repoRoot, process.env.KUBEACTOR_DATA_DIR ?? ".kubeactor");
const port = Number(process.env.KUBEACTOR_NATS_PORT ?? "4222");

if (!findNatsServer()) {
  console.error("nats: nats-server is not installed; install it with `sudo apt-get install -y nats-server` (or use `npm start` for the in-process bus)");
  process.exit(1);
}
const storeDir = join(dataDir, "nats");
mkdirSync(storeDir, { recursive: true });
startNatsServer({ port, storeDir }).then(
  (server) => {
    console.log(`nats: ready at ${server.url} (JetStream in ${storeDir})`);
    onShutdown(() => server.stop());
  },
  (e) => {
    console.error(`nats: ${(e as Error).message.split("\n")[0]}`);
    process.exit(1);
  },
);
