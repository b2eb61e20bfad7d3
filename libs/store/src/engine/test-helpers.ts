/** Shared helpers for the engine's tests (not exported from the package). */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFileBackend, createMemoryBackend } from "./file-backend.ts";
import type { JsonObject, StoreBackend } from "./types.ts";

export const tempDir = (): string => mkdtempSync(join(tmpdir(), "kubeactor-store-"));
export const removeDir = (dir: string): void => rmSync(dir, { recursive: true, force: true });

export const cm = (ns: string, name: string, data: Record<string, string> = {}, extra: Record<string, unknown> = {}): JsonObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace: ns, uid: `uid-${ns}-${name}`, ...extra },
  data,
});

export const cmKey = (ns: string, name: string): string => `/core/configmaps/${ns}/${name}`;

export interface BackendCase {
  readonly name: string;
  /** Creates an opened backend; `reopen` closes nothing, it opens a new instance on the same storage (file only). */
  make(opts?: { historyLimit?: number }): Promise<StoreBackend>;
  cleanup(): Promise<void>;
}

export const backendCases: Array<{ name: string; create: () => BackendCase }> = [
  {
    name: "memory",
    create: () => {
      const opened: StoreBackend[] = [];
      return {
        name: "memory",
        async make(opts) {
          const b = createMemoryBackend(opts);
          await b.open();
          opened.push(b);
          return b;
        },
        async cleanup() {
          for (const b of opened) await b.close();
        },
      };
    },
  },
  {
    name: "file",
    create: () => {
      const dir = tempDir();
      const opened: StoreBackend[] = [];
      return {
        name: "file",
        async make(opts) {
          // Each make() in one case gets its own directory; fsync stays on to exercise the real path.
          const b = createFileBackend({ dir: join(dir, String(opened.length)), ...opts });
          await b.open();
          opened.push(b);
          return b;
        },
        async cleanup() {
          for (const b of opened) await b.close();
          removeDir(dir);
        },
      };
    },
  },
];
