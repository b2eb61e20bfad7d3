/**
 * networking.k8s.io/v1 validation and defaulting (pkg/apis/networking):
 * Ingress rules, paths and backends, IngressClass, NetworkPolicy ports,
 * peers and policy types, with Kubernetes' field paths and messages.
 */
import type { FieldCause } from "./status.ts";
import {
  dns1123SubdomainFmt,
  forbiddenCause,
  invalidCause,
  isDNS1035Label,
  isDNS1123Subdomain,
  isValidPortName,
  isValidPortNum,
  notSupportedCause,
  PORT_RANGE,
  regexError,
  requiredCause,
} from "./validation.ts";
import { type Obj, isObj, objects, str } from "./plain.ts";

// Built on first use: validation.ts imports this module, so its constants are not ready at load time.
let wildcard: { fmt: string; re: RegExp } | undefined;
/** IsWildcardDNS1123Subdomain. */
const isWildcardDNS1123Subdomain = (v: string): string[] => {
  const fmt = `\\*\\.${dns1123SubdomainFmt}`;
  wildcard ??= { fmt, re: new RegExp(`^${fmt}$`) };
  const errs: string[] = [];
  if (v.length > 253) errs.push("must be no more than 253 characters");
  if (!wildcard.re.test(v))
    errs.push(
      regexError(
        "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character",
        wildcard.fmt,
        "*.example.com",
      ),
    );
  return errs;
};

const IPV4_RE = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const isIP = (v: string): boolean => IPV4_RE.test(v) || (v.includes(":") && /^[0-9a-fA-F:.]+$/.test(v));

const PATH_TYPES = ["Exact", "ImplementationSpecific", "Prefix"];
const INVALID_SEQUENCES = ["//", "/./", "/../", "%2f", "%2F"];
const INVALID_SUFFIXES = ["/..", "/."];

const validateBackend = (backend: Obj, p: string): FieldCause[] => {
  const service = isObj(backend["service"]) ? backend["service"] : undefined;
  const resource = isObj(backend["resource"]) ? backend["resource"] : undefined;
  if (service && resource) return [invalidCause(p, "", "cannot set both resource and service backends")];
  const out: FieldCause[] = [];
  if (resource) {
    if (!str(resource["kind"])) out.push(requiredCause(`${p}.resource.kind`));
    if (!str(resource["name"])) out.push(requiredCause(`${p}.resource.name`));
    return out;
  }
  if (!service) return [invalidCause(p, "", "resource or service backend is required")];
  const name = str(service["name"]);
  if (!name) out.push(requiredCause(`${p}.service.name`));
  else for (const m of isDNS1035Label(name)) out.push(invalidCause(`${p}.service.name`, name, m));
  const port = isObj(service["port"]) ? service["port"] : {};
  const portName = str(port["name"]);
  const portNumber = typeof port["number"] === "number" ? port["number"] : 0;
  if (portName && portNumber) out.push(invalidCause(p, "", "cannot set both port name & port number"));
  else if (portName) for (const m of isValidPortName(portName)) out.push(invalidCause(`${p}.service.port.name`, portName, m));
  else if (portNumber) {
    if (!isValidPortNum(portNumber)) out.push(invalidCause(`${p}.service.port.number`, portNumber, PORT_RANGE));
  } else out.push(requiredCause(p, "port name or number is required"));
  return out;
};

const validatePath = (path: Obj, p: string): FieldCause[] => {
  const type = path["pathType"];
  if (type === undefined || type === "") return [requiredCause(`${p}.pathType`, "pathType must be specified")];
  const out: FieldCause[] = [];
  const value = str(path["path"]);
  if (type === "Exact" || type === "Prefix") {
    if (!value.startsWith("/")) out.push(invalidCause(`${p}.path`, value, "must be an absolute path"));
    for (const seq of INVALID_SEQUENCES) if (value.includes(seq)) out.push(invalidCause(`${p}.path`, value, `must not contain '${seq}'`));
    for (const suffix of INVALID_SUFFIXES) if (value.endsWith(suffix)) out.push(invalidCause(`${p}.path`, value, `cannot end with '${suffix}'`));
  } else if (type === "ImplementationSpecific") {
    if (value && !value.startsWith("/")) out.push(invalidCause(`${p}.path`, value, "must be an absolute path"));
  } else out.push(notSupportedCause(`${p}.pathType`, type, PATH_TYPES));
  out.push(...validateBackend(isObj(path["backend"]) ? path["backend"] : {}, `${p}.backend`));
  return out;
};

const hostCauses = (host: string, p: string): FieldCause[] =>
  (host.includes("*") ? isWildcardDNS1123Subdomain(host) : isDNS1123Subdomain(host)).map((m) => invalidCause(p, host, m));

const validateIngress = (ing: Obj): FieldCause[] => {
  const out: FieldCause[] = [];
  const spec = isObj(ing["spec"]) ? ing["spec"] : {};
  const rules = objects(spec["rules"]);
  if (rules.length === 0 && !isObj(spec["defaultBackend"])) out.push(invalidCause("spec", spec["rules"] ?? null, "either `defaultBackend` or `rules` must be specified"));
  if (isObj(spec["defaultBackend"])) out.push(...validateBackend(spec["defaultBackend"], "spec.defaultBackend"));
  rules.forEach((rule, i) => {
    const p = `spec.rules[${i}]`;
    const host = str(rule["host"]);
    if (host) {
      if (isIP(host)) out.push(invalidCause(`${p}.host`, host, "must be a DNS name, not an IP address"));
      out.push(...hostCauses(host, `${p}.host`));
    }
    if (isObj(rule["http"])) {
      const paths = objects(rule["http"]["paths"]);
      if (paths.length === 0) out.push(requiredCause(`${p}.http.paths`));
      paths.forEach((path, j) => out.push(...validatePath(path, `${p}.http.paths[${j}]`)));
    }
  });
  objects(spec["tls"]).forEach((tls, i) => {
    (Array.isArray(tls["hosts"]) ? tls["hosts"] : []).forEach((h, j) => out.push(...hostCauses(str(h), `spec.tls[${i}].hosts[${j}]`)));
    const secret = str(tls["secretName"]);
    if (secret) for (const m of isDNS1123Subdomain(secret)) out.push(invalidCause(`spec.tls[${i}].secretName`, secret, m));
  });
  const className = spec["ingressClassName"];
  if (typeof className === "string") for (const m of isDNS1123Subdomain(className)) out.push(invalidCause("spec.ingressClassName", className, m));
  return out;
};

/** ValidateIngressCreate's extra rule: the legacy class annotation must agree with ingressClassName. */
const validateIngressCreate = (ing: Obj): FieldCause[] => {
  const annotations = isObj(ing["metadata"]) && isObj(ing["metadata"]["annotations"]) ? ing["metadata"]["annotations"] : {};
  const legacy = annotations["kubernetes.io/ingress.class"];
  const className = isObj(ing["spec"]) ? ing["spec"]["ingressClassName"] : undefined;
  return typeof legacy === "string" && typeof className === "string" && legacy !== className
    ? [invalidCause("annotations.kubernetes.io/ingress.class", legacy, "must match `ingressClassName` when both are specified")]
    : [];
};

const validateIngressClass = (ic: Obj): FieldCause[] => {
  const spec = isObj(ic["spec"]) ? ic["spec"] : {};
  const out: FieldCause[] = [];
  const controller = str(spec["controller"]);
  if (!controller) out.push(requiredCause("spec.controller"));
  else if (controller.length > 250) out.push({ reason: "FieldValueTooLong", field: "spec.controller", message: "Too long: may not be more than 250 bytes" });
  const params = isObj(spec["parameters"]) ? spec["parameters"] : undefined;
  if (params) {
    if (!str(params["kind"])) out.push(requiredCause("spec.parameters.kind"));
    if (!str(params["name"])) out.push(requiredCause("spec.parameters.name"));
    const scope = str(params["scope"]);
    if (!["Cluster", "Namespace"].includes(scope)) out.push(notSupportedCause("spec.parameters.scope", scope, ["Cluster", "Namespace"]));
    else if (scope === "Namespace" && !str(params["namespace"])) out.push(requiredCause("spec.parameters.namespace", "`parameters.scope` is set to 'Namespace'"));
    else if (scope === "Cluster" && params["namespace"] !== undefined) out.push(forbiddenCause("spec.parameters.namespace", "`parameters.scope` is set to 'Cluster'"));
  }
  return out;
};

/** An IPv4 or IPv6 CIDR as ParseCIDRSloppy reads it; undefined when it is not one. */
const parseCidr = (v: string): { ip: bigint; bits: number; v6: boolean } | undefined => {
  const [addr, len, extra] = v.split("/");
  if (addr === undefined || len === undefined || extra !== undefined || !/^\d+$/.test(len)) return undefined;
  const bits = Number(len);
  if (IPV4_RE.test(addr)) return bits <= 32 ? { ip: addr.split(".").reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n), bits, v6: false } : undefined;
  if (!addr.includes(":") || bits > 128) return undefined;
  const halves = addr.split("::");
  if (halves.length > 2) return undefined;
  const groups = (h: string | undefined) => (h ? h.split(":") : []);
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  const all = [...head, ...Array(Math.max(0, fill)).fill("0"), ...tail];
  if (all.length !== 8 || !all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return { ip: all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n), bits, v6: true };
};

const validatePeer = (peer: Obj, p: string): FieldCause[] => {
  const out: FieldCause[] = [];
  const kinds = ["podSelector", "namespaceSelector", "ipBlock"].filter((k) => isObj(peer[k]));
  if (kinds.length === 0) return [requiredCause(p, "must specify a peer")];
  if (kinds.length > 1 && kinds.includes("ipBlock")) out.push(forbiddenCause(p, "may not specify both ipBlock and another peer"));
  const block = isObj(peer["ipBlock"]) ? peer["ipBlock"] : undefined;
  if (block) {
    const cidr = str(block["cidr"]);
    const parsed = parseCidr(cidr);
    if (!cidr) out.push(requiredCause(`${p}.ipBlock.cidr`));
    else if (!parsed) out.push(invalidCause(`${p}.ipBlock.cidr`, cidr, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"));
    (Array.isArray(block["except"]) ? block["except"] : []).forEach((e, i) => {
      const ep = `${p}.ipBlock.except[${i}]`;
      const ex = parseCidr(str(e));
      if (!ex) return out.push(invalidCause(ep, e, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"));
      if (!parsed) return;
      const width = parsed.v6 ? 128 : 32;
      const inside = ex.v6 === parsed.v6 && ex.ip >> BigInt(width - parsed.bits) === parsed.ip >> BigInt(width - parsed.bits);
      if (!inside || parsed.bits >= ex.bits) out.push(invalidCause(ep, e, "must be a strict subset of `cidr`"));
    });
  }
  return out;
};

const validatePort = (port: Obj, p: string): FieldCause[] => {
  const out: FieldCause[] = [];
  const protocol = port["protocol"];
  if (protocol !== undefined && !["TCP", "UDP", "SCTP"].includes(str(protocol))) out.push(notSupportedCause(`${p}.protocol`, protocol, ["TCP", "UDP", "SCTP"]));
  const value = port["port"];
  const end = port["endPort"];
  if (typeof value === "number") {
    if (!isValidPortNum(value)) out.push(invalidCause(`${p}.port`, value, PORT_RANGE));
    if (typeof end === "number") {
      if (end < value) out.push(invalidCause(`${p}.endPort`, end, "must be greater than or equal to `port`"));
      if (!isValidPortNum(end)) out.push(invalidCause(`${p}.endPort`, end, PORT_RANGE));
    }
  } else if (typeof value === "string") {
    if (end !== undefined) out.push(invalidCause(`${p}.endPort`, end, "may not be specified when `port` is non-numeric"));
    for (const m of isValidPortName(value)) out.push(invalidCause(`${p}.port`, value, m));
  } else if (end !== undefined) out.push(invalidCause(`${p}.endPort`, end, "may not be specified when `port` is not specified"));
  return out;
};

const validateNetworkPolicy = (np: Obj): FieldCause[] => {
  const spec = isObj(np["spec"]) ? np["spec"] : {};
  const out: FieldCause[] = [];
  for (const [direction, peers] of [
    ["ingress", "from"],
    ["egress", "to"],
  ] as const) {
    objects(spec[direction]).forEach((rule, i) => {
      const p = `spec.${direction}[${i}]`;
      objects(rule["ports"]).forEach((port, j) => out.push(...validatePort(port, `${p}.ports[${j}]`)));
      objects(rule[peers]).forEach((peer, j) => out.push(...validatePeer(peer, `${p}.${peers}[${j}]`)));
    });
  }
  const types = Array.isArray(spec["policyTypes"]) ? spec["policyTypes"] : [];
  if (types.length > 2) out.push(invalidCause("spec.policyTypes", types, "may not specify more than two policyTypes"));
  else types.forEach((t, i) => !["Ingress", "Egress"].includes(str(t)) && out.push(notSupportedCause(`spec.policyTypes[${i}]`, t, ["Ingress", "Egress"])));
  return out;
};

/** The kind-specific checks for create and update (metadata is checked by validateObject). */
export const validateNetworkingObject = (kind: string, obj: Obj, creating: boolean): FieldCause[] => {
  switch (kind) {
    case "Ingress":
      return [...validateIngress(obj), ...(creating ? validateIngressCreate(obj) : [])];
    case "IngressClass":
      return validateIngressClass(obj);
    case "NetworkPolicy":
      return validateNetworkPolicy(obj);
    default:
      return [];
  }
};

/** validateIngressClassSpecUpdate: the controller is fixed. */
export const validateNetworkingUpdate = (kind: string, newObj: Obj, oldObj: Obj): FieldCause[] => {
  if (kind !== "IngressClass") return [];
  const n = isObj(newObj["spec"]) ? newObj["spec"]["controller"] : undefined;
  const o = isObj(oldObj["spec"]) ? oldObj["spec"]["controller"] : undefined;
  return n === o ? [] : [invalidCause("spec.controller", n ?? "", "field is immutable")];
};

/** SetDefaults_NetworkPolicy / _NetworkPolicyPort / _IngressClass (v1). */
export const defaultNetworkPolicy = (np: Obj): void => {
  const spec = isObj(np["spec"]) ? np["spec"] : (np["spec"] = {});
  for (const [direction] of [["ingress"], ["egress"]] as const)
    for (const rule of objects(spec[direction])) for (const port of objects(rule["ports"])) if (port["protocol"] === undefined) port["protocol"] = "TCP";
  if (!Array.isArray(spec["policyTypes"]) || spec["policyTypes"].length === 0) {
    // Ingress always; Egress when there are egress rules.
    spec["policyTypes"] = Array.isArray(spec["egress"]) && spec["egress"].length > 0 ? ["Ingress", "Egress"] : ["Ingress"];
  }
  if (!isObj(spec["podSelector"])) spec["podSelector"] = {};
};

export const defaultIngressClass = (ic: Obj): void => {
  const spec = isObj(ic["spec"]) ? ic["spec"] : undefined;
  const params = spec && isObj(spec["parameters"]) ? spec["parameters"] : undefined;
  if (params && params["scope"] === undefined) params["scope"] = "Cluster";
};
