/**
 * Validation with Kubernetes' messages and field paths (pkg/apis/{core,apps}/validation
 * and apimachinery's util/validation). Runs on decoded, defaulted objects and
 * returns causes; an empty list means valid. It never throws on odd input.
 */
import { compareQuantity, formatQuantity, parseQuantity, type Quantity, QuantityParseError } from "./quantity.ts";
import type { ResourceInfo } from "./registry.ts";
import { labelSelectorFromApi, matchesLabels } from "./selectors.ts";
import { UNHEALTHY_POD_EVICTION_POLICIES } from "./resources/policy.ts";
import { cronParseError, isKnownTimeZone } from "./cron.ts";
import { HIGHEST_USER_DEFINABLE_PRIORITY, SYSTEM_PRIORITY_CLASSES } from "./resources/scheduling.ts";
import { RBAC_GROUP } from "./resources/rbac.ts";
import { isValidPathSegmentName, validateRbacObject, validateRbacUpdate } from "./validation-rbac.ts";
import { validateNetworkingObject, validateNetworkingUpdate } from "./validation-networking.ts";
import {
  validatePersistentVolume,
  validatePersistentVolumeClaim,
  validatePersistentVolumeClaimUpdate,
  validatePersistentVolumeUpdate,
  validateStorageClass,
  validateStorageClassUpdate,
} from "./validation-storage.ts";
import { validateLimitRange, validateResourceQuota } from "./validation-quota.ts";
import { validateHorizontalPodAutoscaler } from "./validation-autoscaling.ts";
import { validatePodTemplateObject, validateReplicationController } from "./validation-replication.ts";
import {
  validateControllerRevision, validateControllerRevisionUpdate, validateDaemonSet, validateDaemonSetUpdate, validateStatefulSet, validateStatefulSetUpdate,
} from "./validation-apps.ts";
import type { FieldCause } from "./status.ts";
import { type Obj, isObj, objects } from "./plain.ts";

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

// ---- messages (apimachinery/pkg/util/validation) ----
const q = (v: unknown): string => JSON.stringify(v) ?? String(v);
export const invalidCause = (field: string, value: unknown, detail: string): FieldCause => ({
  reason: "FieldValueInvalid",
  field,
  message: `Invalid value: ${q(value)}: ${detail}`,
});
export const requiredCause = (field: string, detail?: string): FieldCause => ({
  reason: "FieldValueRequired",
  field,
  message: detail ? `Required value: ${detail}` : "Required value",
});
export const forbiddenCause = (field: string, detail: string): FieldCause => ({ reason: "FieldValueForbidden", field, message: `Forbidden: ${detail}` });
export const duplicateCause = (field: string, value: unknown): FieldCause => ({ reason: "FieldValueDuplicate", field, message: `Duplicate value: ${q(value)}` });
export const notSupportedCause = (field: string, value: unknown, supported: readonly string[]): FieldCause => ({
  reason: "FieldValueNotSupported",
  field,
  message: `Unsupported value: ${q(value)}: supported values: ${supported.map((s) => `"${s}"`).join(", ")}`,
});
export const tooLongCause = (field: string, max: number): FieldCause => ({ reason: "FieldValueTooLong", field, message: `Too long: must have at most ${max} bytes` });
const notFoundCause = (field: string, value: unknown): FieldCause => ({ reason: "FieldValueNotFound", field, message: `Not found: ${q(value)}` });

export const regexError = (msg: string, fmt: string, ...examples: string[]): string =>
  `${msg} (${examples.length ? `e.g. ${examples.map((e) => `'${e}'`).join(",  or ")}, ` : ""}regex used for validation is '${fmt}')`;
const maxLenError = (n: number) => `must be no more than ${n} characters`;

const dns1123LabelFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
export const dns1123SubdomainFmt = `${dns1123LabelFmt}(\\.${dns1123LabelFmt})*`;
const dns1035LabelFmt = "[a-z]([-a-z0-9]*[a-z0-9])?";
const qualifiedNameFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const labelValueFmt = `(${qualifiedNameFmt})?`;
const configMapKeyFmt = "[-._a-zA-Z0-9]+";
const full = (fmt: string) => new RegExp(`^${fmt}$`);
const dns1123LabelRe = full(dns1123LabelFmt);
const dns1123SubdomainRe = full(dns1123SubdomainFmt);
const dns1035LabelRe = full(dns1035LabelFmt);
const qualifiedNameRe = full(qualifiedNameFmt);
const labelValueRe = full(labelValueFmt);
const configMapKeyRe = full(configMapKeyFmt);

export const DNS1123_LABEL_ERROR = regexError(
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
  dns1123LabelFmt, "my-name", "123-abc");
export const DNS1123_SUBDOMAIN_ERROR = regexError(
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
  dns1123SubdomainFmt, "example.com");
export const DNS1035_LABEL_ERROR = regexError(
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
  dns1035LabelFmt, "my-name", "abc-123");

export const isDNS1123Label = (v: string): string[] => {
  const errs: string[] = [];
  if (v.length > 63) errs.push(maxLenError(63));
  if (!dns1123LabelRe.test(v)) errs.push(DNS1123_LABEL_ERROR);
  return errs;
};
export const isDNS1123Subdomain = (v: string): string[] => {
  const errs: string[] = [];
  if (v.length > 253) errs.push(maxLenError(253));
  if (!dns1123SubdomainRe.test(v)) errs.push(DNS1123_SUBDOMAIN_ERROR);
  return errs;
};
export const isDNS1035Label = (v: string): string[] => {
  const errs: string[] = [];
  if (v.length > 63) errs.push(maxLenError(63));
  if (!dns1035LabelRe.test(v)) errs.push(DNS1035_LABEL_ERROR);
  return errs;
};
const QUALIFIED_NAME_ERROR = regexError(
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
  qualifiedNameFmt, "MyName", "my.name", "123-abc");
/** A label/annotation key: `[prefix/]name`, name ≤ 63, prefix a DNS subdomain. */
export const isQualifiedName = (value: string): string[] => {
  const errs: string[] = [];
  const parts = value.split("/");
  let name: string;
  if (parts.length === 1) name = parts[0]!;
  else if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) errs.push("prefix part must be non-empty");
    else for (const m of isDNS1123Subdomain(prefix)) errs.push(`prefix part ${m}`);
  } else {
    return [
      "a qualified name " +
        regexError(
          "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
          qualifiedNameFmt, "MyName", "my.name", "123-abc",
        ) + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) errs.push("name part must be non-empty");
  else if (name.length > 63) errs.push(`name part ${maxLenError(63)}`);
  if (name.length > 0 && !qualifiedNameRe.test(name)) errs.push(QUALIFIED_NAME_ERROR);
  return errs;
};
export const isValidLabelValue = (value: string): string[] => {
  const errs: string[] = [];
  if (value.length > 63) errs.push(maxLenError(63));
  if (!labelValueRe.test(value))
    errs.push(regexError(
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
      labelValueFmt, "MyValue", "my_value", "12345"));
  return errs;
};
export const isConfigMapKey = (value: string): string[] => {
  const errs: string[] = [];
  if (value.length > 253) errs.push(maxLenError(253));
  if (!configMapKeyRe.test(value))
    errs.push(regexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'", configMapKeyFmt, "key.name", "KEY_NAME", "key-name"));
  if (value === ".") errs.push("must not be '.'");
  else if (value === "..") errs.push("must not be '..'");
  else if (value.startsWith("..")) errs.push("must not start with '..'");
  return errs;
};
/** IANA_SVC_NAME: container port names and named target ports (Service port names are DNS-1123 labels). */
export const isValidPortName = (port: string): string[] => {
  const errs: string[] = [];
  if (port.length > 15) errs.push(maxLenError(15));
  if (!/^[-a-z0-9]+$/.test(port)) errs.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  if (!/[a-z]/.test(port)) errs.push("must contain at least one letter (a-z)");
  if (port.includes("--")) errs.push("must not contain consecutive hyphens");
  if (port.length > 0 && (port.startsWith("-") || port.endsWith("-"))) errs.push("must not begin or end with a hyphen");
  return errs;
};
export const PORT_RANGE = "must be between 1 and 65535, inclusive";
export const isValidPortNum = (p: unknown): boolean => typeof p === "number" && Number.isInteger(p) && p >= 1 && p <= 65535;
export const nonNegative = (field: string, v: unknown): FieldCause[] =>
  typeof v === "number" && v < 0 ? [invalidCause(field, v, "must be greater than or equal to 0")] : [];

/** Total annotation size limit (keys + values), 256 KiB. */
export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

// ---- ObjectMeta ----
type NameValidator = (name: string) => string[];
const maskTrailingDash = (name: string) => (name.length > 1 && name.endsWith("-") ? `${name.slice(0, -2)}a` : name);

const nameValidatorFor = (info: ResourceInfo): NameValidator => {
  if (info.group === "" && info.kind === "Namespace") return isDNS1123Label;
  // ValidateServiceName is NameIsDNS1035Label in Kubernetes.
  if (info.group === "" && info.kind === "Service") return isDNS1035Label;
  // Roles and bindings (minimalNameRequirements): `system:controller:x` is a valid name.
  if (info.group === RBAC_GROUP) return isValidPathSegmentName;
  // ValidateStatefulSetName is NameIsDNSLabel: pod names and hostnames are <name>-<ordinal>.
  if (info.group === "apps" && info.kind === "StatefulSet") return isDNS1123Label;
  return isDNS1123Subdomain;
};

export const validateLabels = (labels: unknown, field: string): FieldCause[] => {
  const out: FieldCause[] = [];
  if (!isObj(labels)) return out;
  for (const [k, v] of Object.entries(labels)) {
    for (const m of isQualifiedName(k)) out.push(invalidCause(field, k, m));
    if (typeof v === "string") for (const m of isValidLabelValue(v)) out.push(invalidCause(field, v, m));
  }
  return out;
};

export const validateAnnotations = (annotations: unknown, field: string): FieldCause[] => {
  const out: FieldCause[] = [];
  if (!isObj(annotations)) return out;
  let size = 0;
  for (const [k, v] of Object.entries(annotations)) {
    for (const m of isQualifiedName(k.toLowerCase())) out.push(invalidCause(field, k, m));
    size += Buffer.byteLength(k) + (typeof v === "string" ? Buffer.byteLength(v) : 0);
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) out.push(tooLongCause(field, TOTAL_ANNOTATION_SIZE_LIMIT));
  return out;
};

const validateObjectMeta = (info: ResourceInfo, meta: Obj): FieldCause[] => {
  const out: FieldCause[] = [];
  const validateName = nameValidatorFor(info);
  const name = str(meta["name"]) ?? "";
  const generateName = str(meta["generateName"]) ?? "";
  if (generateName) for (const m of validateName(maskTrailingDash(generateName))) out.push(invalidCause("metadata.generateName", generateName, m));
  if (!name) {
    if (!generateName) out.push(requiredCause("metadata.name", "name or generateName is required"));
  } else {
    for (const m of validateName(name)) out.push(invalidCause("metadata.name", name, m));
  }
  const namespace = str(meta["namespace"]) ?? "";
  if (info.namespaced) {
    if (!namespace) out.push(requiredCause("metadata.namespace"));
    else for (const m of isDNS1123Label(namespace)) out.push(invalidCause("metadata.namespace", namespace, m));
  } else if (namespace) out.push(forbiddenCause("metadata.namespace", "not allowed on this type"));
  out.push(...nonNegative("metadata.generation", meta["generation"]));
  out.push(...validateLabels(meta["labels"], "metadata.labels"));
  out.push(...validateAnnotations(meta["annotations"], "metadata.annotations"));
  objects(meta["ownerReferences"]).forEach((ref, i) => {
    const p = `metadata.ownerReferences[${i}]`;
    if (!ref["apiVersion"]) out.push(invalidCause(`${p}.apiVersion`, ref["apiVersion"] ?? "", "version must not be empty"));
    if (!ref["kind"]) out.push(invalidCause(`${p}.kind`, ref["kind"] ?? "", "kind must not be empty"));
    if (!ref["name"]) out.push(invalidCause(`${p}.name`, ref["name"] ?? "", "name must not be empty"));
    if (!ref["uid"]) out.push(invalidCause(`${p}.uid`, ref["uid"] ?? "", "uid must not be empty"));
  });
  const controllers = objects(meta["ownerReferences"]).filter((r) => r["controller"] === true);
  if (controllers.length > 1)
    out.push(invalidCause("metadata.ownerReferences", meta["ownerReferences"], "Only one reference can have Controller set to true"));
  return out;
};

// ---- quantities ----
const parseQ = (v: unknown): Quantity | QuantityParseError => {
  try {
    return parseQuantity(v as string | number);
  } catch (e) {
    return e instanceof QuantityParseError ? e : new QuantityParseError(String(v), String(e));
  }
};

/**
 * ValidateResourceQuantityValue (syntax, not negative) of every entry of a
 * ResourceList, with the parsed list; `nameCauses` checks each resource name
 * first where the kind validates names too (quotas, LimitRanges).
 */
export const validateResourceList = (
  list: unknown,
  field: string,
  nameCauses?: (name: string, path: string) => FieldCause[],
): { causes: FieldCause[]; parsed: Map<string, Quantity> } => {
  const causes: FieldCause[] = [];
  const parsed = new Map<string, Quantity>();
  if (!isObj(list)) return { causes, parsed };
  for (const [name, raw] of Object.entries(list)) {
    const p = `${field}[${name}]`;
    if (nameCauses) causes.push(...nameCauses(name, p));
    const qty = parseQ(raw);
    if (qty instanceof QuantityParseError) {
      causes.push(invalidCause(p, raw, qty.message));
      continue;
    }
    if (qty.nanos < 0n) causes.push(invalidCause(p, formatQuantity(qty), "must be greater than or equal to 0"));
    parsed.set(name, qty);
  }
  return { causes, parsed };
};

const validateResources = (r: unknown, field: string): FieldCause[] => {
  if (!isObj(r)) return [];
  const limits = validateResourceList(r["limits"], `${field}.limits`);
  const requests = validateResourceList(r["requests"], `${field}.requests`);
  const out = [...limits.causes, ...requests.causes];
  for (const [name, req] of requests.parsed) {
    const lim = limits.parsed.get(name);
    if (lim && compareQuantity(req, lim) > 0)
      out.push(invalidCause(`${field}.requests`, formatQuantity(req), `must be less than or equal to ${name} limit of ${formatQuantity(lim)}`));
  }
  return out;
};

// ---- pods ----
const PROTOCOLS = ["SCTP", "TCP", "UDP"];
const PULL_POLICIES = ["Always", "IfNotPresent", "Never"];
const RESTART_POLICIES = ["Always", "OnFailure", "Never"];
const DNS_POLICIES = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"];
const TERMINATION_MESSAGE_POLICIES = ["File", "FallbackToLogsOnError"];

const validateProbe = (p: unknown, field: string): FieldCause[] => {
  if (!isObj(p)) return [];
  const out: FieldCause[] = [];
  const handlers = ["exec", "httpGet", "tcpSocket", "grpc"].filter((h) => p[h] !== undefined);
  if (handlers.length === 0) out.push(requiredCause(field, "must specify a handler type"));
  else if (handlers.length > 1) out.push(forbiddenCause(`${field}.${handlers[1]}`, "may not specify more than 1 handler type"));
  for (const k of ["initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold"])
    out.push(...nonNegative(`${field}.${k}`, p[k]));
  for (const h of ["httpGet", "tcpSocket"]) {
    const action = p[h];
    if (!isObj(action)) continue;
    const port = action["port"];
    if (typeof port === "number" && !isValidPortNum(port)) out.push(invalidCause(`${field}.${h}.port`, port, PORT_RANGE));
    if (typeof port === "string") for (const m of isValidPortName(port)) out.push(invalidCause(`${field}.${h}.port`, port, m));
  }
  return out;
};

const validateContainers = (containers: Obj[], field: string, names: Set<string>, volumes: Set<string>): FieldCause[] => {
  const out: FieldCause[] = [];
  containers.forEach((c, i) => {
    const p = `${field}[${i}]`;
    const name = str(c["name"]) ?? "";
    if (!name) out.push(requiredCause(`${p}.name`));
    else {
      for (const m of isDNS1123Label(name)) out.push(invalidCause(`${p}.name`, name, m));
      if (names.has(name)) out.push(duplicateCause(`${p}.name`, name));
      names.add(name);
    }
    const image = str(c["image"]);
    if (!image || image.trim() !== image) {
      if (!image) out.push(requiredCause(`${p}.image`));
      else out.push(invalidCause(`${p}.image`, image, "must not have leading or trailing whitespace"));
    }
    const portNames = new Set<string>();
    objects(c["ports"]).forEach((port, j) => {
      const pp = `${p}.ports[${j}]`;
      const pname = str(port["name"]);
      if (pname) {
        for (const m of isValidPortName(pname)) out.push(invalidCause(`${pp}.name`, pname, m));
        if (portNames.has(pname)) out.push(duplicateCause(`${pp}.name`, pname));
        portNames.add(pname);
      }
      if (port["containerPort"] === 0 || port["containerPort"] === undefined) out.push(requiredCause(`${pp}.containerPort`));
      else if (!isValidPortNum(port["containerPort"])) out.push(invalidCause(`${pp}.containerPort`, port["containerPort"], PORT_RANGE));
      if (port["hostPort"] !== undefined && port["hostPort"] !== 0 && !isValidPortNum(port["hostPort"]))
        out.push(invalidCause(`${pp}.hostPort`, port["hostPort"], PORT_RANGE));
      const proto = str(port["protocol"]);
      if (proto === undefined) out.push(requiredCause(`${pp}.protocol`));
      else if (!PROTOCOLS.includes(proto)) out.push(notSupportedCause(`${pp}.protocol`, proto, PROTOCOLS));
    });
    objects(c["env"]).forEach((env, j) => {
      if (!env["name"]) out.push(requiredCause(`${p}.env[${j}].name`));
    });
    objects(c["volumeMounts"]).forEach((vm, j) => {
      const vp = `${p}.volumeMounts[${j}]`;
      const vname = str(vm["name"]) ?? "";
      if (!vname) out.push(requiredCause(`${vp}.name`));
      else if (!volumes.has(vname)) out.push(notFoundCause(`${vp}.name`, vname));
      if (!vm["mountPath"]) out.push(requiredCause(`${vp}.mountPath`));
    });
    out.push(...validateResources(c["resources"], `${p}.resources`));
    for (const probe of ["livenessProbe", "readinessProbe", "startupProbe"]) out.push(...validateProbe(c[probe], `${p}.${probe}`));
    const pull = str(c["imagePullPolicy"]);
    if (pull === undefined) out.push(requiredCause(`${p}.imagePullPolicy`));
    else if (!PULL_POLICIES.includes(pull)) out.push(notSupportedCause(`${p}.imagePullPolicy`, pull, PULL_POLICIES));
    const tmp = str(c["terminationMessagePolicy"]);
    if (tmp === undefined) out.push(requiredCause(`${p}.terminationMessagePolicy`));
    else if (!TERMINATION_MESSAGE_POLICIES.includes(tmp)) out.push(notSupportedCause(`${p}.terminationMessagePolicy`, tmp, TERMINATION_MESSAGE_POLICIES));
  });
  return out;
};

/**
 * The fields an ephemeral container may set (kube's allowedEphemeralContainerFields):
 * it is for debugging, so nothing the pod's service could come to rely on
 * (ports, probes, lifecycle hooks, resources) is accepted.
 */
const EPHEMERAL_CONTAINER_FIELDS = new Set([
  "name", "image", "command", "args", "workingDir", "envFrom", "env", "volumeMounts", "volumeDevices",
  "terminationMessagePath", "terminationMessagePolicy", "imagePullPolicy", "securityContext", "stdin", "stdinOnce", "tty",
  "targetContainerName",
]);
/** Set means not Go's zero value: an empty list or object counts as unset. */
const isSet = (v: unknown): boolean =>
  v !== undefined && v !== null && v !== false && v !== "" && v !== 0 && !(Array.isArray(v) && v.length === 0) && !(isObj(v) && Object.keys(v).length === 0);

/** validateEphemeralContainers: containers first, then names unique among all, a target that is a regular container, only allowed fields. */
const validateEphemeralContainers = (spec: Obj, field: string, names: Set<string>, volumes: Set<string>): FieldCause[] => {
  const ephemeral = objects(spec["ephemeralContainers"]);
  const others = new Set([...objects(spec["containers"]), ...objects(spec["initContainers"])].map((c) => str(c["name"]) ?? ""));
  const out = validateContainers(ephemeral, field, names, volumes);
  ephemeral.forEach((c, i) => {
    const p = `${field}[${i}]`;
    const target = str(c["targetContainerName"]);
    if (target && !others.has(target)) out.push(notFoundCause(`${p}.targetContainerName`, target));
    for (const [k, v] of Object.entries(c)) if (!EPHEMERAL_CONTAINER_FIELDS.has(k) && isSet(v)) out.push(forbiddenCause(`${p}.${k}`, "cannot be set for an Ephemeral Container"));
    objects(c["volumeMounts"]).forEach((vm, j) => {
      for (const k of ["subPath", "subPathExpr"]) if (isSet(vm[k])) out.push(forbiddenCause(`${p}.volumeMounts[${j}].${k}`, "cannot be set for an Ephemeral Container"));
    });
  });
  return out;
};

/**
 * ValidatePodSpec for the parts modelled here; `field` is the spec's path
 * ("spec" or "spec.template.spec"). Only a pod's own spec (`pod`) may have
 * ephemeral containers; a template's may not (ValidatePodTemplateSpec).
 */
export const validatePodSpec = (spec: unknown, field: string, pod = false): FieldCause[] => {
  if (!isObj(spec)) return [requiredCause(field)];
  const out: FieldCause[] = [];
  const volumes = new Set<string>();
  objects(spec["volumes"]).forEach((v, i) => {
    const name = str(v["name"]) ?? "";
    if (!name) out.push(requiredCause(`${field}.volumes[${i}].name`));
    else {
      for (const m of isDNS1123Label(name)) out.push(invalidCause(`${field}.volumes[${i}].name`, name, m));
      if (volumes.has(name)) out.push(duplicateCause(`${field}.volumes[${i}].name`, name));
      volumes.add(name);
    }
  });
  const containers = objects(spec["containers"]);
  if (containers.length === 0) out.push(requiredCause(`${field}.containers`));
  const names = new Set<string>();
  out.push(...validateContainers(objects(spec["initContainers"]), `${field}.initContainers`, names, volumes));
  out.push(...validateContainers(containers, `${field}.containers`, names, volumes));
  if (pod) out.push(...validateEphemeralContainers(spec, `${field}.ephemeralContainers`, names, volumes));
  else if (objects(spec["ephemeralContainers"]).length > 0) out.push(forbiddenCause(`${field}.ephemeralContainers`, "ephemeral containers not allowed in pod template"));
  const restart = str(spec["restartPolicy"]);
  if (restart === undefined) out.push(requiredCause(`${field}.restartPolicy`));
  else if (!RESTART_POLICIES.includes(restart)) out.push(notSupportedCause(`${field}.restartPolicy`, restart, RESTART_POLICIES));
  const dns = str(spec["dnsPolicy"]);
  if (dns === undefined) out.push(requiredCause(`${field}.dnsPolicy`));
  else if (!DNS_POLICIES.includes(dns)) out.push(notSupportedCause(`${field}.dnsPolicy`, dns, DNS_POLICIES));
  out.push(...nonNegative(`${field}.terminationGracePeriodSeconds`, spec["terminationGracePeriodSeconds"]));
  const ads = spec["activeDeadlineSeconds"];
  if (typeof ads === "number" && (ads < 1 || ads > 2147483647))
    out.push(invalidCause(`${field}.activeDeadlineSeconds`, ads, "must be between 1 and 2147483647, inclusive"));
  out.push(...validateLabels(spec["nodeSelector"], `${field}.nodeSelector`));
  for (const key of ["serviceAccountName", "nodeName"]) {
    const v = str(spec[key]);
    if (v) for (const m of isDNS1123Subdomain(v)) out.push(invalidCause(`${field}.${key}`, v, m));
  }
  for (const key of ["hostname", "subdomain"]) {
    const v = str(spec[key]);
    if (v) for (const m of isDNS1123Label(v)) out.push(invalidCause(`${field}.${key}`, v, m));
  }
  objects(spec["tolerations"]).forEach((t, i) => {
    const p = `${field}.tolerations[${i}]`;
    const op = str(t["operator"]) ?? "Equal";
    if (!["Equal", "Exists"].includes(op)) out.push(notSupportedCause(`${p}.operator`, op, ["Equal", "Exists"]));
    if (op === "Exists" && t["value"]) out.push(invalidCause(`${p}.operator`, op, "value must be empty when `operator` is 'Exists'"));
    if (!t["key"] && op !== "Exists") out.push(invalidCause(`${p}.operator`, op, "operator must be Exists when `key` is empty, which means \"match all values and all keys\""));
    const effect = str(t["effect"]);
    if (effect && !["NoSchedule", "PreferNoSchedule", "NoExecute"].includes(effect))
      out.push(notSupportedCause(`${p}.effect`, effect, ["NoExecute", "NoSchedule", "PreferNoSchedule"]));
    if (t["tolerationSeconds"] !== undefined && effect !== "NoExecute")
      out.push(invalidCause(`${p}.effect`, effect ?? "", "effect must be 'NoExecute' when `tolerationSeconds` is set"));
  });
  return out;
};

// ---- apps ----

export const PERCENT_ERROR = regexError("a valid percent string must be a numeric string followed by an ending '%'", "[0-9]+%", "1%", "93%");
export const intOrPercent = (v: unknown): number | undefined => {
  if (typeof v === "number") return v;
  if (typeof v === "string" && /^[0-9]+%$/.test(v)) return Number(v.slice(0, -1));
  return undefined;
};

export const validateIntOrPercent = (v: unknown, field: string): FieldCause[] => {
  if (v === undefined) return [];
  if (typeof v === "string" && !/^[0-9]+%$/.test(v)) return [invalidCause(field, v, PERCENT_ERROR)];
  const n = intOrPercent(v);
  return n !== undefined && n < 0 ? [invalidCause(field, v, "must be greater than or equal to 0")] : [];
};

/**
 * A workload's spec.selector against its pod template (Deployments,
 * ReplicaSets, StatefulSets): required, must parse, must not be empty
 * (`emptyMessage` names the kind as kube does) and must match the template's
 * labels. (DaemonSets differ: a missing selector is a mismatch there.)
 */
export const validateSelectorForTemplate = (selector: unknown, templateMeta: Obj, emptyMessage: string): FieldCause[] => {
  if (!isObj(selector)) return [requiredCause("spec.selector")];
  let parsed: ReturnType<typeof labelSelectorFromApi>;
  try {
    parsed = labelSelectorFromApi(selector as never);
  } catch (e) {
    return [invalidCause("spec.selector", selector, e instanceof Error ? e.message : String(e))];
  }
  if (parsed.requirements.length === 0) return [invalidCause("spec.selector", selector, emptyMessage)];
  if (!matchesLabels(parsed, (isObj(templateMeta["labels"]) ? templateMeta["labels"] : {}) as Record<string, string>))
    return [invalidCause("spec.template.metadata.labels", templateMeta["labels"] ?? {}, "`selector` does not match template `labels`")];
  return [];
};

/** ValidatePodTemplateSpec: a pod template's labels, annotations and pod spec, under `field` (e.g. "spec.template", "template"). */
export const validatePodTemplate = (template: Obj, field: string): FieldCause[] => {
  const templateMeta = isObj(template["metadata"]) ? template["metadata"] : {};
  return [
    ...validateLabels(templateMeta["labels"], `${field}.metadata.labels`),
    ...validateAnnotations(templateMeta["annotations"], `${field}.metadata.annotations`),
    ...validatePodSpec(template["spec"], `${field}.spec`),
  ];
};

/**
 * The pod template of a replicated workload (ValidatePodTemplateSpecForReplicaSet
 * and ForRC): a valid pod template whose pods restart Always and have no
 * deadline. `ownerKind` names the kind in the deadline message as kube does
 * (Deployments say "ReplicaSet" too).
 */
export const validateReplicatedPodTemplate = (template: Obj, field: string, ownerKind: "ReplicaSet" | "ReplicationController"): FieldCause[] => {
  const out = validatePodTemplate(template, field);
  const podSpec = template["spec"];
  if (isObj(podSpec)) {
    const restart = str(podSpec["restartPolicy"]);
    if (restart !== undefined && restart !== "Always") out.push(notSupportedCause(`${field}.spec.restartPolicy`, restart, ["Always"]));
    if (podSpec["activeDeadlineSeconds"] !== undefined)
      out.push(forbiddenCause(`${field}.spec.activeDeadlineSeconds`, `activeDeadlineSeconds in ${ownerKind} is not Supported`));
  }
  return out;
};

const validateReplicaSetLike = (obj: Obj, kind: "Deployment" | "ReplicaSet"): FieldCause[] => {
  const out: FieldCause[] = [];
  const spec = isObj(obj["spec"]) ? obj["spec"] : {};
  out.push(...nonNegative("spec.replicas", spec["replicas"]));
  out.push(...nonNegative("spec.minReadySeconds", spec["minReadySeconds"]));
  const selector = spec["selector"];
  const template = isObj(spec["template"]) ? spec["template"] : undefined;
  const templateMeta = template && isObj(template["metadata"]) ? template["metadata"] : {};
  out.push(...validateSelectorForTemplate(selector, templateMeta, `empty selector is invalid for ${kind === "Deployment" ? "deployment" : "replicaset"}`));
  if (!template) out.push(requiredCause("spec.template"));
  else out.push(...validateReplicatedPodTemplate(template, "spec.template", "ReplicaSet"));
  if (kind === "Deployment") {
    out.push(...nonNegative("spec.revisionHistoryLimit", spec["revisionHistoryLimit"]));
    const pds = spec["progressDeadlineSeconds"];
    if (typeof pds === "number") {
      out.push(...nonNegative("spec.progressDeadlineSeconds", pds));
      if (pds <= (typeof spec["minReadySeconds"] === "number" ? spec["minReadySeconds"] : 0))
        out.push(invalidCause("spec.progressDeadlineSeconds", pds, "must be greater than minReadySeconds"));
    }
    const strategy = isObj(spec["strategy"]) ? spec["strategy"] : {};
    const type = str(strategy["type"]);
    if (type !== undefined && type !== "Recreate" && type !== "RollingUpdate")
      out.push(notSupportedCause("spec.strategy.type", type, ["Recreate", "RollingUpdate"]));
    if (type === "Recreate" && strategy["rollingUpdate"] !== undefined)
      out.push(forbiddenCause("spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'"));
    const ru = strategy["rollingUpdate"];
    if (type === "RollingUpdate" && isObj(ru)) {
      const base = "spec.strategy.rollingUpdate";
      out.push(...validateIntOrPercent(ru["maxUnavailable"], `${base}.maxUnavailable`));
      out.push(...validateIntOrPercent(ru["maxSurge"], `${base}.maxSurge`));
      const mu = intOrPercent(ru["maxUnavailable"]);
      const ms = intOrPercent(ru["maxSurge"]);
      if (typeof ru["maxUnavailable"] === "string" && mu !== undefined && mu > 100)
        out.push(invalidCause(`${base}.maxUnavailable`, ru["maxUnavailable"], "must not be greater than 100%"));
      if (mu === 0 && ms === 0) out.push(invalidCause(`${base}.maxUnavailable`, ru["maxUnavailable"], "may not be 0 when `maxSurge` is 0"));
    }
  }
  return out;
};

// ---- policy (pkg/apis/policy/validation) ----

/** ValidatePositiveIntOrPercent + IsNotMoreThan100Percent, as upstream checks minAvailable/maxUnavailable. */
const validateBudgetValue = (v: unknown, field: string): FieldCause[] => {
  if (v === undefined) return [];
  const out = validateIntOrPercent(v, field);
  if (typeof v === "string" && out.length === 0 && Number(v.slice(0, -1)) > 100) out.push(invalidCause(field, v, "must not be greater than 100%"));
  return out;
};

const validatePodDisruptionBudget = (obj: Obj): FieldCause[] => {
  const out: FieldCause[] = [];
  const spec = isObj(obj["spec"]) ? obj["spec"] : {};
  if (spec["minAvailable"] !== undefined && spec["maxUnavailable"] !== undefined)
    out.push(invalidCause("spec", spec, "minAvailable and maxUnavailable cannot be both set"));
  out.push(...validateBudgetValue(spec["minAvailable"], "spec.minAvailable"));
  out.push(...validateBudgetValue(spec["maxUnavailable"], "spec.maxUnavailable"));
  const selector = spec["selector"];
  if (isObj(selector)) {
    try {
      labelSelectorFromApi(selector as never);
    } catch (e) {
      out.push(invalidCause("spec.selector", selector, e instanceof Error ? e.message : String(e)));
    }
  }
  const policy = spec["unhealthyPodEvictionPolicy"];
  if (policy !== undefined && !UNHEALTHY_POD_EVICTION_POLICIES.includes(policy as never))
    out.push(notSupportedCause("spec.unhealthyPodEvictionPolicy", policy, UNHEALTHY_POD_EVICTION_POLICIES));
  // ValidatePodDisruptionBudgetStatusUpdate (policy/v1): the counters are never negative.
  const status = isObj(obj["status"]) ? obj["status"] : {};
  for (const f of ["disruptionsAllowed", "currentHealthy", "desiredHealthy", "expectedPods"]) out.push(...nonNegative(`status.${f}`, status[f]));
  return out;
};

// ---- services ----
const SERVICE_TYPES = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];
const validateService = (obj: Obj): FieldCause[] => {
  const out: FieldCause[] = [];
  const spec = isObj(obj["spec"]) ? obj["spec"] : {};
  const type = str(spec["type"]) ?? "ClusterIP";
  if (!SERVICE_TYPES.includes(type)) out.push(notSupportedCause("spec.type", type, SERVICE_TYPES));
  const ports = objects(spec["ports"]);
  const headless = spec["clusterIP"] === "None";
  if (type === "ExternalName") {
    const en = str(spec["externalName"]) ?? "";
    if (!en) out.push(requiredCause("spec.externalName"));
    else for (const m of isDNS1123Subdomain(en.replace(/\.$/, ""))) out.push(invalidCause("spec.externalName", en, m));
  } else if (ports.length === 0 && !headless) out.push(requiredCause("spec.ports"));
  const names = new Set<string>();
  const seen = new Set<string>();
  ports.forEach((p, i) => {
    const pp = `spec.ports[${i}]`;
    const name = str(p["name"]) ?? "";
    if (ports.length > 1 && !name) out.push(requiredCause(`${pp}.name`));
    if (name) {
      // Kubernetes checks Service port names as DNS-1123 labels: `kubectl create service --tcp=80:8080` names one "80-8080".
      for (const m of isDNS1123Label(name)) out.push(invalidCause(`${pp}.name`, name, m));
      if (names.has(name)) out.push(duplicateCause(`${pp}.name`, name));
      names.add(name);
    }
    if (!isValidPortNum(p["port"])) out.push(invalidCause(`${pp}.port`, p["port"], PORT_RANGE));
    const proto = str(p["protocol"]) ?? "TCP";
    if (!PROTOCOLS.includes(proto)) out.push(notSupportedCause(`${pp}.protocol`, proto, PROTOCOLS));
    const key = `${String(p["port"])}/${proto}`;
    if (seen.has(key)) out.push(duplicateCause(pp, { port: p["port"], protocol: proto }));
    seen.add(key);
    const tp = p["targetPort"];
    if (typeof tp === "number" && !isValidPortNum(tp)) out.push(invalidCause(`${pp}.targetPort`, tp, PORT_RANGE));
    if (typeof tp === "string") for (const m of isValidPortName(tp)) out.push(invalidCause(`${pp}.targetPort`, tp, m));
    const np = p["nodePort"];
    if (np !== undefined && np !== 0) {
      if (type === "ClusterIP" || type === "ExternalName") out.push(forbiddenCause(`${pp}.nodePort`, `may not be used when \`type\` is '${type}'`));
      else if (!isValidPortNum(np)) out.push(invalidCause(`${pp}.nodePort`, np, PORT_RANGE));
    }
  });
  const affinity = str(spec["sessionAffinity"]);
  if (affinity !== undefined && !["ClientIP", "None"].includes(affinity)) out.push(notSupportedCause("spec.sessionAffinity", affinity, ["ClientIP", "None"]));
  out.push(...validateLabels(spec["selector"], "spec.selector"));
  for (const [k, allowed] of [["externalTrafficPolicy", ["Cluster", "Local"]], ["internalTrafficPolicy", ["Cluster", "Local"]], ["ipFamilyPolicy", ["SingleStack", "PreferDualStack", "RequireDualStack"]]] as const) {
    const v = str(spec[k]);
    if (v !== undefined && !(allowed as readonly string[]).includes(v)) out.push(notSupportedCause(`spec.${k}`, v, allowed));
  }
  return out;
};

// ---- configmaps / secrets ----
const validateDataKeys = (obj: Obj, fields: readonly string[]): FieldCause[] => {
  const out: FieldCause[] = [];
  const seen = new Set<string>();
  for (const f of fields) {
    const data = obj[f];
    if (!isObj(data)) continue;
    for (const k of Object.keys(data)) {
      for (const m of isConfigMapKey(k)) out.push(invalidCause(`${f}[${k}]`, k, m));
      if (seen.has(k)) out.push(duplicateCause(`${f}[${k}]`, k));
      seen.add(k);
    }
  }
  return out;
};

const validateSecret = (obj: Obj): FieldCause[] => {
  const out = validateDataKeys(obj, ["data"]);
  const data = obj["data"];
  if (isObj(data))
    for (const [k, v] of Object.entries(data))
      if (typeof v === "string" && !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) out.push(invalidCause(`data[${k}]`, "<secret contents redacted>", "illegal base64 data"));
  const stringData = obj["stringData"];
  if (isObj(stringData)) for (const k of Object.keys(stringData)) for (const m of isConfigMapKey(k)) out.push(invalidCause(`stringData[${k}]`, k, m));
  return out;
};

const validateLease = (obj: Obj): FieldCause[] => {
  const spec = isObj(obj["spec"]) ? obj["spec"] : {};
  const out: FieldCause[] = [];
  const d = spec["leaseDurationSeconds"];
  if (typeof d === "number" && d <= 0) out.push(invalidCause("spec.leaseDurationSeconds", d, "must be greater than 0"));
  out.push(...nonNegative("spec.leaseTransitions", spec["leaseTransitions"]));
  return out;
};

/** node.k8s.io RuntimeClass: the handler is a required DNS label. */
const validateRuntimeClass = (obj: Obj): FieldCause[] => {
  const h = obj["handler"];
  if (typeof h !== "string" || h === "") return [requiredCause("handler")];
  return isDNS1123Label(h).map((m) => invalidCause("handler", h, m));
};

const validateNode = (obj: Obj): FieldCause[] => {
  const spec = isObj(obj["spec"]) ? obj["spec"] : {};
  const out: FieldCause[] = [];
  objects(spec["taints"]).forEach((t, i) => {
    const p = `spec.taints[${i}]`;
    const key = str(t["key"]) ?? "";
    if (!key) out.push(requiredCause(`${p}.key`));
    else for (const m of isQualifiedName(key)) out.push(invalidCause(`${p}.key`, key, m));
    const effect = str(t["effect"]) ?? "";
    if (!effect) out.push(requiredCause(`${p}.effect`));
    else if (!["NoSchedule", "PreferNoSchedule", "NoExecute"].includes(effect))
      out.push(notSupportedCause(`${p}.effect`, effect, ["NoExecute", "NoSchedule", "PreferNoSchedule"]));
  });
  const status = isObj(obj["status"]) ? obj["status"] : {};
  out.push(...validateResourceList(status["capacity"], "status.capacity").causes);
  out.push(...validateResourceList(status["allocatable"], "status.allocatable").causes);
  return out;
};

/** ValidatePriorityClass: `system-` names are the built-in classes only; user values at most one billion. */
const validatePriorityClass = (obj: Record<string, unknown>): FieldCause[] => {
  const out: FieldCause[] = [];
  const name = str(isObj(obj["metadata"]) ? obj["metadata"]["name"] : undefined) ?? "";
  const value = obj["value"];
  const globalDefault = obj["globalDefault"] === true;
  if (name.startsWith("system-")) {
    const known = SYSTEM_PRIORITY_CLASSES.find((c) => c.name === name);
    const why = !known
      ? `${name} is not a known system priority class`
      : known.value !== value
        ? `value of ${name} PriorityClass must be ${known.value}`
        : globalDefault
          ? `globalDefault of ${name} PriorityClass must be false`
          : undefined;
    if (why) out.push(forbiddenCause("metadata.name", `priority class names with 'system-' prefix are reserved for system use only. error: ${why}`));
  } else if (typeof value === "number" && value > HIGHEST_USER_DEFINABLE_PRIORITY)
    out.push(forbiddenCause("value", `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}`));
  const policy = obj["preemptionPolicy"];
  if (policy === "") out.push(requiredCause("preemptionPolicy"));
  else if (policy !== undefined && policy !== "Never" && policy !== "PreemptLowerPriority")
    out.push(notSupportedCause("preemptionPolicy", policy, ["Never", "PreemptLowerPriority"]));
  return out;
};

// ---- batch (pkg/apis/batch/validation) ----

const JOB_RESTART_POLICIES = ["OnFailure", "Never"];
const COMPLETION_MODES = ["NonIndexed", "Indexed"];
const POD_REPLACEMENT_POLICIES = ["TerminatingOrFailed", "Failed"];
const CONCURRENCY = ["Allow", "Forbid", "Replace"];
const CONTROLLER_UID = "batch.kubernetes.io/controller-uid";

/** ValidateJobSpec for a Job (`path` "spec") or a CronJob's job template (`spec.jobTemplate.spec`), selector checks only for Jobs. */
const validateJobSpec = (spec: Obj, path: string, isTemplate: boolean): FieldCause[] => {
  const out: FieldCause[] = [];
  for (const f of ["parallelism", "completions", "activeDeadlineSeconds", "backoffLimit", "ttlSecondsAfterFinished", "backoffLimitPerIndex", "maxFailedIndexes"])
    out.push(...nonNegative(`${path}.${f}`, spec[f]));
  const mode = str(spec["completionMode"]);
  if (mode !== undefined && !COMPLETION_MODES.includes(mode)) out.push(notSupportedCause(`${path}.completionMode`, mode, COMPLETION_MODES));
  if (mode === "Indexed") {
    if (spec["completions"] === undefined) out.push(requiredCause(`${path}.completions`, "when completion mode is Indexed"));
    if (typeof spec["parallelism"] === "number" && spec["parallelism"] > 100000)
      out.push(invalidCause(`${path}.parallelism`, spec["parallelism"], "must be less than or equal to 100000 when completion mode is Indexed"));
  }
  if ((spec["backoffLimitPerIndex"] !== undefined || spec["successPolicy"] !== undefined) && mode !== "Indexed")
    out.push(invalidCause(`${path}.completionMode`, mode ?? "", "requires indexed completion mode"));
  const replacement = str(spec["podReplacementPolicy"]);
  if (replacement !== undefined) {
    if (!POD_REPLACEMENT_POLICIES.includes(replacement)) out.push(notSupportedCause(`${path}.podReplacementPolicy`, replacement, POD_REPLACEMENT_POLICIES));
    else if (isObj(spec["podFailurePolicy"]) && replacement !== "Failed") out.push(notSupportedCause(`${path}.podReplacementPolicy`, replacement, ["Failed"]));
  }
  const pfp = spec["podFailurePolicy"];
  if (isObj(pfp)) {
    objects(pfp["rules"]).forEach((rule, i) => {
      const rp = `${path}.podFailurePolicy.rules[${i}]`;
      const action = str(rule["action"]) ?? "";
      if (!["Count", "FailIndex", "FailJob", "Ignore"].includes(action)) out.push(notSupportedCause(`${rp}.action`, action, ["Count", "FailIndex", "FailJob", "Ignore"]));
      const onExit = rule["onExitCodes"];
      const onConditions = rule["onPodConditions"];
      if (onExit !== undefined && onConditions !== undefined) out.push({ reason: "FieldValueInvalid", field: rp, message: "Invalid value: specifying both OnExitCodes and OnPodConditions is not supported" });
      else if (onExit === undefined && onConditions === undefined) out.push({ reason: "FieldValueInvalid", field: rp, message: "Invalid value: specifying one of OnExitCodes and OnPodConditions is required" });
      if (isObj(onExit)) {
        const op = str(onExit["operator"]) ?? "";
        if (!["In", "NotIn"].includes(op)) out.push(notSupportedCause(`${rp}.onExitCodes.operator`, op, ["In", "NotIn"]));
        const values = Array.isArray(onExit["values"]) ? (onExit["values"] as unknown[]) : [];
        if (values.length === 0) out.push(requiredCause(`${rp}.onExitCodes.values`, "at least one value is required"));
        values.forEach((v, j) => {
          if (op === "In" && v === 0) out.push(invalidCause(`${rp}.onExitCodes.values[${j}]`, v, "must not be 0 for the In operator"));
          if (j > 0 && typeof v === "number" && typeof values[j - 1] === "number" && v <= (values[j - 1] as number))
            out.push(invalidCause(`${rp}.onExitCodes.values[${j}]`, v, "must be ordered"));
        });
      }
    });
  }
  const template = isObj(spec["template"]) ? spec["template"] : undefined;
  const templateMeta = template && isObj(template["metadata"]) ? template["metadata"] : {};
  if (!isTemplate) {
    const selector = spec["selector"];
    if (!isObj(selector)) out.push(requiredCause(`${path}.selector`));
    else {
      try {
        const parsed = labelSelectorFromApi(selector as never);
        if (!matchesLabels(parsed, (isObj(templateMeta["labels"]) ? templateMeta["labels"] : {}) as Record<string, string>))
          out.push(invalidCause(`${path}.template.metadata.labels`, templateMeta["labels"] ?? {}, "`selector` does not match template `labels`"));
      } catch (e) {
        out.push(invalidCause(`${path}.selector`, selector, e instanceof Error ? e.message : String(e)));
      }
    }
  }
  if (!template) out.push(requiredCause(`${path}.template.spec.containers`));
  else {
    out.push(...validateLabels(templateMeta["labels"], `${path}.template.labels`));
    out.push(...validateAnnotations(templateMeta["annotations"], `${path}.template.annotations`));
    const podSpec = template["spec"];
    out.push(...validatePodSpec(podSpec, `${path}.template.spec`).filter((c) => c.field !== `${path}.template.spec.restartPolicy`));
    const restart = isObj(podSpec) ? str(podSpec["restartPolicy"]) : undefined;
    // Always is the pod default, so it reads as "not set" to the job validation.
    if (restart === undefined || restart === "" || restart === "Always")
      out.push(requiredCause(`${path}.template.spec.restartPolicy`, 'valid values: "OnFailure", "Never"'));
    else if (!JOB_RESTART_POLICIES.includes(restart)) out.push(notSupportedCause(`${path}.template.spec.restartPolicy`, restart, JOB_RESTART_POLICIES));
    else if (isObj(spec["podFailurePolicy"]) && restart !== "Never")
      out.push(invalidCause(`${path}.template.spec.restartPolicy`, restart, 'only "Never" is supported when podFailurePolicy is specified'));
  }
  return out;
};

/** validateGeneratedSelector: with a generated selector the controller-uid labels must carry the job's uid. */
const validateGeneratedSelector = (obj: Obj): FieldCause[] => {
  const spec = isObj(obj["spec"]) ? obj["spec"] : {};
  if (spec["manualSelector"] === true) return [];
  const uid = str(isObj(obj["metadata"]) ? obj["metadata"]["uid"] : undefined) ?? "";
  const template = isObj(spec["template"]) ? spec["template"] : {};
  const labels = isObj(template["metadata"]) && isObj(template["metadata"]["labels"]) ? template["metadata"]["labels"] : undefined;
  if (!labels) return [requiredCause("spec.template.metadata.labels")];
  const out: FieldCause[] = [];
  for (const key of [CONTROLLER_UID, "controller-uid"])
    if (labels[key] !== undefined && labels[key] !== uid)
      out.push(invalidCause(`spec.template.metadata.labels[${key}]`, labels[key], `must be '${uid}'`));
  const matchLabels = isObj(spec["selector"]) && isObj(spec["selector"]["matchLabels"]) ? spec["selector"]["matchLabels"] : {};
  if (matchLabels[CONTROLLER_UID] !== undefined && matchLabels[CONTROLLER_UID] !== uid)
    out.push(invalidCause("spec.selector.matchLabels", matchLabels, "`selector` not auto-generated"));
  return out;
};

const validateJob = (obj: Obj): FieldCause[] => {
  const spec = isObj(obj["spec"]) ? obj["spec"] : {};
  const out = [...validateGeneratedSelector(obj), ...validateJobSpec(spec, "spec", false)];
  const name = str(isObj(obj["metadata"]) ? obj["metadata"]["name"] : undefined) ?? "";
  const completions = spec["completions"];
  if (spec["completionMode"] === "Indexed" && typeof completions === "number" && completions > 0) {
    // Indexed pods are named (and get the hostname) <job>-<index>.
    const hostname = `${name}-${completions - 1}`;
    if (isDNS1123Label(hostname).length > 0) out.push(invalidCause("metadata.name", name, `will not able to create pod with invalid DNS label: ${hostname}`));
  }
  return out;
};

/** validateScheduleFormat + validateTimeZone; `oldSpec` relaxes the TZ rule for objects that already had one. */
const validateCronJobSpec = (spec: Obj, oldSpec?: Obj): FieldCause[] => {
  const out: FieldCause[] = [];
  const schedule = str(spec["schedule"]) ?? "";
  if (schedule === "") out.push(requiredCause("spec.schedule"));
  else {
    const err = cronParseError(schedule);
    if (err) out.push(invalidCause("spec.schedule", schedule, err));
    const allowTZ = (str(oldSpec?.["schedule"]) ?? "").includes("TZ");
    if (allowTZ && schedule.includes("TZ") && spec["timeZone"] !== undefined)
      out.push(invalidCause("spec.schedule", schedule, "cannot use both timeZone field and TZ or CRON_TZ in schedule"));
    else if (!allowTZ && schedule.includes("TZ"))
      out.push(invalidCause("spec.schedule", schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"));
  }
  out.push(...nonNegative("spec.startingDeadlineSeconds", spec["startingDeadlineSeconds"]));
  const tz = spec["timeZone"];
  if (typeof tz === "string" && (oldSpec === undefined || oldSpec["timeZone"] !== tz)) {
    if (tz === "") out.push(invalidCause("spec.timeZone", tz, "timeZone must be nil or non-empty string"));
    else if (tz.split("/").some((p) => p === "." || p === ".." || p.startsWith("-") || !/^[A-Za-z.\-_0-9+]{1,14}$/.test(p)))
      out.push(invalidCause("spec.timeZone", tz, `unknown time zone ${tz}`));
    else if (tz.toLowerCase() === "local")
      out.push(invalidCause("spec.timeZone", tz, "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones"));
    else if (!isKnownTimeZone(tz)) out.push(invalidCause("spec.timeZone", tz, `unknown time zone ${tz}`));
  }
  const policy = str(spec["concurrencyPolicy"]) ?? "";
  if (policy === "") out.push(requiredCause("spec.concurrencyPolicy"));
  else if (!CONCURRENCY.includes(policy)) out.push(notSupportedCause("spec.concurrencyPolicy", policy, CONCURRENCY));
  const jobTemplate = isObj(spec["jobTemplate"]) ? spec["jobTemplate"] : {};
  const jtMeta = isObj(jobTemplate["metadata"]) ? jobTemplate["metadata"] : {};
  out.push(...validateLabels(jtMeta["labels"], "spec.jobTemplate.metadata.labels"));
  out.push(...validateAnnotations(jtMeta["annotations"], "spec.jobTemplate.metadata.annotations"));
  out.push(...validateJobSpec(isObj(jobTemplate["spec"]) ? jobTemplate["spec"] : {}, "spec.jobTemplate.spec", true));
  out.push(...nonNegative("spec.successfulJobsHistoryLimit", spec["successfulJobsHistoryLimit"]));
  out.push(...nonNegative("spec.failedJobsHistoryLimit", spec["failedJobsHistoryLimit"]));
  return out;
};

const validateCronJob = (obj: Obj): FieldCause[] => {
  const out = validateCronJobSpec(isObj(obj["spec"]) ? obj["spec"] : {});
  // Job names are <cronjob>-<minutes since epoch>: 11 more characters within 63.
  const name = str(isObj(obj["metadata"]) ? obj["metadata"]["name"] : undefined) ?? "";
  if (name.length > 52) out.push(invalidCause("metadata.name", name, "must be no more than 52 characters"));
  return out;
};

/** ValidateJobSpecUpdate: what may not change once a Job exists. */
const validateJobUpdate = (ns: Obj, os: Obj): FieldCause[] => {
  const out: FieldCause[] = [];
  // Elastic Indexed jobs may change completions together with parallelism.
  const elastic = ns["completionMode"] === "Indexed" && ns["completions"] === ns["parallelism"];
  if (!elastic) out.push(...immutable("spec.completions", ns["completions"], os["completions"]));
  out.push(...immutable("spec.selector", ns["selector"], os["selector"]));
  out.push(...immutable("spec.completionMode", ns["completionMode"], os["completionMode"]));
  out.push(...immutable("spec.podFailurePolicy", ns["podFailurePolicy"], os["podFailurePolicy"]));
  out.push(...immutable("spec.successPolicy", ns["successPolicy"], os["successPolicy"]));
  out.push(...immutable("spec.backoffLimitPerIndex", ns["backoffLimitPerIndex"], os["backoffLimitPerIndex"]));
  out.push(...immutable("spec.managedBy", ns["managedBy"], os["managedBy"]));
  // A suspended job that never started may change its pods' scheduling directives, labels and annotations.
  const nt = isObj(ns["template"]) ? structuredClone(ns["template"]) : ns["template"];
  const ot = isObj(os["template"]) ? os["template"] : {};
  if (isObj(nt) && os["suspend"] === true) {
    const nm = isObj(nt["metadata"]) ? nt["metadata"] : (nt["metadata"] = {});
    const om = isObj(ot["metadata"]) ? ot["metadata"] : {};
    nm["labels"] = om["labels"];
    nm["annotations"] = om["annotations"];
    const nps = isObj(nt["spec"]) ? nt["spec"] : (nt["spec"] = {});
    const ops = isObj(ot["spec"]) ? ot["spec"] : {};
    for (const k of ["nodeSelector", "tolerations", "affinity", "schedulingGates"]) nps[k] = ops[k];
  }
  out.push(...immutable("spec.template", nt, os["template"]));
  return out;
};

const kindKey = (info: ResourceInfo) => `${info.group}/${info.kind}`;

/**
 * Validates a whole object (as for create). `obj` should already be decoded
 * and defaulted; missing required defaults are reported as Required.
 */
export function validateObject(info: ResourceInfo, obj: Record<string, unknown>, creating = true): FieldCause[] {
  const meta = isObj(obj["metadata"]) ? obj["metadata"] : {};
  const out = validateObjectMeta(info, meta);
  switch (kindKey(info)) {
    case "/Pod":
      out.push(...validatePodSpec(obj["spec"], "spec", true));
      // Added to a running pod only, through the ephemeralcontainers subresource.
      if (creating && isObj(obj["spec"]) && objects(obj["spec"]["ephemeralContainers"]).length > 0)
        out.push(forbiddenCause("spec.ephemeralContainers", "cannot be set on create"));
      break;
    case "apps/Deployment":
      out.push(...validateReplicaSetLike(obj, "Deployment"));
      break;
    case "apps/ReplicaSet":
      out.push(...validateReplicaSetLike(obj, "ReplicaSet"));
      break;
    case "/ReplicationController":
      out.push(...validateReplicationController(obj));
      break;
    case "/PodTemplate":
      out.push(...validatePodTemplateObject(obj));
      break;
    case "apps/DaemonSet":
      out.push(...validateDaemonSet(obj));
      break;
    case "apps/ControllerRevision":
      out.push(...validateControllerRevision(obj));
      break;
    case "apps/StatefulSet":
      out.push(...validateStatefulSet(obj));
      break;
    case "/Service":
      out.push(...validateService(obj));
      break;
    case "/ConfigMap":
      out.push(...validateDataKeys(obj, ["data", "binaryData"]));
      break;
    case "/Secret":
      out.push(...validateSecret(obj));
      break;
    case "coordination.k8s.io/Lease":
      out.push(...validateLease(obj));
      break;
    case "/Node":
      out.push(...validateNode(obj));
      break;
    case "scheduling.k8s.io/PriorityClass":
      out.push(...validatePriorityClass(obj));
      break;
    case "node.k8s.io/RuntimeClass":
      out.push(...validateRuntimeClass(obj));
      break;
    case "policy/PodDisruptionBudget":
      out.push(...validatePodDisruptionBudget(obj));
      break;
    case "batch/Job":
      out.push(...validateJob(obj));
      break;
    case "batch/CronJob":
      out.push(...validateCronJob(obj));
      break;
    case "/PersistentVolume":
      out.push(...validatePersistentVolume(obj));
      break;
    case "/PersistentVolumeClaim":
      out.push(...validatePersistentVolumeClaim(obj));
      break;
    case "/ResourceQuota":
      out.push(...validateResourceQuota(obj));
      break;
    case "/LimitRange":
      out.push(...validateLimitRange(obj));
      break;
    case "storage.k8s.io/StorageClass":
      out.push(...validateStorageClass(obj));
      break;
    case "autoscaling/HorizontalPodAutoscaler":
      out.push(...validateHorizontalPodAutoscaler(obj));
      break;
    default:
      if (info.group === RBAC_GROUP) out.push(...validateRbacObject(info.kind, obj));
      else if (info.group === "networking.k8s.io") out.push(...validateNetworkingObject(info.kind, obj, creating));
  }
  return out;
}

const deepEqual = (a: unknown, b: unknown): boolean => {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
};
export { deepEqual as jsonEqual };

export const POD_UPDATE_FORBIDDEN =
  "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

const validatePodSpecUpdate = (newSpec: unknown, oldSpec: unknown): FieldCause[] => {
  if (!isObj(newSpec) || !isObj(oldSpec)) return [];
  const out: FieldCause[] = [];
  const mutable = structuredClone(newSpec);
  for (const key of ["containers", "initContainers"]) {
    const nc = objects(mutable[key]);
    const oc = objects(oldSpec[key]);
    if (nc.length === oc.length) nc.forEach((c, i) => (c["image"] = oc[i]!["image"]));
  }
  const newADS = newSpec["activeDeadlineSeconds"];
  const oldADS = oldSpec["activeDeadlineSeconds"];
  if (oldADS !== undefined && (newADS === undefined || (typeof newADS === "number" && typeof oldADS === "number" && newADS > oldADS)))
    out.push(invalidCause("spec.activeDeadlineSeconds", newADS ?? null, "must be less than or equal to previous value"));
  mutable["activeDeadlineSeconds"] = oldADS;
  const oldTol = objects(oldSpec["tolerations"]);
  const newTol = objects(newSpec["tolerations"]);
  if (oldTol.every((t) => newTol.some((n) => deepEqual(n, t)))) mutable["tolerations"] = oldSpec["tolerations"];
  const oldGrace = oldSpec["terminationGracePeriodSeconds"];
  if (typeof oldGrace === "number" && oldGrace < 0 && newSpec["terminationGracePeriodSeconds"] === 1) mutable["terminationGracePeriodSeconds"] = oldGrace;
  if (!deepEqual(mutable, oldSpec)) out.push(forbiddenCause("spec", POD_UPDATE_FORBIDDEN));
  return out;
};

/**
 * ValidatePodEphemeralContainersUpdate's own rule: ephemeral containers are
 * only ever added. Each existing one must be there, unchanged (a patch may
 * reorder them, so they are matched by name).
 */
export const validateEphemeralContainersUpdate = (newObj: Obj, oldObj: Obj): FieldCause[] => {
  const ephemeral = (o: Obj) => objects(isObj(o["spec"]) ? o["spec"]["ephemeralContainers"] : undefined);
  const byName = new Map(ephemeral(newObj).map((c) => [str(c["name"]) ?? "", c]));
  const out: FieldCause[] = [];
  for (const old of ephemeral(oldObj)) {
    const name = str(old["name"]) ?? "";
    const now = byName.get(name);
    if (!now) out.push(forbiddenCause("spec.ephemeralContainers", `existing ephemeral containers ${JSON.stringify(name)} may not be removed`));
    else if (!deepEqual(now, old)) out.push(forbiddenCause("spec.ephemeralContainers", `existing ephemeral containers ${JSON.stringify(name)} may not be changed`));
  }
  return out;
};

const immutable = (field: string, newV: unknown, oldV: unknown): FieldCause[] =>
  deepEqual(newV, oldV) ? [] : [invalidCause(field, newV ?? "", "field is immutable")];

/**
 * Validates an update: everything `validateObject` checks on the new object,
 * plus immutability against the old one.
 */
export function validateUpdate(info: ResourceInfo, newObj: Record<string, unknown>, oldObj: Record<string, unknown>): FieldCause[] {
  const out = validateObject(info, newObj, false);
  const nm = isObj(newObj["metadata"]) ? newObj["metadata"] : {};
  const om = isObj(oldObj["metadata"]) ? oldObj["metadata"] : {};
  out.push(...immutable("metadata.name", nm["name"], om["name"]));
  out.push(...immutable("metadata.namespace", nm["namespace"], om["namespace"]));
  if (om["uid"] !== undefined) out.push(...immutable("metadata.uid", nm["uid"], om["uid"]));
  if (om["creationTimestamp"] !== undefined) out.push(...immutable("metadata.creationTimestamp", nm["creationTimestamp"], om["creationTimestamp"]));
  const ns = isObj(newObj["spec"]) ? newObj["spec"] : {};
  const os = isObj(oldObj["spec"]) ? oldObj["spec"] : {};
  switch (kindKey(info)) {
    case "apps/Deployment":
    case "apps/ReplicaSet":
      out.push(...immutable("spec.selector", ns["selector"], os["selector"]));
      break;
    case "/Pod":
      out.push(...validatePodSpecUpdate(newObj["spec"], oldObj["spec"]));
      break;
    case "apps/DaemonSet":
      out.push(...validateDaemonSetUpdate(newObj, oldObj));
      break;
    case "apps/ControllerRevision":
      out.push(...validateControllerRevisionUpdate(newObj, oldObj));
      break;
    case "apps/StatefulSet":
      out.push(...validateStatefulSetUpdate(newObj, oldObj));
      break;
    case "batch/Job":
      out.push(...validateJobUpdate(ns, os));
      break;
    case "batch/CronJob": {
      // Rules that depend on the old spec (TZ in an existing schedule, an unchanged timeZone) replace the create-time ones.
      const relaxed = new Set(["spec.schedule", "spec.timeZone"]);
      const fresh = validateCronJobSpec(ns).filter((c) => relaxed.has(c.field));
      const withOld = validateCronJobSpec(ns, os).filter((c) => relaxed.has(c.field));
      for (const c of fresh) out.splice(out.findIndex((o) => o.field === c.field && o.message === c.message), 1);
      out.push(...withOld);
      break;
    }
    case "/PersistentVolume":
      out.push(...validatePersistentVolumeUpdate(newObj, oldObj));
      break;
    case "/PersistentVolumeClaim":
      out.push(...validatePersistentVolumeClaimUpdate(newObj, oldObj));
      break;
    case "storage.k8s.io/StorageClass":
      out.push(...validateStorageClassUpdate(newObj, oldObj));
      break;
    case "scheduling.k8s.io/PriorityClass":
      if (newObj["value"] !== oldObj["value"]) out.push(forbiddenCause("value", "may not be changed in an update."));
      out.push(...immutable("preemptionPolicy", newObj["preemptionPolicy"], oldObj["preemptionPolicy"]));
      break;
    case "/Service": {
      const oldIP = str(os["clusterIP"]);
      // ExternalName services have no cluster IP to keep; changing to/from it is allowed.
      if (oldIP && os["type"] !== "ExternalName" && ns["type"] !== "ExternalName") out.push(...immutable("spec.clusterIP", ns["clusterIP"], oldIP));
      break;
    }
    case "/ConfigMap":
    case "/Secret": {
      if (kindKey(info) === "/Secret") out.push(...immutable("type", newObj["type"], oldObj["type"]));
      if (oldObj["immutable"] === true) {
        const detail = "field is immutable when `immutable` is set";
        if (newObj["immutable"] !== true) out.push(forbiddenCause("immutable", detail));
        if (!deepEqual(newObj["data"], oldObj["data"])) out.push(forbiddenCause("data", detail));
        if (kindKey(info) === "/ConfigMap" && !deepEqual(newObj["binaryData"], oldObj["binaryData"])) out.push(forbiddenCause("binaryData", detail));
      }
      break;
    }
    default:
      if (info.group === RBAC_GROUP) out.push(...validateRbacUpdate(info.kind, newObj, oldObj));
      else if (info.group === "networking.k8s.io") out.push(...validateNetworkingUpdate(info.kind, newObj, oldObj));
  }
  return out;
}
