/**
 * What a node reads from the API to start a container: ConfigMaps and
 * Secrets (env refs, volumes), the namespace's Services (service links) and
 * the claims and volumes behind persistentVolumeClaim volumes.
 * `undefined` means the object does not exist; other failures reject.
 */
export type Obj = Record<string, unknown>;

export interface ObjectLookup {
  configMap(namespace: string, name: string): Promise<Obj | undefined>;
  secret(namespace: string, name: string): Promise<Obj | undefined>;
  services(namespace: string): Promise<Obj[]>;
  /** node.k8s.io/v1 RuntimeClass by name. */
  runtimeClass(name: string): Promise<Obj | undefined>;
  /** PersistentVolumeClaims and PersistentVolumes, for persistentVolumeClaim volumes (absent: such pods cannot start). */
  persistentVolumeClaim?(namespace: string, name: string): Promise<Obj | undefined>;
  persistentVolume?(name: string): Promise<Obj | undefined>;
}

/** A lookup that knows nothing (tests, and runtimes without an API). */
export const emptyLookup: ObjectLookup = {
  configMap: async () => undefined,
  secret: async () => undefined,
  services: async () => [],
  runtimeClass: async () => undefined,
  persistentVolumeClaim: async () => undefined,
  persistentVolume: async () => undefined,
};

/** Wrong configuration of a container (a missing ConfigMap key, ...): the kubelet's CreateContainerConfigError. */
export class ContainerConfigError extends Error {
  readonly _tag = "ContainerConfigError";
}
