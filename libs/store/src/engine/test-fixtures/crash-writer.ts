/**
 * Crash-test child: opens a file backend in argv[2] and creates objects with
 * `inFlight` concurrent writers forever, printing `ACK <key> <value>` for each
 * acknowledged create. stdout to a pipe is synchronous on Linux, so every line
 * the parent reads was printed after the write was durable.
 */
import { createFileBackend } from "../file-backend.ts";

const dir = process.argv[2];
const prefix = process.argv[3] ?? "run";
if (!dir) throw new Error("usage: crash-writer <dir> [prefix]");
const store = createFileBackend({ dir, snapshotEvery: Number(process.argv[4] ?? 2000) });
await store.open();
process.stdout.write(`READY ${store.revision}\n`);

let n = 0;
async function writer(): Promise<never> {
  for (;;) {
    const i = n++;
    const name = `${prefix}-${String(i).padStart(7, "0")}`;
    const value = `v${i}-${"x".repeat(i % 200)}`;
    const key = `/core/configmaps/crash/${name}`;
    await store.create(key, { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "crash" }, data: { value } });
    process.stdout.write(`ACK ${key} ${value}\n`);
  }
}
await Promise.all(Array.from({ length: 32 }, writer));
