/**
 * A container's environment, as the kubelet's makeEnvironmentVariables builds
 * it: service links first (Docker-style variables for every Service of the
 * pod's namespace when enableServiceLinks, and always for `kubernetes` in
 * default), then envFrom (with prefix), then env (value with `$(VAR)`
 * expansion, fieldRef, resourceFieldRef, configMapKeyRef, secretKeyRef);
 * later entries win. Missing non-optional refs are CreateContainerConfigError.
 */
import { parseQuantity } from "@kubeactor/api";
import { ContainerConfigError, type Obj, type ObjectLookup } from "./lookup.ts";

export interface EnvVarSpec {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: {
    readonly fieldRef?: { readonly fieldPath: string; readonly apiVersion?: string };
    readonly resourceFieldRef?: { readonly resource: string; readonly containerName?: string; readonly divisor?: string | number };
    readonly configMapKeyRef?: { readonly name?: string; readonly key: string; readonly optional?: boolean };
    readonly secretKeyRef?: { readonly name?: string; readonly key: string; readonly optional?: boolean };
  };
}
export interface EnvFromSpec {
  readonly prefix?: string;
  readonly configMapRef?: { readonly name?: string; readonly optional?: boolean };
  readonly secretRef?: { readonly name?: string; readonly optional?: boolean };
}
export interface EnvContainer {
  readonly name: string;
  readonly env?: readonly EnvVarSpec[];
  readonly envFrom?: readonly EnvFromSpec[];
  readonly resources?: { readonly limits?: Record<string, string | number>; readonly requests?: Record<string, string | number> };
}

export interface EnvContext {
  readonly pod: Obj;
  readonly podIP?: string;
  readonly hostIP?: string;
  readonly nodeName?: string;
  /** Node allocatable, the default for limits.* when a container sets none. */
  readonly nodeAllocatable?: { readonly cpu?: string; readonly memory?: string };
}

/** `my-svc` → `MY_SVC`; a leading digit gets `_`. */
export const envVarName = (s: string): string => {
  const n = s.replace(/[.-]/g, "_").toUpperCase();
  return /^[0-9]/.test(n) ? `_${n}` : n;
};

/** Kubernetes' service environment variables (envvars.FromServices). */
export const serviceEnv = (services: readonly Obj[]): { name: string; value: string }[] => {
  const out: { name: string; value: string }[] = [];
  for (const svc of services) {
    const spec = (svc.spec ?? {}) as { clusterIP?: string; ports?: { name?: string; port: number; protocol?: string }[] };
    const ip = spec.clusterIP;
    if (!ip || ip === "None" || !spec.ports?.length) continue;
    const prefix = envVarName(((svc.metadata ?? {}) as { name?: string }).name ?? "");
    out.push({ name: `${prefix}_SERVICE_HOST`, value: ip });
    out.push({ name: `${prefix}_SERVICE_PORT`, value: String(spec.ports[0]!.port) });
    for (const p of spec.ports) if (p.name) out.push({ name: `${prefix}_SERVICE_PORT_${envVarName(p.name)}`, value: String(p.port) });
    spec.ports.forEach((p, i) => {
      const proto = (p.protocol ?? "TCP").toLowerCase();
      const url = `${proto}://${ip}:${p.port}`;
      if (i === 0) out.push({ name: `${prefix}_PORT`, value: url });
      const pp = `${prefix}_PORT_${p.port}_${proto.toUpperCase()}`;
      out.push({ name: pp, value: url }, { name: `${pp}_PROTO`, value: proto }, { name: `${pp}_PORT`, value: String(p.port) }, { name: `${pp}_ADDR`, value: ip });
    });
  }
  return out;
};

/** `$(VAR)` → its value when defined, `$$` → `$` (Kubernetes' expansion; unknown references stay as written). */
export const expand = (s: string, vars: ReadonlyMap<string, string>): string =>
  s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) => (m === "$$" ? "$" : vars.has(name!) ? vars.get(name!)! : m));

const meta = (pod: Obj) => (pod.metadata ?? {}) as { name?: string; namespace?: string; uid?: string; labels?: Record<string, string>; annotations?: Record<string, string> };

/** A fieldRef's value (the paths the downward API allows for env). */
export const fieldRefValue = (path: string, ctx: EnvContext): string => {
  const m = meta(ctx.pod);
  const spec = (ctx.pod.spec ?? {}) as { nodeName?: string; serviceAccountName?: string };
  const sub = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (sub) return (sub[1] === "labels" ? m.labels : m.annotations)?.[sub[2]!] ?? "";
  switch (path) {
    case "metadata.name":
      return m.name ?? "";
    case "metadata.namespace":
      return m.namespace ?? "";
    case "metadata.uid":
      return m.uid ?? "";
    case "metadata.labels":
      return Object.entries(m.labels ?? {}).map(([k, v]) => `${k}="${v}"`).sort().join("\n");
    case "metadata.annotations":
      return Object.entries(m.annotations ?? {}).map(([k, v]) => `${k}="${v}"`).sort().join("\n");
    case "spec.nodeName":
      return spec.nodeName ?? ctx.nodeName ?? "";
    case "spec.serviceAccountName":
      return spec.serviceAccountName ?? "";
    case "status.hostIP":
    case "status.hostIPs":
      return ctx.hostIP ?? "";
    case "status.podIP":
    case "status.podIPs":
      return ctx.podIP ?? "";
    default:
      throw new ContainerConfigError(`unsupported fieldRef fieldPath: ${path}`);
  }
};

/** resourceFieldRef: limits/requests of cpu, memory, ephemeral-storage over a divisor, rounded up as the kubelet does. */
export const resourceFieldValue = (ref: NonNullable<EnvVarSpec["valueFrom"]>["resourceFieldRef"] & {}, container: EnvContainer, ctx: EnvContext): string => {
  const [kind, res] = ref.resource.split(".") as [string, string];
  let q: string | number | undefined = (kind === "limits" ? container.resources?.limits : container.resources?.requests)?.[res];
  if (q === undefined && kind === "limits") q = res === "cpu" ? ctx.nodeAllocatable?.cpu : res === "memory" ? ctx.nodeAllocatable?.memory : undefined;
  if (q === undefined) q = 0;
  const value = quantityNumber(q);
  const divisor = ref.divisor !== undefined ? quantityNumber(ref.divisor) : 1;
  if (divisor <= 0) throw new ContainerConfigError(`resourceFieldRef: invalid divisor ${ref.divisor}`);
  return String(Math.ceil(value / divisor - 1e-9));
};

const quantityNumber = (q: string | number): number => {
  try {
    return Number(parseQuantity(q).nanos) / 1e9;
  } catch {
    throw new ContainerConfigError(`invalid quantity ${JSON.stringify(q)}`);
  }
};

const dataOf = (o: Obj, secret: boolean): Map<string, string> => {
  const m = new Map<string, string>();
  for (const [k, v] of Object.entries((o.data ?? {}) as Record<string, string>)) m.set(k, secret ? Buffer.from(v, "base64").toString("utf8") : v);
  if (secret) for (const [k, v] of Object.entries((o.stringData ?? {}) as Record<string, string>)) m.set(k, v);
  return m;
};

/** The container's environment in order (duplicates resolved: the last definition wins, keeping the first position). */
export const containerEnv = async (container: EnvContainer, ctx: EnvContext, lookup: ObjectLookup): Promise<{ name: string; value: string }[]> => {
  const ns = meta(ctx.pod).namespace ?? "default";
  const spec = (ctx.pod.spec ?? {}) as { enableServiceLinks?: boolean };
  const vars = new Map<string, string>();
  const set = (name: string, value: string) => vars.set(name, value);

  // Service links: the namespace's Services (enableServiceLinks defaults to true), and always the master service.
  const services = (spec.enableServiceLinks ?? true) ? await lookup.services(ns) : [];
  const master = ns === "default" ? [] : (await lookup.services("default")).filter((s) => meta(s).name === "kubernetes");
  const linked = [...services, ...master.filter((m) => !services.some((s) => meta(s).name === meta(m).name))];
  const svcVars = serviceEnv(linked);

  const cache = new Map<string, Obj | undefined>();
  const fetch = async (secret: boolean, name: string) => {
    const key = `${secret}/${name}`;
    if (!cache.has(key)) cache.set(key, await (secret ? lookup.secret(ns, name) : lookup.configMap(ns, name)));
    return cache.get(key);
  };

  for (const from of container.envFrom ?? []) {
    const secret = !!from.secretRef;
    const ref = from.secretRef ?? from.configMapRef;
    if (!ref) continue;
    const obj = await fetch(secret, ref.name ?? "");
    if (!obj) {
      if (ref.optional) continue;
      throw new ContainerConfigError(`${secret ? "secret" : "configmap"} "${ref.name ?? ""}" not found`);
    }
    for (const [k, v] of dataOf(obj, secret)) set(`${from.prefix ?? ""}${k}`, v);
  }

  // $(VAR) in values sees service vars, envFrom and earlier env entries.
  const visible = () => new Map([...svcVars.map((e) => [e.name, e.value] as const), ...vars]);
  for (const e of container.env ?? []) {
    const vf = e.valueFrom;
    if (!vf) {
      set(e.name, expand(e.value ?? "", visible()));
      continue;
    }
    if (vf.fieldRef) set(e.name, fieldRefValue(vf.fieldRef.fieldPath, ctx));
    else if (vf.resourceFieldRef) set(e.name, resourceFieldValue(vf.resourceFieldRef, container, ctx));
    else if (vf.configMapKeyRef || vf.secretKeyRef) {
      const secret = !!vf.secretKeyRef;
      const ref = (vf.secretKeyRef ?? vf.configMapKeyRef)!;
      const obj = await fetch(secret, ref.name ?? "");
      if (!obj) {
        if (ref.optional) continue;
        throw new ContainerConfigError(`${secret ? "secret" : "configmap"} "${ref.name ?? ""}" not found`);
      }
      const value = dataOf(obj, secret).get(ref.key);
      if (value === undefined) {
        if (ref.optional) continue;
        throw new ContainerConfigError(`couldn't find key ${ref.key} in ${secret ? "Secret" : "ConfigMap"} ${ns}/${ref.name ?? ""}`);
      }
      set(e.name, value);
    }
  }
  const out = new Map<string, string>(svcVars.map((e) => [e.name, e.value]));
  for (const [k, v] of vars) out.set(k, v);
  return [...out].map(([name, value]) => ({ name, value }));
};
