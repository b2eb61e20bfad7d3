/**
 * Discovery documents, all derived from the resource registry in libs/api:
 * `/api` (APIVersions), `/apis` (APIGroupList), the per-group-version
 * APIResourceLists that kubectl reads to map kinds and short names to URLs,
 * and the aggregated form (apidiscovery.k8s.io v2 / v2beta1
 * APIGroupDiscoveryList) that kubectl ≥ 1.26 asks for first, which carries
 * everything in two requests. A kind registered in libs/api shows up in all
 * of them by itself.
 */
import { createHash } from "node:crypto";
import { apiGroups, apiVersionOf, type ResourceInfo, resources, type SubresourceInfo } from "@kubeactor/api";

export const apiVersions = (serverAddress: string) => ({
  kind: "APIVersions",
  versions: ["v1"],
  serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }],
});

/**
 * kube-apiserver's group order (its aggregator's group priorities, highest
 * first). `/apis` lists groups in this order; groups it does not know follow,
 * alphabetically.
 */
const GROUP_PRIORITY = [
  "apiregistration.k8s.io", "apps", "events.k8s.io", "authentication.k8s.io", "authorization.k8s.io", "autoscaling",
  "batch", "certificates.k8s.io", "networking.k8s.io", "policy", "rbac.authorization.k8s.io", "storage.k8s.io",
  "admissionregistration.k8s.io", "apiextensions.k8s.io", "scheduling.k8s.io", "coordination.k8s.io", "node.k8s.io",
  "discovery.k8s.io", "flowcontrol.apiserver.k8s.io", "resource.k8s.io", "storagemigration.k8s.io",
];
const groupRank = (g: string) => {
  const i = GROUP_PRIORITY.indexOf(g);
  return i < 0 ? GROUP_PRIORITY.length : i;
};

/** Served non-core groups in kube-apiserver's order. */
const servedGroups = () =>
  apiGroups()
    .filter((g) => g.group !== "")
    .sort((a, b) => groupRank(a.group) - groupRank(b.group) || a.group.localeCompare(b.group));

const groupEntry = (g: { group: string; versions: string[] }) => {
  const versions = g.versions.map((v) => ({ groupVersion: `${g.group}/${v}`, version: v }));
  return { name: g.group, versions, preferredVersion: versions[0] };
};

export const apiGroupList = () => ({ kind: "APIGroupList", apiVersion: "v1", groups: servedGroups().map(groupEntry) });

/** `GET /apis/<group>`: one APIGroup, or undefined when the group is not served. */
export const apiGroup = (name: string) => {
  const g = servedGroups().find((x) => x.group === name);
  return g ? { kind: "APIGroup", apiVersion: "v1", ...groupEntry(g) } : undefined;
};

/** A group/version's resources sorted by name, as kube-apiserver lists them. */
const servedIn = (group: string, version: string) =>
  resources.filter((r) => r.group === group && r.version === version).sort((a, b) => (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0));
const sortedSubresources = (r: ResourceInfo) => [...r.subresources].sort((a, b) => (a.name < b.name ? -1 : 1));

const resourceEntry = (r: ResourceInfo) => ({
  name: r.resource,
  singularName: r.singular,
  namespaced: r.namespaced,
  kind: r.kind,
  verbs: [...r.verbs],
  ...(r.shortNames.length ? { shortNames: [...r.shortNames] } : {}),
  ...(r.categories.length ? { categories: [...r.categories] } : {}),
});

/**
 * A subresource served in another group-version (autoscaling/v1 Scale,
 * policy/v1 Eviction) names both; the others leave them empty, as
 * kube-apiserver does.
 */
const ownGroupVersion = (r: ResourceInfo, s: SubresourceInfo) => s.group !== r.group || s.version !== r.version;
const subresourceGroupVersion = (r: ResourceInfo, s: SubresourceInfo) => (ownGroupVersion(r, s) ? { group: s.group, version: s.version } : {});

const subresourceEntries = (r: ResourceInfo) =>
  sortedSubresources(r).map((s) => ({
    name: `${r.resource}/${s.name}`,
    singularName: "",
    namespaced: r.namespaced,
    ...subresourceGroupVersion(r, s),
    kind: s.kind,
    verbs: [...s.verbs],
  }));

/** The APIResourceList of one group/version, or undefined when we serve no such thing. */
export const apiResourceList = (group: string, version: string) => {
  const served = servedIn(group, version);
  if (served.length === 0) return undefined;
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: apiVersionOf(served[0]!),
    resources: served.flatMap((r) => [resourceEntry(r), ...subresourceEntries(r)]),
  };
};

// ---- aggregated discovery (apidiscovery.k8s.io) ----

export type DiscoveryVersion = "v2" | "v2beta1";

/**
 * responseKind mirrors the legacy entry: group and version are empty unless
 * they differ from the resource's own (kubectl drops anything without a
 * responseKind, so every resource and subresource has one).
 */
const aggregatedResource = (r: ResourceInfo) => ({
  resource: r.resource,
  responseKind: { group: "", version: "", kind: r.kind },
  scope: r.namespaced ? "Namespaced" : "Cluster",
  singularResource: r.singular,
  verbs: [...r.verbs],
  ...(r.shortNames.length ? { shortNames: [...r.shortNames] } : {}),
  ...(r.categories.length ? { categories: [...r.categories] } : {}),
  ...(r.subresources.length
    ? {
        subresources: sortedSubresources(r).map((s) => ({
          subresource: s.name,
          responseKind: { group: "", version: "", ...subresourceGroupVersion(r, s), kind: s.kind },
          verbs: [...s.verbs],
        })),
      }
    : {}),
});

const aggregatedGroup = (group: string, versions: readonly string[]) => ({
  metadata: { name: group, creationTimestamp: null },
  versions: versions.map((version) => ({
    version,
    resources: servedIn(group, version).map(aggregatedResource),
    freshness: "Current",
  })),
});

/** `/api` (core only) or `/apis` (every other group) as an APIGroupDiscoveryList. */
export const aggregatedDiscovery = (root: "/api" | "/apis", version: DiscoveryVersion) => ({
  kind: "APIGroupDiscoveryList",
  apiVersion: `apidiscovery.k8s.io/${version}`,
  metadata: {},
  items:
    root === "/api"
      ? apiGroups()
          .filter((g) => g.group === "")
          .map((g) => aggregatedGroup("", g.versions))
      : servedGroups().map((g) => aggregatedGroup(g.group, g.versions)),
});

export const aggregatedContentType = (version: DiscoveryVersion) =>
  `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`;

/**
 * Which form of `/api` or `/apis` the Accept header asks for, in the client's
 * order of preference: the first range we can serve wins. Protobuf ranges are
 * skipped (we answer JSON); a plain JSON or wildcard range means the legacy
 * document.
 */
export const discoveryFormat = (accept: string | undefined): DiscoveryVersion | "legacy" => {
  if (!accept) return "legacy";
  for (const range of accept.split(",")) {
    const [type, ...rawParams] = range.split(";").map((p) => p.trim());
    const params = new Map(rawParams.map((p) => p.split("=").map((x) => x.trim()) as [string, string]));
    if (type === "application/json" || type === "*/*" || type === "application/*") {
      if (!params.has("g") && !params.has("as")) return "legacy";
      const v = params.get("v");
      if (params.get("g") === "apidiscovery.k8s.io" && params.get("as") === "APIGroupDiscoveryList" && (v === "v2" || v === "v2beta1")) return v;
    }
  }
  return "legacy";
};

/** A JSON body with kube-apiserver's discovery ETag: the quoted upper-case hex SHA-512 of the body. */
export interface CachedDocument {
  readonly body: string;
  readonly etag: string;
}
export const cachedDocument = (value: unknown): CachedDocument => {
  const body = JSON.stringify(value);
  return { body, etag: `"${createHash("sha512").update(body).digest("hex").toUpperCase()}"` };
};

const aggregatedCache = new Map<string, CachedDocument>();
/** The registry is fixed at start-up, so each aggregated document is built once. */
export const aggregatedDocument = (root: "/api" | "/apis", version: DiscoveryVersion): CachedDocument => {
  const key = `${root} ${version}`;
  let doc = aggregatedCache.get(key);
  if (!doc) {
    doc = cachedDocument(aggregatedDiscovery(root, version));
    aggregatedCache.set(key, doc);
  }
  return doc;
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
