/**
 * A store + API server pair on one transport case, for REST integration tests.
 * The store and the API server get separate connections, as in production.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Bus, type Transport } from "@kubeactor/bus";
import { type ApiServer, type ApiServerOptions, startApiServer } from "@kubeactor/apiserver";
import { ApiClient } from "@kubeactor/client";
import { startStoreComponent, type StoreComponent } from "@kubeactor/store";
import { memoryCase, type TransportCase } from "./transports.ts";

export interface TestCluster {
  readonly url: string;
  readonly store: StoreComponent;
  /** The Kubernetes API over the bus, from a connection of its own. */
  readonly api: ApiClient;
  stop(): Promise<void>;
}

/** `apiOptions` reach startApiServer (e.g. a service range of the test's own, so parallel tests never bind the same ClusterIP). */
export const startTestCluster = async (tc: TransportCase, apiOptions: Partial<Omit<ApiServerOptions, "bus">> = {}): Promise<TestCluster> => {
  const dir = mkdtempSync(join(tmpdir(), "kubeactor-api-"));
  const quiet = { log: () => {} };
  const store = await startStoreComponent({ bus: new Bus(await tc.connect("store"), quiet), dir });
  const bus = new Bus(await tc.connect("apiserver"), quiet);
  // The API server creates default, kube-system, kube-public and kube-node-lease itself.
  const api: ApiServer = await startApiServer({ bus, port: 0, log: () => {}, ...apiOptions });
  const clientBus = new Bus(await tc.connect("component"), quiet);
  return {
    url: api.url,
    store,
    api: new ApiClient(clientBus),
    stop: async () => {
      await api.close();
      await store.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

export interface MemoryCluster extends TestCluster {
  /** Another connection to the same in-process bus (a controller manager, a kubelet, a scheduler). */
  connect(name?: string): Promise<Transport>;
}

/**
 * startTestCluster on an in-process bus of its own: the whole life of the
 * usual `memoryCase()` + setup + startTestCluster + stop + teardown, for a
 * test's beforeAll/afterAll.
 */
export const startMemoryCluster = async (apiOptions: Partial<Omit<ApiServerOptions, "bus">> = {}): Promise<MemoryCluster> => {
  const tc = memoryCase();
  await tc.setup();
  const cluster = await startTestCluster(tc, apiOptions).catch(async (e) => {
    await tc.teardown();
    throw e;
  });
  return {
    ...cluster,
    connect: (name) => tc.connect(name),
    stop: async () => {
      await cluster.stop();
      await tc.teardown();
    },
  };
};

export interface Response<T = any> {
  readonly code: number;
  readonly body: T;
}

export const call = async (base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> => {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(body !== undefined && typeof body !== "string" ? { "Content-Type": "application/json" } : {}), ...headers },
    ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // plain-text endpoints (/livez, /readyz)
  }
  return { code: res.status, body: parsed };
};

/** Reads a watch stream until `count` events arrived (or the timeout), then aborts it. */
export const watchEvents = async (base: string, path: string, count: number, timeoutMs = 5000): Promise<any[]> => {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), timeoutMs);
  const events: any[] = [];
  try {
    const res = await fetch(`${base}${path}`, { signal: ctrl.signal });
    const reader = res.body!.getReader();
    let buf = "";
    while (events.length < count) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += new TextDecoder().decode(value);
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        events.push(JSON.parse(buf.slice(0, nl)));
        buf = buf.slice(nl + 1);
      }
    }
  } catch (e) {
    if ((e as Error).name !== "AbortError") throw e;
  } finally {
    clearTimeout(timer);
    ctrl.abort();
  }
  return events;
};
