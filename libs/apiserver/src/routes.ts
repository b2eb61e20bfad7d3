/**
 * Kubernetes URL layout → a request target:
 * `/api/v1/[namespaces/{ns}/]{resource}[/{name}[/{subresource}]]`, the same under
 * `/apis/{group}/{version}`, plus the legacy `/api/v1/watch/...` prefix.
 */
import { findResource, type ResourceInfo } from "@kubeactor/api";

export interface ResourceTarget {
  readonly kind: "resource";
  readonly info: ResourceInfo;
  /** "" for cluster-scoped resources and for cluster-wide lists of namespaced ones. */
  readonly namespace: string;
  readonly name?: string;
  readonly subresource?: string;
  /** Came in under the legacy `/watch/` prefix. */
  readonly watchPrefix: boolean;
}

export type Target =
  | ResourceTarget
  | { readonly kind: "unknownResource"; readonly group: string; readonly version: string; readonly resource: string }
  | { readonly kind: "groupVersion"; readonly group: string; readonly version: string }
  | { readonly kind: "notFound" };

/**
 * Targets by path, remembered: clients send the same few paths over and over
 * (every create in a namespace posts to one), and parsing one is a split,
 * a decode per segment and a registry lookup. Targets are read-only; the
 * map is bounded.
 */
const parsed = new Map<string, Target>();
const PARSED_SIZE = 512;

export const parseResourcePath = (pathname: string): Target => {
  let t = parsed.get(pathname);
  if (t === undefined) {
    t = parsePath(pathname);
    if (parsed.size >= PARSED_SIZE) parsed.clear();
    parsed.set(pathname, t);
  }
  return t;
};

const parsePath = (pathname: string): Target => {
  const parts = pathname.split("/").filter((p) => p !== "").map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === "api" && parts.length >= 2) {
    group = "";
    version = parts[1]!;
    rest = parts.slice(2);
  } else if (parts[0] === "apis" && parts.length >= 3) {
    group = parts[1]!;
    version = parts[2]!;
    rest = parts.slice(3);
  } else return { kind: "notFound" };
  if (rest.length === 0) return { kind: "groupVersion", group, version };

  let watchPrefix = false;
  if (rest[0] === "watch") {
    watchPrefix = true;
    rest = rest.slice(1);
  }
  let namespace = "";
  // `namespaces/{ns}/{resource}...` addresses a namespaced resource; `namespaces/{name}[/status]` is a Namespace itself.
  if (rest[0] === "namespaces" && rest.length >= 3 && group === "") {
    const nested = findResource(group, version, rest[2]!);
    if (nested && nested.namespaced) {
      namespace = rest[1]!;
      rest = rest.slice(2);
    }
  } else if (rest[0] === "namespaces" && rest.length >= 3) {
    namespace = rest[1]!;
    rest = rest.slice(2);
  }
  const [resource, name, subresource, ...extra] = rest;
  if (!resource || extra.length > 0) return { kind: "notFound" };
  const info = findResource(group, version, resource);
  if (!info) return { kind: "unknownResource", group, version, resource };
  if (!info.namespaced && namespace !== "") return { kind: "notFound" };
  return {
    kind: "resource",
    info,
    namespace,
    ...(name !== undefined ? { name } : {}),
    ...(subresource !== undefined ? { subresource } : {}),
    watchPrefix,
  };
};
