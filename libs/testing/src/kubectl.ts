/**
 * The real kubectl, as tests drive it: the machine has kubectl 1.27 … 1.33
 * side by side, and every test gives kubectl its own discovery cache so no
 * version ever reads another's (or a previous cluster's) cached discovery.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { writeKubeconfig } from "@kubeactor/runtime";
import { startTestCluster, type TestCluster } from "./cluster.ts";
import { memoryCase, type TransportCase } from "./transports.ts";

const execFileAsync = promisify(execFile);

/** Where kubectl 1.`minor` is installed. */
export const kubectlBinary = (minor: number): string => `/usr/lib/google-cloud-sdk/bin/kubectl.1.${minor}`;

/** The minors among `wanted` installed on this machine (a test skips the others). */
export const installedKubectls = (wanted: readonly number[]): number[] => wanted.filter((m) => existsSync(kubectlBinary(m)));

export interface KubectlOptions {
  readonly kubeconfig: string;
  /** kubectl 1.`minor` (default 32, the one most tests pin). */
  readonly minor?: number;
  /** Per call, default 30 s: a stuck kubectl fails the test instead of hanging it. */
  readonly timeoutMs?: number;
}

/** What a failed run rejects with: execFile's error, kubectl's stderr on it. */
export interface KubectlError extends Error {
  readonly stdout: string;
  readonly stderr: string;
  readonly code?: number;
}

export interface Kubectl {
  /** Runs kubectl; resolves with stdout, rejects with a KubectlError. */
  (...args: string[]): Promise<string>;
  /** Runs kubectl; resolves with stdout and stderr (warnings, `-v=8` traces), rejects with a KubectlError. */
  output(...args: string[]): Promise<{ stdout: string; stderr: string }>;
  /** Runs kubectl where it must fail: resolves with its stderr, rejects if it succeeded. */
  fails(...args: string[]): Promise<string>;
  /** `kubectl <args> -o json`, parsed. */
  json<T = any>(...args: string[]): Promise<T>;
  /** The full argument list (kubeconfig and cache first) for a kubectl the test spawns itself (watches, stdin, ptys). */
  argv(...args: string[]): string[];
  readonly binary: string;
  readonly minor: number;
  /** Removes the discovery cache. */
  dispose(): void;
}

/** A kubectl bound to one kubeconfig, one version and a fresh discovery cache. */
export const kubectlFor = ({ kubeconfig, minor = 32, timeoutMs = 30_000 }: KubectlOptions): Kubectl => {
  const binary = kubectlBinary(minor);
  const cacheDir = mkdtempSync(join(tmpdir(), "kubectl-cache-"));
  const argv = (...args: string[]) => ["--kubeconfig", kubeconfig, "--cache-dir", cacheDir, ...args];
  const output = async (...args: string[]) => {
    const { stdout, stderr } = await execFileAsync(binary, argv(...args), { timeout: timeoutMs });
    return { stdout, stderr };
  };
  const run = async (...args: string[]) => (await output(...args)).stdout;
  return Object.assign(run, {
    output,
    fails: (...args: string[]) =>
      run(...args).then(
        (stdout) => {
          throw new Error(`kubectl ${args.join(" ")} succeeded: ${stdout}`);
        },
        (e: KubectlError) => e.stderr,
      ),
    json: async <T = any>(...args: string[]): Promise<T> => JSON.parse(await run(...args, "-o", "json")),
    argv,
    binary,
    minor,
    dispose: () => rmSync(cacheDir, { recursive: true, force: true }),
  });
};

/** An in-process cluster (memory bus) with a kubeconfig for kubectl pointing at it. */
export interface KubectlCluster {
  readonly cluster: TestCluster;
  /** The bus the cluster runs on: `connect` it to start other components (controllers, kubelets) beside the API server. */
  readonly bus: TransportCase;
  /** A temporary directory for the test's files; removed by `stop`. */
  readonly dir: string;
  readonly kubeconfig: string;
  stop(): Promise<void>;
}

/** Starts store and API server on a fresh memory bus and writes `<dir>/kubeconfig` (dir named after `name`). */
export const startKubectlCluster = async (name: string): Promise<KubectlCluster> => {
  const bus = memoryCase();
  await bus.setup();
  const cluster = await startTestCluster(bus);
  const dir = mkdtempSync(join(tmpdir(), `${name}-`));
  const kubeconfig = join(dir, "kubeconfig");
  writeKubeconfig(kubeconfig, cluster.url);
  return {
    cluster,
    bus,
    dir,
    kubeconfig,
    stop: async () => {
      await cluster.stop();
      await bus.teardown();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};
