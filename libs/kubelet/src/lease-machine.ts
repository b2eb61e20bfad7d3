/**
 * A node's heartbeat: kube-node-lease/<node>, as the kubelet's node lease
 * controller keeps it — created at registration, then renewed every 10 s
 * (an UPDATE conditional on the Lease's resourceVersion: holderIdentity,
 * leaseDurationSeconds 40, renewTime in microTime). Invoked by the node
 * machine while the node is registered, so a stopped kubelet renews nothing.
 *
 *   Creating ─ RENEWED → Staggered ─ after stagger → Renewing ─ RENEWED → Waiting ─ after period → Renewing
 *   (FAILED anywhere → Waiting: the next attempt comes a period later)
 *
 * The first wait after creation is the node's stagger (a fraction of the
 * period), so nodes registered together do not renew together for ever after.
 *
 * This runs 500 times a second at 5000 nodes, so it is kept small: its own
 * machine (a transition here does not walk the node machine's regions), and
 * one long-lived `renewer` actor that keeps the Lease as last written — the
 * next renewal's base, with no read first — instead of a promise actor per
 * renewal. A conflict (409) or a missing Lease (404) re-reads or recreates it.
 */
import { fromCallback, sendTo, setup } from "xstate";
import { statusCodeOf } from "@kubeactor/api";
import type { JsonObject } from "@kubeactor/bus";
import { type ApiClient, stripManagedFields } from "@kubeactor/client";
import { microTime } from "./runtime/clock.ts";

export const LEASES = { group: "coordination.k8s.io", version: "v1", resource: "leases" };
export const LEASE_NAMESPACE = "kube-node-lease";
export const LEASE_DURATION_SECONDS = 40;

export interface LeaseInput {
  readonly api: ApiClient;
  readonly node: string;
  /** The Node's uid: the Lease is owned by its Node (garbage-collected with it). */
  readonly nodeUid?: string | undefined;
  readonly now: () => number;
  /** Renewal period (10 s). */
  readonly periodMs: number;
  /** The one wait after creation (0 < stagger ≤ period). */
  readonly staggerMs: number;
  readonly log?: ((line: string) => void) | undefined;
}

type RenewerEvent = { type: "RENEW" };
export type LeaseEvent = { type: "RENEWED" } | { type: "FAILED"; message: string };


/** One renewal from `lease` (the Lease as last written, or undefined: read it, or create it when missing); resolves with the Lease written. */
export const renewLease = async (input: LeaseInput, lease: JsonObject | undefined): Promise<JsonObject> => {
  const { api, node: name } = input;
  const spec = { holderIdentity: name, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime: microTime(input.now()) };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      if (!lease) {
        let created = false;
        lease = await api.get(LEASES, LEASE_NAMESPACE, name).catch(async (e) => {
          if (statusCodeOf(e) !== 404) throw e;
          created = true;
          return api.create(LEASES, LEASE_NAMESPACE, {
            apiVersion: "coordination.k8s.io/v1",
            kind: "Lease",
            metadata: {
              name,
              namespace: LEASE_NAMESPACE,
              ...(input.nodeUid ? { ownerReferences: [{ apiVersion: "v1", kind: "Node", name, uid: input.nodeUid }] } : {}),
            },
            spec: { ...spec, acquireTime: spec.renewTime },
          });
        });
        if (created) return stripManagedFields(lease);
      }
      // Kept and sent without managedFields (an update without them keeps the stored ones): the API
      // server would otherwise decode and compare them on every renewal, every 10 s on every node.
      return stripManagedFields(await api.update(LEASES, LEASE_NAMESPACE, { ...stripManagedFields(lease), spec: { ...((lease.spec as object) ?? {}), ...spec } }));
    } catch (e) {
      if (statusCodeOf(e) !== 409 && statusCodeOf(e) !== 404) throw e;
      lease = undefined;
    }
  }
  throw new Error(`lease ${name}: too many conflicts`);
};

export const leaseMachine = setup({
  types: { input: {} as LeaseInput, context: {} as LeaseInput, events: {} as LeaseEvent },
  actors: {
    /** Renews on every RENEW, answering RENEWED or FAILED; keeps the Lease it last wrote (dropped on failure: the next renewal reads it). */
    renewer: fromCallback<RenewerEvent, LeaseInput, LeaseEvent>(({ input, receive, sendBack }) => {
      let lease: JsonObject | undefined;
      let stopped = false;
      receive(() => {
        renewLease(input, lease).then(
          (written) => {
            lease = written;
            if (!stopped) sendBack({ type: "RENEWED" });
          },
          (e: unknown) => {
            lease = undefined;
            if (!stopped) sendBack({ type: "FAILED", message: (e as Error).message });
          },
        );
      });
      return () => {
        stopped = true;
      };
    }),
  },
  delays: {
    leaseStagger: ({ context }) => context.staggerMs,
    leaseRenew: ({ context }) => context.periodMs,
  },
  actions: {
    renew: sendTo("renewer", { type: "RENEW" }),
    logFailure: ({ context, event }) => {
      if (event.type === "FAILED") context.log?.(`node ${context.node}: lease renewal failed: ${event.message}`);
    },
  },
}).createMachine({
  id: "lease",
  context: ({ input }) => input,
  invoke: { id: "renewer", src: "renewer", input: ({ context }) => context },
  initial: "Creating",
  states: {
    Creating: { entry: "renew", on: { RENEWED: "Staggered", FAILED: { target: "Waiting", actions: "logFailure" } } },
    Staggered: { after: { leaseStagger: "Renewing" } },
    Renewing: { entry: "renew", on: { RENEWED: "Waiting", FAILED: { target: "Waiting", actions: "logFailure" } } },
    Waiting: { after: { leaseRenew: "Renewing" } },
  },
});
