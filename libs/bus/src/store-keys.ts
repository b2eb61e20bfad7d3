/**
 * Store keys, laid out like Kubernetes' etcd keys:
 * `/<group>/<resource>/<namespace>/<name>`, the core group written `core` and a
 * cluster-scoped object's namespace empty (`/core/namespaces//default`).
 * Prefixes end in `/` so `/core/pods/a/` never matches namespace `ab`.
 */
export interface ObjectKey {
  readonly group: string;
  readonly resource: string;
  /** "" for cluster-scoped objects. */
  readonly namespace: string;
  readonly name: string;
}

const groupSegment = (group: string) => (group === "" ? "core" : group);

export const storeKey = (k: ObjectKey): string => `/${groupSegment(k.group)}/${k.resource}/${k.namespace}/${k.name}`;

/** All objects of a resource, or of one namespace when `namespace` is given. */
export const storePrefix = (group: string, resource: string, namespace?: string): string =>
  namespace === undefined || namespace === "" ? `/${groupSegment(group)}/${resource}/` : `/${groupSegment(group)}/${resource}/${namespace}/`;

export const parseStoreKey = (key: string): ObjectKey | undefined => {
  const parts = key.split("/");
  if (parts.length !== 5 || parts[0] !== "") return undefined;
  const [, group, resource, namespace, name] = parts as [string, string, string, string, string];
  return { group: group === "core" ? "" : group, resource, namespace, name };
};
