/** coordination.k8s.io/v1 Lease, events.k8s.io/v1 Event and the deprecated v1 ComponentStatus. */
import * as Schema from "effect/Schema";
import { Int, Time, objectFields } from "../meta.ts";
import { ObjectReference } from "./core.ts";

const o = Schema.optional;
const Str = Schema.String;

export const Lease = Schema.Struct({
  ...objectFields,
  spec: o(
    Schema.Struct({
      holderIdentity: o(Str),
      leaseDurationSeconds: o(Int),
      /** MicroTime text (`2024-01-02T03:04:05.000000Z`). */
      acquireTime: o(Time),
      renewTime: o(Time),
      leaseTransitions: o(Int),
      strategy: o(Str),
      preferredHolder: o(Str),
    }),
  ),
});

/** v1 ComponentStatus (`kubectl get cs`, deprecated since 1.19): one condition, `Healthy`, per control-plane component. */
export const ComponentStatus = Schema.Struct({
  ...objectFields,
  conditions: o(Schema.Array(Schema.Struct({ type: Str, status: Str, message: o(Str), error: o(Str) }))),
});

/** events.k8s.io/v1 Event: same object as core/v1 Event with renamed fields (regarding, note, deprecated*). */
export const EventsV1Event = Schema.Struct({
  ...objectFields,
  eventTime: o(Time),
  series: o(Schema.Struct({ count: Int, lastObservedTime: Time })),
  reportingController: o(Str),
  reportingInstance: o(Str),
  action: o(Str),
  reason: o(Str),
  regarding: o(ObjectReference),
  related: o(ObjectReference),
  note: o(Str),
  type: o(Str),
  deprecatedSource: o(Schema.Struct({ component: o(Str), host: o(Str) })),
  deprecatedFirstTimestamp: o(Time),
  deprecatedLastTimestamp: o(Time),
  deprecatedCount: o(Int),
});
