/**
 * What the API server does to an object before the store sees it: the
 * registry strategy of Kubernetes (decode, default, validate, set server-owned
 * metadata, bump generation on spec changes, keep status and spec apart).
 */
import { randomUUID } from "node:crypto";
import {
  apiVersionOf,
  defaultInPlace,
  badRequest,
  decodeObject,
  invalid,
  prepareForCreate,
  prepareForUpdate,
  type ResourceInfo,
  validateEphemeralContainersUpdate,
  validateObject,
  validateStatusUpdate,
  validateUpdate,
} from "@kubeactor/api";

export type Obj = Record<string, unknown>;
export type Meta = {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: unknown[];
  managedFields?: unknown[];
  [k: string]: unknown;
};

export const metaOf = (o: Obj): Meta => ((o.metadata ??= {}) as Meta);

let lastSecond = -1;
let lastStamp = "";
/** RFC 3339 at whole seconds, as Kubernetes writes metav1.Time. */
export const nowTimestamp = (date?: Date): string => {
  if (date) return date.toISOString().replace(/\.\d{3}Z$/, "Z");
  // every write stamps the time: format each second once
  const second = Math.floor(Date.now() / 1000);
  if (second !== lastSecond) {
    lastSecond = second;
    lastStamp = new Date(second * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
  }
  return lastStamp;
};

const NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789";
/** Kubernetes' generateName suffix: five characters with no vowels, so no words. */
export const generateNameSuffix = (): string => Array.from({ length: 5 }, () => NAME_CHARS[Math.floor(Math.random() * NAME_CHARS.length)]).join("");

export const hasStatusSubresource = (info: ResourceInfo): boolean => info.subresources.some((s) => s.name === "status");

const kindMismatch = (info: ResourceInfo, body: Obj) => {
  const apiVersion = body.apiVersion;
  const kind = body.kind;
  if (kind !== undefined && kind !== info.kind) {
    throw badRequest(`the API version in the data (${String(apiVersion)}) does not match the expected API version (${apiVersionOf(info)})`);
  }
  if (apiVersion !== undefined && apiVersion !== apiVersionOf(info)) {
    throw badRequest(`the API version in the data (${String(apiVersion)}) does not match the expected API version (${apiVersionOf(info)})`);
  }
};

/**
 * ObjectMeta's maps and lists are `omitempty` in Kubernetes: a label map
 * emptied by `kubectl label x tier-` is stored and served without `labels`.
 */
const dropEmptyMetadata = (obj: Obj) => {
  const meta = obj.metadata as Meta | undefined;
  if (!meta) return;
  // (managedFields: [] is left alone: it asks the field manager to clear the entries)
  for (const key of ["labels", "annotations", "finalizers", "ownerReferences"] as const) {
    const v = meta[key];
    if (v !== undefined && (Array.isArray(v) ? v.length === 0 : v !== null && typeof v === "object" && Object.keys(v).length === 0)) delete meta[key];
  }
};

/**
 * Secret's stringData is write-only: Kubernetes' v1 → internal conversion
 * writes each entry into data (base64, winning over data) and never stores it.
 */
const mergeStringData = (obj: Obj) => {
  const stringData = obj.stringData as Record<string, string> | undefined;
  if (stringData === undefined) return;
  const data = { ...((obj.data ?? {}) as Record<string, string>) };
  for (const [k, v] of Object.entries(stringData)) data[k] = Buffer.from(v, "utf8").toString("base64");
  delete obj.stringData;
  if (Object.keys(data).length > 0) obj.data = data;
};

/** Decode with the resource's schema: type errors are 400s as in Kubernetes' decoder. Returns a fresh copy (`body` is never changed). */
export const decodeBody = (info: ResourceInfo, body: Obj): Obj => {
  kindMismatch(info, body);
  const decoded = decodeObject(info, body);
  if (!decoded.ok) {
    const first = decoded.causes[0];
    throw badRequest(`${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}: ${first ? `${first.field}: ${first.message}` : "invalid body"}`);
  }
  const obj = decoded.value;
  dropEmptyMetadata(obj);
  if (info.group === "" && info.resource === "secrets") mergeStringData(obj);
  obj.apiVersion = apiVersionOf(info);
  obj.kind = info.kind;
  return obj;
};

const throwIfInvalid = (info: ResourceInfo, obj: Obj, causes: readonly { reason: string; message: string; field: string }[]) => {
  if (causes.length > 0) throw invalid(info.kind, info.group, metaOf(obj).name ?? metaOf(obj).generateName ?? "", causes);
};

/**
 * A new object as the store should receive it. The name must already be
 * decided (generateName resolved by the caller, which retries on collision).
 */
export const prepareCreate = (info: ResourceInfo, body: Obj, namespace: string): Obj => {
  const obj = defaultInPlace(info, decodeBody(info, body)); // decodeBody's result is a fresh copy
  const meta = metaOf(obj);
  if (meta.resourceVersion) throw badRequest("resourceVersion should not be set on objects to be created");
  if (info.namespaced) {
    if (meta.namespace && namespace && meta.namespace !== namespace) {
      throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
    }
    meta.namespace = namespace || meta.namespace || "default";
  } else delete meta.namespace;
  if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${generateNameSuffix()}`;
  // The uid comes before validation: the job strategy's selector is made from it.
  meta.uid = randomUUID();
  prepareForCreate(info, obj);
  throwIfInvalid(info, obj, validateObject(info, obj));
  meta.creationTimestamp = nowTimestamp();
  delete meta.deletionTimestamp;
  delete meta.deletionGracePeriodSeconds;
  if (info.hasGeneration) meta.generation = 1;
  else delete meta.generation;
  return obj;
};

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** Everything but metadata and status: what Kubernetes counts as "spec" for generation. */
const specPart = (o: Obj) => {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = o;
  return rest;
};

/**
 * What a write may change: the object (`main`, status excepted when the
 * resource has a status subresource), its `status`, or a pod's
 * `ephemeralcontainers` (spec.ephemeralContainers and nothing else).
 */
export type WritePart = "main" | "status" | "ephemeralcontainers";

/** dropNonEphemeralContainerUpdates: the stored pod with the body's metadata and ephemeral containers. */
const withEphemeralContainersOf = (obj: Obj, current: Obj): Obj => {
  const spec: Obj = { ...((current.spec ?? {}) as Obj) };
  const wanted = ((obj.spec ?? {}) as Obj).ephemeralContainers;
  delete spec.ephemeralContainers;
  if (wanted !== undefined) spec.ephemeralContainers = wanted;
  return { ...current, metadata: obj.metadata, spec };
};

/**
 * A full replacement (PUT) of `current`. `part` says which part the caller may
 * change when the resource has a status subresource: the main resource keeps
 * the old status, `/status` keeps the old spec, `/ephemeralcontainers` keeps
 * all but the pod's ephemeral containers.
 */
export const prepareUpdate = (info: ResourceInfo, body: Obj, current: Obj, part: WritePart): Obj => {
  let obj = defaultInPlace(info, decodeBody(info, body)); // decodeBody's result is a fresh copy
  const meta = metaOf(obj);
  const old = metaOf(current);
  if (meta.name !== undefined && meta.name !== old.name) {
    throw badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${old.name})`);
  }
  if (info.namespaced && meta.namespace !== undefined && meta.namespace !== old.namespace) {
    throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
  }
  if (part === "ephemeralcontainers") obj = withEphemeralContainersOf(obj, current);
  else if (hasStatusSubresource(info)) {
    if (part === "main") {
      if (current.status === undefined) delete obj.status;
      else obj.status = current.status;
    } else {
      obj = { ...current, metadata: obj.metadata, status: obj.status };
    }
  }
  const next = metaOf(obj);
  next.name = old.name;
  if (info.namespaced) next.namespace = old.namespace;
  next.uid = old.uid;
  next.creationTimestamp = old.creationTimestamp;
  if (old.deletionTimestamp) {
    next.deletionTimestamp = old.deletionTimestamp;
    if (old.deletionGracePeriodSeconds !== undefined) next.deletionGracePeriodSeconds = old.deletionGracePeriodSeconds;
  } else {
    delete next.deletionTimestamp;
    delete next.deletionGracePeriodSeconds;
  }
  if (info.hasGeneration) {
    const gen = old.generation ?? 1;
    next.generation = part !== "status" && !sameJson(specPart(obj), specPart(current)) ? gen + 1 : gen;
  } else delete next.generation;
  if (part === "main") prepareForUpdate(info, obj, current);
  // The ephemeral containers' own rules stand in for the pod's update rules, which forbid any spec change but images.
  const causes =
    part === "ephemeralcontainers"
      ? [...validateObject(info, obj, false), ...validateEphemeralContainersUpdate(obj, current)]
      : validateUpdate(info, obj, current); // validateObject's checks (as an update's) and the update's own
  if (part === "status") causes.push(...validateStatusUpdate(info, obj, current));
  throwIfInvalid(info, obj, causes);
  return obj;
};

/** True once a terminating object has nothing left to wait for: the store may drop it. */
export const readyToRemove = (obj: Obj): boolean => {
  const meta = metaOf(obj);
  // Namespaces wait on spec.finalizers (the namespace controller's), everything else on metadata.finalizers.
  const specFinalizers = ((obj.spec ?? {}) as { finalizers?: unknown[] }).finalizers?.length ?? 0;
  return !!meta.deletionTimestamp && (meta.finalizers?.length ?? 0) === 0 && specFinalizers === 0 && (meta.deletionGracePeriodSeconds ?? 0) === 0;
};
