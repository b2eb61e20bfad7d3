export * from "./types.ts";
export { createFileBackend, createMemoryBackend, DEFAULT_SNAPSHOT_EVERY, DEFAULT_SEGMENT_BYTES } from "./file-backend.ts";
export { DEFAULT_HISTORY_LIMIT, DEFAULT_MAX_OBJECT_BYTES } from "./engine.ts";
export { createJetStreamBackend, DEFAULT_JETSTREAM_BUCKET, kvKeyOf, storeKeyOf, type JetStreamBackendOptions } from "./jetstream-backend.ts";
