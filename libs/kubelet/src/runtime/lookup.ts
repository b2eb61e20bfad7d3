/**
 * What a node reads from the API to start a container: ConfigMaps and
 * Secrets (env refs, volumes) and the namespace's Services (service links).
 * `undefined` means the object does not exist; other failures reject.
 */
export type Obj = Record<string, unknown>;

export interface ObjectLookup {
  configMap(namespace: string, name: string): Promise<Obj | undefined>;
  secret(namespace: string, name: string): Promise<Obj | undefined>;
  services(namespace: string): Promise<Obj[]>;
  /** node.k8s.io/v1 RuntimeClass by name. */
  runtimeClass(name: string): Promise<Obj | undefined>;
}

/** A lookup that knows nothing (tests, and runtimes without an API). */
export const emptyLookup: ObjectLookup = {
  configMap: async () => undefined,
  secret: async () => undefined,
  services: async () => [],
  runtimeClass: async () => undefined,
};

/** Wrong configuration of a container (a missing ConfigMap key, ...): the kubelet's CreateContainerConfigError. */
export class ContainerConfigError extends Error {
  readonly _tag = "ContainerConfigError";
}
