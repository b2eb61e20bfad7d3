/**
 * One probe worker per (container run, probe kind), as the kubelet's
 * prober/worker.go: wait `initialDelaySeconds` from the container's start,
 * probe, then probe every `periodSeconds`; a probe that does not answer
 * within `timeoutSeconds` fails. A result is published to the parent
 * (`PROBE`) only once `successThreshold` successes or `failureThreshold`
 * failures in a row are reached. After a liveness or startup failure is
 * published the worker holds (the container is being killed; the next run
 * gets fresh workers); after a startup success it stops probing.
 *
 * Every timer (initial delay, the period ticker, the timeout) is an `after` delay, so the machine runs on XState's
 * SimulatedClock in tests. The probe itself is the `runProbe` function of the
 * input (probes-run.ts for real containers, a fixed answer for simulated
 * ones), called with an AbortSignal that fires when the timeout wins.
 */
import { assign, enqueueActions, fromPromise, raise, sendParent, setup } from "xstate";

export type ProbeKind = "liveness" | "readiness" | "startup";

/** The probe spec as in the pod (core/v1 Probe). */
export interface ProbeSpec {
  exec?: { command?: string[] };
  httpGet?: { path?: string; port: number | string; host?: string; scheme?: string; httpHeaders?: { name: string; value: string }[] };
  tcpSocket?: { port: number | string; host?: string };
  grpc?: { port: number; service?: string };
  initialDelaySeconds?: number;
  timeoutSeconds?: number;
  periodSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
  terminationGracePeriodSeconds?: number;
}

export interface ProbeOutcome {
  readonly result: "success" | "failure";
  /** What the kubelet puts in the Unhealthy event (`HTTP probe failed with statuscode: 500`). */
  readonly output: string;
  /** A success the kubelet warns about (an HTTP redirect to another host): a `ProbeWarning` event. */
  readonly warning?: boolean;
}

export type RunProbe = (kind: ProbeKind, probe: ProbeSpec, signal: AbortSignal) => Promise<ProbeOutcome>;

export interface ProbeWorkerInput {
  readonly kind: ProbeKind;
  readonly probe: ProbeSpec;
  readonly runProbe: RunProbe;
  /** Milliseconds of initial delay still to wait (the container may have started before the worker: startup gating). */
  readonly initialDelayMs: number;
  /** The pod IP (probes' default host), for the wording of timeouts. */
  readonly host?: string;
  /** The container's ports, for the wording of timeouts (a port given by name shows as its number). */
  readonly ports?: readonly ContainerPort[];
  /** Unhealthy events, one per failed probe as the kubelet records them. */
  readonly onFailure?: (kind: ProbeKind, output: string) => void;
  /** ProbeWarning events (a success with a warning). */
  readonly onWarning?: (kind: ProbeKind, output: string) => void;
}

/** What the worker tells its parent: a result crossed its threshold. */
export type ProbeReport = { type: "PROBE"; kind: ProbeKind; result: "success" | "failure"; output: string };

interface ProbeWorkerContext extends ProbeWorkerInput {
  /** The last probe's result and how many times in a row it came. */
  last?: "success" | "failure";
  run: number;
  outcome?: ProbeOutcome;
  /** The result last told to the parent (the kubelet's results manager only notifies changes). */
  published?: "success" | "failure";
}

/** Defaults of core/v1 Probe. */
export const probeDefaults = (p: ProbeSpec) => ({
  periodSeconds: p.periodSeconds || 10,
  timeoutSeconds: p.timeoutSeconds || 1,
  successThreshold: p.successThreshold || 1,
  failureThreshold: p.failureThreshold || 3,
  initialDelaySeconds: p.initialDelaySeconds ?? 0,
});

const title = (k: ProbeKind) => k[0]!.toUpperCase() + k.slice(1);

export interface ContainerPort {
  readonly name?: string;
  readonly containerPort: number;
}

/** A port given by number or by the name of one of the container's ports (kubelet's findPortByName). */
export const resolvePort = (port: number | string, ports: readonly ContainerPort[]): number => {
  if (typeof port === "number") return port;
  if (/^\d+$/.test(port)) return Number(port);
  const found = ports.find((p) => p.name === port);
  if (!found) throw new Error(`couldn't find port: ${port} in ${JSON.stringify(ports)}`);
  return found.containerPort;
};

/** The failure output of a probe that did not answer in time, worded per handler as the kubelet's probers (which dial the port's number). */
export const timeoutOutput = (p: ProbeSpec, host: string | undefined, ports: readonly ContainerPort[] = []): string => {
  const t = `${probeDefaults(p).timeoutSeconds}s`;
  const number = (port: number | string) => {
    try {
      return resolvePort(port, ports);
    } catch {
      return port;
    }
  };
  if (p.exec) return `command ${JSON.stringify((p.exec.command ?? []).join(" "))} timed out`;
  if (p.httpGet) return `Get ${JSON.stringify(httpUrl(p.httpGet, host ?? "", number(p.httpGet.port)))}: context deadline exceeded (Client.Timeout exceeded while awaiting headers)`;
  if (p.tcpSocket) return `dial tcp ${p.tcpSocket.host || host}:${number(p.tcpSocket.port)}: i/o timeout`;
  if (p.grpc) return `timeout: health rpc did not complete within ${t}`;
  return "probe timed out";
};

export const httpUrl = (h: NonNullable<ProbeSpec["httpGet"]>, host: string, port: number | string): string => {
  const scheme = (h.scheme ?? "HTTP").toLowerCase();
  const path = h.path ?? "";
  return `${scheme}://${host.includes(":") ? `[${host}]` : host}:${port}${path.startsWith("/") || path === "" ? path : `/${path}`}`;
};

export const probeWorker = setup({
  types: {
    context: {} as ProbeWorkerContext,
    input: {} as ProbeWorkerInput,
    events: {} as { type: "TICK" },
  },
  actors: {
    probe: fromPromise<ProbeOutcome, { ctx: ProbeWorkerContext }>(({ input: { ctx }, signal }) =>
      ctx.runProbe(ctx.kind, ctx.probe, signal).catch((e: unknown) => ({ result: "failure" as const, output: (e as Error).message })),
    ),
  },
  delays: {
    initialDelay: ({ context }) => Math.max(0, context.initialDelayMs),
    period: ({ context }) => probeDefaults(context.probe).periodSeconds * 1000,
    probeTimeout: ({ context }) => probeDefaults(context.probe).timeoutSeconds * 1000,
  },
  guards: {
    /** The run reached the threshold of its result: publish it. */
    crossed: ({ context }) => {
      const d = probeDefaults(context.probe);
      return context.run >= (context.last === "success" ? d.successThreshold : d.failureThreshold);
    },
    changed: ({ context }) => context.last !== context.published,
    /** Liveness and startup failures stop the worker until the container is replaced; a started container needs no startup probe. */
    holds: ({ context }) => (context.kind !== "readiness" && context.last === "failure") || (context.kind === "startup" && context.last === "success"),
  },
  actions: {
    count: assign(({ context }, outcome: ProbeOutcome) => ({
      outcome,
      run: context.last === outcome.result ? context.run + 1 : 1,
      last: outcome.result,
    })),
    recordFailure: ({ context }) => {
      if (context.outcome?.result === "failure") context.onFailure?.(context.kind, context.outcome.output);
      else if (context.outcome?.warning) context.onWarning?.(context.kind, context.outcome.output);
    },
    publish: sendParent(({ context }): ProbeReport => ({ type: "PROBE", kind: context.kind, result: context.last!, output: context.outcome?.output ?? "" })),
  },
}).createMachine({
  id: "probe",
  context: ({ input }) => ({ ...input, run: 0 }),
  initial: "InitialDelay",
  states: {
    // No delay: probe at once (a 0 ms timer would still wait for the clock to move).
    InitialDelay: { always: { guard: ({ context }) => context.initialDelayMs <= 0, target: "Active" }, after: { initialDelay: "Active" } },
    /**
     * A ticker beside the prober, as the kubelet's time.Ticker: probes start
     * every periodSeconds whatever each one took; a tick that comes while a
     * probe is still running is dropped.
     */
    Active: {
      type: "parallel",
      states: {
        Ticker: {
          initial: "Ticking",
          states: { Ticking: { after: { period: { target: "Ticking", reenter: true, actions: raise({ type: "TICK" }) } } } },
        },
        Prober: {
          initial: "Probing",
          states: {
            Probing: {
              invoke: {
                src: "probe",
                input: ({ context }) => ({ ctx: context }),
                onDone: { target: "Judging", actions: { type: "count", params: ({ event }) => event.output } },
              },
              after: {
                probeTimeout: {
                  target: "Judging",
                  actions: { type: "count", params: ({ context }) => ({ result: "failure" as const, output: timeoutOutput(context.probe, context.host, context.ports) }) },
                },
              },
            },
            Judging: {
              entry: "recordFailure",
              always: [{ guard: "crossed", target: "Settled" }, { target: "Idle" }],
            },
            Settled: {
              entry: enqueueActions(({ context, enqueue, check }) => {
                if (!check("changed")) return;
                enqueue("publish");
                enqueue.assign({ published: context.last! });
              }),
              always: [{ guard: "holds", target: "#probe.Held" }, { target: "Idle" }],
            },
            Idle: { on: { TICK: "Probing" } },
          },
        },
      },
    },
    Held: {},
  },
});

export const probeTitle = title;
