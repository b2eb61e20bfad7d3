/**
 * The ServiceAccount controller: every Active namespace has a `default`
 * ServiceAccount; a deleted one comes back.
 */
import { type Controller, NAMESPACES, SERVICEACCOUNTS } from "./runtime.ts";
import { isAlreadyExists, meta, type Obj } from "./util.ts";

const NAME = "default";

export const serviceAccountController: Controller = {
  name: "serviceaccount-controller",
  workers: 2,
  setup(ctx, queue) {
    const nsInf = ctx.informer(NAMESPACES);
    const saInf = ctx.informer(SERVICEACCOUNTS);
    nsInf.addHandler({ onAdd: (ns) => queue.add(meta(ns).name), onUpdate: (_, ns) => queue.add(meta(ns).name) });
    saInf.addHandler({ onDelete: (sa) => meta(sa).name === NAME && queue.add(meta(sa).namespace ?? "") });

    return async (name) => {
      const ns = nsInf.get(name) as Obj | undefined;
      if (!ns || meta(ns).deletionTimestamp || (ns.status?.phase ?? "Active") !== "Active") return;
      if (saInf.get(`${name}/${NAME}`)) return;
      await ctx.api
        .create(SERVICEACCOUNTS, name, { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: NAME, namespace: name } })
        .catch((e) => {
          // Already there (our cache is behind), or the namespace started terminating meanwhile.
          if (!isAlreadyExists(e) && !/being terminated/.test((e as Error).message)) throw e;
        });
    };
  },
};
