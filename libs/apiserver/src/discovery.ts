/**
 * Discovery documents, all derived from the resource registry in libs/api:
 * `/api` (APIVersions), `/apis` (APIGroupList), and the per-group-version
 * APIResourceLists that kubectl reads to map kinds and short names to URLs.
 */
import { apiGroups, apiVersionOf, type ResourceInfo, resources } from "@kubeactor/api";

export const apiVersions = (serverAddress: string) => ({
  kind: "APIVersions",
  versions: ["v1"],
  serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }],
});

export const apiGroupList = () => ({
  kind: "APIGroupList",
  apiVersion: "v1",
  groups: apiGroups()
    .filter((g) => g.group !== "")
    .map((g) => {
      const versions = g.versions.map((v) => ({ groupVersion: `${g.group}/${v}`, version: v }));
      return { name: g.group, versions, preferredVersion: versions[0] };
    }),
});

const resourceEntry = (r: ResourceInfo) => ({
  name: r.resource,
  singularName: r.singular,
  namespaced: r.namespaced,
  kind: r.kind,
  verbs: [...r.verbs],
  ...(r.shortNames.length ? { shortNames: [...r.shortNames] } : {}),
  ...(r.categories.length ? { categories: [...r.categories] } : {}),
});

const subresourceEntries = (r: ResourceInfo) =>
  r.subresources.map((s) => ({
    name: `${r.resource}/${s.name}`,
    singularName: "",
    namespaced: r.namespaced,
    ...(s.group !== r.group ? { group: s.group } : {}),
    ...(s.version !== r.version ? { version: s.version } : {}),
    kind: s.kind,
    verbs: [...s.verbs],
  }));

/** The APIResourceList of one group/version, or undefined when we serve no such thing. */
export const apiResourceList = (group: string, version: string) => {
  const served = resources.filter((r) => r.group === group && r.version === version);
  if (served.length === 0) return undefined;
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: apiVersionOf(served[0]!),
    resources: served.flatMap((r) => [resourceEntry(r), ...subresourceEntries(r)]),
  };
};

export const versionInfo = {
  major: "1",
  minor: "32",
  gitVersion: "v1.32.0-kubeactor",
  gitCommit: "0000000000000000000000000000000000000000",
  gitTreeState: "clean",
  buildDate: "2026-11-23T00:00:00Z",
  goVersion: "go1.23.0",
  compiler: "gc",
  platform: "linux/amd64",
};
