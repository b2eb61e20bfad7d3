/**
 * Which durable log the store runs on, chosen by flags that `apps/store` and
 * `kubeactor up` share: the embedded file log (default, one machine) or a
 * NATS JetStream KV bucket (a NATS cluster: survives losing a machine).
 */
import { join } from "node:path";
import { createJetStreamBackend, DEFAULT_JETSTREAM_BUCKET } from "./engine/jetstream-backend.ts";
import type { StoreBackend } from "./engine/types.ts";

/** Flag specs in the shape of @kubeactor/runtime's parseFlags. */
export const storeBackendFlags = {
  "store-backend": { type: "string", default: "file", help: "file (log and snapshots under DIR/store) or jetstream (a NATS JetStream KV bucket on the --nats server)" },
  "jetstream-bucket": { type: "string", default: DEFAULT_JETSTREAM_BUCKET, help: "KV bucket of --store-backend jetstream" },
  "jetstream-replicas": { type: "int", default: 1, help: "replicas of the KV bucket when the store creates it (3 on a 3-node NATS cluster)" },
} as const;

export interface StoreBackendChoice {
  /** Undefined: the component's default file backend under `dir`. */
  readonly backend?: StoreBackend;
  readonly backendName: string;
  /** Where the data lives, for the readiness line. */
  readonly where: string;
}

export class StoreBackendError extends Error {
  readonly _tag = "StoreBackendError";
}

export const chooseStoreBackend = (o: {
  readonly backend: string | undefined;
  readonly dir: string;
  /** The NATS URL(s) the process talks to; comma-separated for a cluster. Absent on the in-process bus. */
  readonly natsUrl: string | undefined;
  readonly bucket?: string | undefined;
  readonly replicas?: number | undefined;
}): StoreBackendChoice => {
  const name = o.backend ?? "file";
  if (name === "file") return { backendName: "file", where: join(o.dir) };
  if (name !== "jetstream") throw new StoreBackendError(`invalid value "${name}" for flag --store-backend: must be file or jetstream`);
  if (!o.natsUrl) throw new StoreBackendError("--store-backend jetstream needs a NATS server with JetStream: install nats-server or pass --nats URL");
  if (o.replicas !== undefined && (o.replicas < 1 || o.replicas > 5)) {
    throw new StoreBackendError(`invalid value "${o.replicas}" for flag --jetstream-replicas: must be 1 to 5`);
  }
  const servers = o.natsUrl.split(",").map((s) => s.trim()).filter(Boolean);
  const bucket = o.bucket ?? DEFAULT_JETSTREAM_BUCKET;
  if (!/^[-\w]+$/.test(bucket)) throw new StoreBackendError(`invalid value "${bucket}" for flag --jetstream-bucket: letters, digits, - and _ only`);
  return {
    backend: createJetStreamBackend({ servers, bucket, replicas: o.replicas ?? 1 }),
    backendName: "jetstream",
    where: `JetStream KV bucket ${bucket} at ${servers.join(",")}`,
  };
};
