/**
 * `--config FILE`: a KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1,
 * YAML or JSON) decoded with effect Schema, merged with the default plugins by
 * kube-scheduler's rules and validated with its field-path messages, then
 * turned into the Profiles the scheduler runs.
 *
 * Merge (pkg/scheduler/apis/config/v1/default_plugins.go mergePluginSet and the
 * framework's MultiPoint expansion): per extension point, the user's `disabled`
 * names (or `*`) drop default plugins, a user `enabled` entry naming a default
 * plugin replaces it in place (its weight wins), other enabled entries follow.
 * Then each point gets its explicitly enabled plugins that override MultiPoint
 * ones first, then the MultiPoint plugins that extend the point and are not
 * disabled there, then the remaining explicit ones.
 */
import { readFileSync } from "node:fs";
import { Either, ParseResult, Schema } from "effect";
import { parse as parseYaml } from "yaml";
import type { FilterPlugin, ScorePlugin } from "./framework.ts";
import { DEFAULT_SCHEDULER_NAME, type Profile } from "./profile.ts";
import { balancedAllocation } from "./plugins/balanced-allocation.ts";
import { imageLocality } from "./plugins/image-locality.ts";
import { HARD_POD_AFFINITY_WEIGHT, interPodAffinityFilter, interPodAffinityScoreWith } from "./plugins/inter-pod-affinity.ts";
import { type AddedAffinity, nodeAffinityPlugins } from "./plugins/node-affinity.ts";
import { DEFAULT_PREEMPTION_ARGS, type PreemptionArgs } from "./preemption.ts";
import { nodeName } from "./plugins/node-name.ts";
import { nodePorts } from "./plugins/node-ports.ts";
import { nodeResourcesFitFilter, nodeResourcesFitScore, type ScoringStrategy } from "./plugins/node-resources-fit.ts";
import { nodeUnschedulable } from "./plugins/node-unschedulable.ts";
import { type ApiConstraint, podTopologySpreadPlugins, SYSTEM_DEFAULT_CONSTRAINTS } from "./plugins/pod-topology-spread.ts";
import { taintTolerationFilter, taintTolerationScore } from "./plugins/taint-toleration.ts";

export const SCHEDULER_CONFIG_API_VERSION = "kubescheduler.config.k8s.io/v1";

// ---- wire shape -------------------------------------------------------------

const PluginRef = Schema.Struct({ name: Schema.String, weight: Schema.optional(Schema.Number) });
const PluginSet = Schema.Struct({ enabled: Schema.optional(Schema.Array(PluginRef)), disabled: Schema.optional(Schema.Array(PluginRef)) });
const set = Schema.optional(PluginSet);
const Plugins = Schema.Struct({
  preEnqueue: set,
  queueSort: set,
  preFilter: set,
  filter: set,
  postFilter: set,
  preScore: set,
  score: set,
  reserve: set,
  permit: set,
  preBind: set,
  bind: set,
  postBind: set,
  multiPoint: set,
});
const ProfileWire = Schema.Struct({
  schedulerName: Schema.optional(Schema.String),
  percentageOfNodesToScore: Schema.optional(Schema.Number),
  plugins: Schema.optional(Plugins),
  pluginConfig: Schema.optional(Schema.Array(Schema.Struct({ name: Schema.String, args: Schema.optional(Schema.Unknown) }))),
});
const LeaderElectionWire = Schema.Struct({
  leaderElect: Schema.optional(Schema.Boolean),
  leaseDuration: Schema.optional(Schema.String),
  renewDeadline: Schema.optional(Schema.String),
  retryPeriod: Schema.optional(Schema.String),
  resourceLock: Schema.optional(Schema.String),
  resourceName: Schema.optional(Schema.String),
  resourceNamespace: Schema.optional(Schema.String),
});
const ConfigurationWire = Schema.Struct({
  apiVersion: Schema.String,
  kind: Schema.String,
  profiles: Schema.optional(Schema.Array(ProfileWire)),
  percentageOfNodesToScore: Schema.optional(Schema.Number),
  leaderElection: Schema.optional(LeaderElectionWire),
  podInitialBackoffSeconds: Schema.optional(Schema.Number),
  podMaxBackoffSeconds: Schema.optional(Schema.Number),
  // Accepted for compatibility with kube-scheduler files; kubeactor has no use for them.
  parallelism: Schema.optional(Schema.Number),
  clientConnection: Schema.optional(Schema.Unknown),
  healthzBindAddress: Schema.optional(Schema.String),
  metricsBindAddress: Schema.optional(Schema.String),
  enableProfiling: Schema.optional(Schema.Boolean),
  enableContentionProfiling: Schema.optional(Schema.Boolean),
  delayCacheUntilActive: Schema.optional(Schema.Boolean),
});
type ProfileWire = typeof ProfileWire.Type;
type PluginSetWire = typeof PluginSet.Type;
type PluginRefWire = typeof PluginRef.Type;
export type Point = keyof typeof Plugins.fields;

const Shape = Schema.Array(Schema.Struct({ utilization: Schema.Number, score: Schema.Number }));
const NodeResourcesFitArgs = Schema.Struct({
  scoringStrategy: Schema.optional(
    Schema.Struct({
      type: Schema.optional(Schema.String),
      resources: Schema.optional(Schema.Array(Schema.Struct({ name: Schema.String, weight: Schema.optional(Schema.Number) }))),
      requestedToCapacityRatio: Schema.optional(Schema.Struct({ shape: Schema.optional(Shape) })),
    }),
  ),
});
const PodTopologySpreadArgs = Schema.Struct({
  defaultingType: Schema.optional(Schema.String),
  defaultConstraints: Schema.optional(
    Schema.Array(
      Schema.Struct({
        maxSkew: Schema.Number,
        topologyKey: Schema.String,
        whenUnsatisfiable: Schema.String,
        labelSelector: Schema.optional(Schema.Unknown),
        minDomains: Schema.optional(Schema.Number),
        nodeAffinityPolicy: Schema.optional(Schema.String),
        nodeTaintsPolicy: Schema.optional(Schema.String),
        matchLabelKeys: Schema.optional(Schema.Array(Schema.String)),
      }),
    ),
  ),
});
const InterPodAffinityArgs = Schema.Struct({ hardPodAffinityWeight: Schema.optional(Schema.Number) });
const Requirement = Schema.Struct({ key: Schema.String, operator: Schema.String, values: Schema.optional(Schema.Array(Schema.String)) });
const SelectorTerm = Schema.Struct({ matchExpressions: Schema.optional(Schema.Array(Requirement)), matchFields: Schema.optional(Schema.Array(Requirement)) });
const NodeAffinityArgs = Schema.Struct({
  addedAffinity: Schema.optional(
    Schema.Struct({
      requiredDuringSchedulingIgnoredDuringExecution: Schema.optional(Schema.Struct({ nodeSelectorTerms: Schema.Array(SelectorTerm) })),
      preferredDuringSchedulingIgnoredDuringExecution: Schema.optional(Schema.Array(Schema.Struct({ weight: Schema.Number, preference: SelectorTerm }))),
    }),
  ),
});
const DefaultPreemptionArgs = Schema.Struct({
  minCandidateNodesPercentage: Schema.optional(Schema.Number),
  minCandidateNodesAbsolute: Schema.optional(Schema.Number),
});

// ---- the plugins kubeactor has, and kube's defaults ---------------------------

/** Extension points each plugin implements (kube's names). */
const EXTENDS: Record<string, readonly Point[]> = {
  PrioritySort: ["queueSort"],
  NodeUnschedulable: ["filter"],
  NodeName: ["filter"],
  TaintToleration: ["filter", "preScore", "score"],
  NodeAffinity: ["preFilter", "filter", "preScore", "score"],
  NodePorts: ["preFilter", "filter"],
  NodeResourcesFit: ["preFilter", "filter", "preScore", "score"],
  PodTopologySpread: ["preFilter", "filter", "preScore", "score"],
  InterPodAffinity: ["preFilter", "filter", "preScore", "score"],
  DefaultPreemption: ["postFilter"],
  NodeResourcesBalancedAllocation: ["preScore", "score"],
  ImageLocality: ["score"],
  DefaultBinder: ["bind"],
};
/** kube-scheduler plugins kubeactor does not have: they may be disabled, not enabled. */
const NOT_IMPLEMENTED = new Set([
  "SchedulingGates",
  "VolumeRestrictions",
  "NodeVolumeLimits",
  "VolumeBinding",
  "VolumeZone",
  "DynamicResources",
  "EBSLimits",
  "GCEPDLimits",
  "AzureDiskLimits",
  "CinderLimits",
]);

/** kube-scheduler v1's default MultiPoint set, restricted to the plugins kubeactor has. */
const DEFAULT_MULTI_POINT: readonly PluginRefWire[] = [
  { name: "PrioritySort" },
  { name: "NodeUnschedulable" },
  { name: "NodeName" },
  { name: "TaintToleration", weight: 3 },
  { name: "NodeAffinity", weight: 2 },
  { name: "NodePorts" },
  { name: "NodeResourcesFit", weight: 1 },
  { name: "PodTopologySpread", weight: 2 },
  { name: "InterPodAffinity", weight: 2 },
  { name: "DefaultPreemption" },
  { name: "NodeResourcesBalancedAllocation", weight: 1 },
  { name: "ImageLocality", weight: 1 },
  { name: "DefaultBinder" },
];

const POINTS = Object.keys(Plugins.fields) as Point[];

// ---- errors -------------------------------------------------------------------

export class ConfigError extends Error {
  constructor(readonly errors: readonly string[]) {
    super(errors.length === 1 ? errors[0]! : `[${errors.join(", ")}]`);
  }
}

/** Go's %v of a field value, as field.Error prints it. */
const show = (v: unknown) => (typeof v === "string" ? JSON.stringify(v) : typeof v === "object" ? JSON.stringify(v) : String(v));
const invalid = (path: string, value: unknown, detail: string) => `${path}: Invalid value: ${show(value)}: ${detail}`;
const unsupported = (path: string, value: unknown, allowed: readonly string[]) =>
  `${path}: Unsupported value: ${show(value)}: supported values: ${allowed.map((a) => JSON.stringify(a)).join(", ")}`;

const formatPath = (prefix: string, path: readonly PropertyKey[]) =>
  path.reduce<string>((acc, k) => (typeof k === "number" ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), prefix);

/** Decode strictly (unknown fields are errors, as kube's strict decoding) into one line per problem. */
const decode = <A, I>(schema: Schema.Schema<A, I>, value: unknown, prefix: string, errors: string[]): A | undefined => {
  const result = Schema.decodeUnknownEither(schema, { onExcessProperty: "error", errors: "all" })(value);
  if (Either.isRight(result)) return result.right;
  const seen = new Set<string>();
  for (const issue of ParseResult.ArrayFormatter.formatErrorSync(result.left)) {
    if (issue.message.startsWith("Expected undefined")) continue;
    const path = formatPath(prefix, issue.path);
    if (seen.has(path)) continue;
    seen.add(path);
    if (issue._tag === "Missing") errors.push(`${path}: Required value`);
    else if (issue._tag === "Unexpected") errors.push(`strict decoding error: unknown field "${path}"`);
    else errors.push(`${path}: Invalid value: ${issue.message}`);
  }
  return undefined;
};

// ---- merge --------------------------------------------------------------------

/** mergePluginSet: the user's set over the default one. */
export const mergePluginSet = (defaults: PluginSetWire, custom: PluginSetWire | undefined): { enabled: PluginRefWire[]; disabled: PluginRefWire[] } => {
  const disabled = [...(custom?.disabled ?? []), ...(defaults.disabled ?? [])].map((p) => ({ name: p.name }));
  const disabledNames = new Set(disabled.map((p) => p.name));
  const customEnabled = custom?.enabled ?? [];
  const replaced = new Set<number>();
  const enabled: PluginRefWire[] = [];
  if (!disabledNames.has("*")) {
    for (const d of defaults.enabled ?? []) {
      if (disabledNames.has(d.name)) continue;
      const i = customEnabled.findIndex((c) => c.name === d.name);
      if (i >= 0) replaced.add(i);
      enabled.push(i >= 0 ? customEnabled[i]! : d);
    }
  }
  customEnabled.forEach((c, i) => replaced.has(i) || enabled.push(c));
  return { enabled, disabled };
};

/** The plugins (with weights) that run at one point once MultiPoint is expanded; throws a one-line message on double registration. */
export const expandPoint = (
  point: Exclude<Point, "multiPoint">,
  merged: Record<Point, { enabled: PluginRefWire[]; disabled: PluginRefWire[] }>,
): { name: string; weight: number }[] => {
  const own = merged[point];
  const disabled = new Set(own.disabled.map((p) => p.name));
  const explicit = new Map<string, PluginRefWire>();
  for (const p of own.enabled) {
    if (explicit.has(p.name)) throw new Error(`plugin "${p.name}" already registered as "${point}"`);
    explicit.set(p.name, p);
  }
  const weightOf = (p: PluginRefWire) => (p.weight ? p.weight : 1);
  if (disabled.has("*")) return own.enabled.map((p) => ({ name: p.name, weight: weightOf(p) }));
  const overrides = new Set<string>();
  const fromMultiPoint: PluginRefWire[] = [];
  for (const p of merged.multiPoint.enabled) {
    if (!(EXTENDS[p.name] ?? []).includes(point) || disabled.has(p.name)) continue;
    if (explicit.has(p.name)) {
      overrides.add(p.name);
      continue;
    }
    if (fromMultiPoint.some((q) => q.name === p.name)) throw new Error(`plugin "${p.name}" already registered as "${point}"`);
    fromMultiPoint.push(p);
  }
  const out = [...own.enabled.filter((p) => overrides.has(p.name)), ...fromMultiPoint, ...own.enabled.filter((p) => !overrides.has(p.name))];
  return out.map((p) => ({ name: p.name, weight: weightOf(p) }));
};

// ---- validation and the Profiles ----------------------------------------------

export interface SchedulerConfiguration {
  readonly profiles: readonly Profile[];
  /** leaderElection from the file, kube's defaults filled in; undefined when leaderElect is false. */
  readonly leaderElection?: { leaseDurationMs: number; renewDeadlineMs: number; retryPeriodMs: number; namespace: string; name: string };
  /** podInitialBackoffSeconds / podMaxBackoffSeconds (kube's defaults 1 s and 10 s), for the backoff queue. */
  readonly backoff: { initialMs: number; maxMs: number };
}

/** kube-scheduler's defaults for podInitialBackoffSeconds and podMaxBackoffSeconds. */
const DEFAULT_INITIAL_BACKOFF_S = 1;
const DEFAULT_MAX_BACKOFF_S = 10;

const checkPluginNames = (path: string, plugins: ProfileWire["plugins"], errors: string[]) => {
  for (const point of POINTS) {
    const s = plugins?.[point];
    for (const list of ["enabled", "disabled"] as const) {
      (s?.[list] ?? []).forEach((p, i) => {
        const at = `${path}.plugins.${point}.${list}[${i}]`;
        if (list === "disabled" && p.name === "*") return;
        if (NOT_IMPLEMENTED.has(p.name)) {
          if (list === "enabled") errors.push(invalid(at, p.name, "plugin not implemented by kubeactor"));
          return;
        }
        if (!EXTENDS[p.name]) errors.push(invalid(at, p.name, "unknown plugin"));
        else if (list === "enabled" && point !== "multiPoint" && !EXTENDS[p.name]!.includes(point)) errors.push(invalid(at, p.name, `plugin does not extend ${point}`));
        if (list === "enabled" && p.weight !== undefined && (p.weight < 0 || p.weight > 100 || !Number.isInteger(p.weight)))
          errors.push(invalid(`${at}.weight`, p.weight, "not in valid range [0-100]"));
      });
    }
  }
};

const STRATEGIES = ["LeastAllocated", "MostAllocated", "RequestedToCapacityRatio"];

const fitStrategy = (path: string, args: unknown, errors: string[]): ScoringStrategy | undefined => {
  const a = decode(NodeResourcesFitArgs, args, path, errors);
  if (!a) return undefined;
  const s = a.scoringStrategy;
  const p = `${path}.scoringStrategy`;
  const type = s?.type ?? "LeastAllocated";
  const before = errors.length;
  if (!STRATEGIES.includes(type)) errors.push(unsupported(`${p}.type`, type, STRATEGIES));
  const resources = (s?.resources ?? [
    { name: "cpu", weight: 1 },
    { name: "memory", weight: 1 },
  ]).map((r) => ({ name: r.name, weight: r.weight ?? 1 }));
  resources.forEach((r, i) => {
    if (!r.name) errors.push(`${p}.resources[${i}].name: Required value`);
    if (r.weight < 1 || r.weight > 100) errors.push(invalid(`${p}.resources[${i}].weight`, r.weight, `resource weight of ${r.name} not in valid range [1, 100]`));
  });
  const shape = s?.requestedToCapacityRatio?.shape ?? [];
  if (type === "RequestedToCapacityRatio") {
    const sp = `${p}.requestedToCapacityRatio.shape`;
    if (shape.length === 0) errors.push(`${sp}: Required value: at least one point must be specified`);
    shape.forEach((pt, i) => {
      if (pt.utilization < 0 || pt.utilization > 100) errors.push(invalid(`${sp}[${i}].utilization`, pt.utilization, "not in valid range [0, 100]"));
      else if (i > 0 && pt.utilization <= shape[i - 1]!.utilization)
        errors.push(invalid(`${sp}[${i}].utilization`, pt.utilization, "utilization values must be sorted in increasing order"));
      if (pt.score < 0 || pt.score > 10) errors.push(invalid(`${sp}[${i}].score`, pt.score, "not in valid range [0, 10]"));
    });
  }
  if (errors.length > before) return undefined;
  if (type === "RequestedToCapacityRatio") return { type, shape, resources };
  return { type: type as "LeastAllocated" | "MostAllocated", resources };
};

const spreadDefaults = (path: string, args: unknown, errors: string[]): readonly ApiConstraint[] | undefined => {
  const a = decode(PodTopologySpreadArgs, args, path, errors);
  if (!a) return undefined;
  const type = a.defaultingType ?? "System";
  const cs = a.defaultConstraints ?? [];
  const before = errors.length;
  if (type !== "System" && type !== "List") errors.push(unsupported(`${path}.defaultingType`, type, ["System", "List"]));
  if (type === "System" && cs.length > 0) errors.push(invalid(`${path}.defaultingType`, type, 'when .defaultingType is "System", .defaultConstraints must be empty'));
  const seen = new Set<string>();
  cs.forEach((c, i) => {
    const at = `${path}.defaultConstraints[${i}]`;
    if (c.maxSkew <= 0) errors.push(invalid(`${at}.maxSkew`, c.maxSkew, "must be greater than zero"));
    if (!c.topologyKey) errors.push(`${at}.topologyKey: Required value: can not be empty`);
    if (c.whenUnsatisfiable !== "DoNotSchedule" && c.whenUnsatisfiable !== "ScheduleAnyway")
      errors.push(unsupported(`${at}.whenUnsatisfiable`, c.whenUnsatisfiable, ["DoNotSchedule", "ScheduleAnyway"]));
    if (c.labelSelector !== undefined) errors.push(`${at}.labelSelector: Forbidden: constraint must not define a selector, as they deduced for each pod`);
    const key = `{${c.topologyKey}, ${c.whenUnsatisfiable}}`;
    if (seen.has(key)) errors.push(`${at}: Duplicate value: ${JSON.stringify(key)}`);
    seen.add(key);
  });
  if (errors.length > before) return undefined;
  // labelSelector was rejected above: the selector is deduced per pod.
  return type === "System" ? SYSTEM_DEFAULT_CONSTRAINTS : cs.map(({ labelSelector: _, ...c }) => c);
};

const hardWeight = (path: string, args: unknown, errors: string[]): number | undefined => {
  const a = decode(InterPodAffinityArgs, args, path, errors);
  if (!a) return undefined;
  const w = a.hardPodAffinityWeight ?? HARD_POD_AFFINITY_WEIGHT;
  if (w < 0 || w > 100) {
    errors.push(invalid(`${path}.hardPodAffinityWeight`, w, "not in valid range [0-100]"));
    return undefined;
  }
  return w;
};

/** ValidateNodeSelectorRequirement (and the field-selector rules for matchFields). */
const checkRequirement = (path: string, r: typeof Requirement.Type, field: boolean, errors: string[]) => {
  const values = r.values ?? [];
  if (field) {
    if (r.key !== "metadata.name") errors.push(invalid(`${path}.key`, r.key, "not a valid field selector key"));
    if ((r.operator === "In" || r.operator === "NotIn") && values.length !== 1)
      errors.push(`${path}.values: Required value: must be only one value when \`operator\` is 'In' or 'NotIn' for node field selector`);
    else if (r.operator !== "In" && r.operator !== "NotIn") errors.push(invalid(`${path}.operator`, r.operator, "not a valid selector operator"));
    return;
  }
  if (!r.key) errors.push(`${path}.key: Required value`);
  switch (r.operator) {
    case "In":
    case "NotIn":
      if (values.length === 0) errors.push(`${path}.values: Required value: must be specified when \`operator\` is 'In' or 'NotIn'`);
      break;
    case "Exists":
    case "DoesNotExist":
      if (values.length > 0) errors.push(`${path}.values: Forbidden: may not be specified when \`operator\` is 'Exists' or 'DoesNotExist'`);
      break;
    case "Gt":
    case "Lt":
      if (values.length !== 1) errors.push(`${path}.values: Required value: must be specified single value when \`operator\` is 'Lt' or 'Gt'`);
      break;
    default:
      errors.push(invalid(`${path}.operator`, r.operator, "not a valid selector operator"));
  }
};

const checkTerm = (path: string, t: typeof SelectorTerm.Type, errors: string[]) => {
  (t.matchExpressions ?? []).forEach((r, i) => checkRequirement(`${path}.matchExpressions[${i}]`, r, false, errors));
  (t.matchFields ?? []).forEach((r, i) => checkRequirement(`${path}.matchFields[${i}]`, r, true, errors));
};

/** NodeAffinityArgs (ValidateNodeAffinityArgs): addedAffinity's terms as a pod's node affinity is validated. */
const addedAffinity = (path: string, args: unknown, errors: string[]): AddedAffinity | undefined => {
  const a = decode(NodeAffinityArgs, args, path, errors);
  if (!a?.addedAffinity) return undefined;
  const before = errors.length;
  const at = `${path}.addedAffinity`;
  const required = a.addedAffinity.requiredDuringSchedulingIgnoredDuringExecution;
  if (required) {
    const rp = `${at}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms`;
    if (required.nodeSelectorTerms.length === 0) errors.push(`${rp}: Required value: must have at least one node selector term`);
    required.nodeSelectorTerms.forEach((t, i) => checkTerm(`${rp}[${i}]`, t, errors));
  }
  (a.addedAffinity.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((p, i) => {
    const pp = `${at}.preferredDuringSchedulingIgnoredDuringExecution[${i}]`;
    if (p.weight < 1 || p.weight > 100 || !Number.isInteger(p.weight)) errors.push(invalid(`${pp}.weight`, p.weight, "must be in the range 1-100"));
    checkTerm(`${pp}.preference`, p.preference, errors);
  });
  return errors.length > before ? undefined : a.addedAffinity;
};

/** DefaultPreemptionArgs (ValidateDefaultPreemptionArgs). */
const preemptionArgs = (path: string, args: unknown, errors: string[]): PreemptionArgs | undefined => {
  const a = decode(DefaultPreemptionArgs, args, path, errors);
  if (!a) return undefined;
  const pct = a.minCandidateNodesPercentage ?? DEFAULT_PREEMPTION_ARGS.minCandidateNodesPercentage;
  const abs = a.minCandidateNodesAbsolute ?? DEFAULT_PREEMPTION_ARGS.minCandidateNodesAbsolute;
  const [pp, ap] = [`${path}.minCandidateNodesPercentage`, `${path}.minCandidateNodesAbsolute`];
  const before = errors.length;
  if (pct < 0 || pct > 100 || !Number.isInteger(pct)) errors.push(invalid(pp, pct, "not in valid range [0, 100]"));
  if (abs < 0 || !Number.isInteger(abs)) errors.push(invalid(ap, abs, "not in valid range [0, inf)"));
  if (pct === 0 && abs === 0)
    errors.push(invalid(pp, pct, "cannot be zero at the same time as minCandidateNodesAbsolute"), invalid(ap, abs, "cannot be zero at the same time as minCandidateNodesPercentage"));
  return errors.length > before ? undefined : { minCandidateNodesPercentage: pct, minCandidateNodesAbsolute: abs };
};

const checkPercentage = (path: string, v: number | undefined, errors: string[]) => {
  if (v !== undefined && (v < 0 || v > 100)) errors.push(invalid(path, v, "not in valid range [0-100]"));
};

const buildProfile = (path: string, wire: ProfileWire, globalPercentage: number | undefined, errors: string[]): Profile | undefined => {
  const before = errors.length;
  checkPluginNames(path, wire.plugins, errors);
  checkPercentage(`${path}.percentageOfNodesToScore`, wire.percentageOfNodesToScore, errors);
  let strategy: ScoringStrategy | undefined;
  let spread: readonly ApiConstraint[] = SYSTEM_DEFAULT_CONSTRAINTS;
  let hard = HARD_POD_AFFINITY_WEIGHT;
  let added: AddedAffinity | undefined;
  let preemption: PreemptionArgs = DEFAULT_PREEMPTION_ARGS;
  const configured = new Set<string>();
  (wire.pluginConfig ?? []).forEach((pc, i) => {
    const at = `${path}.pluginConfig[${i}]`;
    if (configured.has(pc.name)) errors.push(`${at}: Duplicate value: ${JSON.stringify(pc.name)}`);
    configured.add(pc.name);
    const args = pc.args ?? {};
    if (pc.name === "NodeResourcesFit") strategy = fitStrategy(`${at}.args`, args, errors) ?? strategy;
    else if (pc.name === "PodTopologySpread") spread = spreadDefaults(`${at}.args`, args, errors) ?? spread;
    else if (pc.name === "InterPodAffinity") hard = hardWeight(`${at}.args`, args, errors) ?? hard;
    else if (pc.name === "NodeAffinity") added = addedAffinity(`${at}.args`, args, errors) ?? added;
    else if (pc.name === "DefaultPreemption") preemption = preemptionArgs(`${at}.args`, args, errors) ?? preemption;
    else if (EXTENDS[pc.name] || NOT_IMPLEMENTED.has(pc.name)) errors.push(invalid(`${at}.name`, pc.name, "kubeactor takes no args for this plugin"));
    else errors.push(invalid(`${at}.name`, pc.name, "unknown plugin"));
  });
  if (errors.length > before) return undefined;

  const merged = Object.fromEntries(
    POINTS.map((point) => [point, mergePluginSet(point === "multiPoint" ? { enabled: [...DEFAULT_MULTI_POINT] } : {}, wire.plugins?.[point])]),
  ) as Record<Point, { enabled: PluginRefWire[]; disabled: PluginRefWire[] }>;
  let filterNames: { name: string }[];
  let scoreNames: { name: string; weight: number }[];
  let postFilter: { name: string }[];
  try {
    filterNames = expandPoint("filter", merged);
    scoreNames = expandPoint("score", merged);
    postFilter = expandPoint("postFilter", merged);
    for (const point of POINTS) if (point !== "multiPoint") expandPoint(point, merged); // double registrations anywhere
  } catch (e) {
    errors.push(`${path}.plugins: ${(e as Error).message}`);
    return undefined;
  }
  const pts = podTopologySpreadPlugins(spread);
  const na = nodeAffinityPlugins(added);
  const filters: Record<string, FilterPlugin> = {
    NodeUnschedulable: nodeUnschedulable,
    NodeName: nodeName,
    TaintToleration: taintTolerationFilter,
    NodeAffinity: na.filter,
    NodePorts: nodePorts,
    NodeResourcesFit: nodeResourcesFitFilter,
    PodTopologySpread: pts.filter,
    InterPodAffinity: interPodAffinityFilter,
  };
  const scores: Record<string, ScorePlugin> = {
    TaintToleration: taintTolerationScore,
    NodeAffinity: na.score,
    PodTopologySpread: pts.score,
    InterPodAffinity: interPodAffinityScoreWith(hard),
    NodeResourcesFit: nodeResourcesFitScore(strategy),
    NodeResourcesBalancedAllocation: balancedAllocation,
    ImageLocality: imageLocality,
  };
  const percentage = wire.percentageOfNodesToScore ?? globalPercentage;
  return {
    schedulerName: wire.schedulerName ?? DEFAULT_SCHEDULER_NAME,
    filters: filterNames.map((f) => filters[f.name]!),
    scores: scoreNames.map((s) => ({ plugin: scores[s.name]!, weight: s.weight })),
    preemption: postFilter.some((p) => p.name === "DefaultPreemption"),
    ...(preemption !== DEFAULT_PREEMPTION_ARGS ? { preemptionArgs: preemption } : {}),
    ...(percentage ? { percentageOfNodesToScore: percentage } : {}),
  };
};

const durationMs = (path: string, text: string | undefined, fallback: number, errors: string[]): number => {
  if (text === undefined) return fallback;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text);
  if (!m) {
    errors.push(invalid(path, text, "must be a duration such as 15s"));
    return fallback;
  }
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "ms"]!;
};

/** Decode, merge and validate a parsed KubeSchedulerConfiguration; throws ConfigError listing every problem. */
export const schedulerConfiguration = (json: unknown): SchedulerConfiguration => {
  const errors: string[] = [];
  const wire = decode(ConfigurationWire, json, "", errors);
  if (!wire) throw new ConfigError(errors);
  if (wire.apiVersion !== SCHEDULER_CONFIG_API_VERSION) throw new ConfigError([unsupported("apiVersion", wire.apiVersion, [SCHEDULER_CONFIG_API_VERSION])]);
  if (wire.kind !== "KubeSchedulerConfiguration") throw new ConfigError([unsupported("kind", wire.kind, ["KubeSchedulerConfiguration"])]);
  checkPercentage("percentageOfNodesToScore", wire.percentageOfNodesToScore, errors);
  const wires = wire.profiles && wire.profiles.length > 0 ? wire.profiles : [{}];
  const names = new Set<string>();
  const profiles: Profile[] = [];
  wires.forEach((p, i) => {
    const path = `profiles[${i}]`;
    if (p.schedulerName === "") errors.push(`${path}.schedulerName: Required value`);
    const name = p.schedulerName || DEFAULT_SCHEDULER_NAME;
    if (names.has(name)) errors.push(`${path}.schedulerName: Duplicate value: ${JSON.stringify(name)}`);
    names.add(name);
    const profile = buildProfile(path, p, wire.percentageOfNodesToScore, errors);
    if (profile) profiles.push(profile);
  });
  const le = wire.leaderElection;
  const leaderElection =
    le?.leaderElect === false
      ? undefined
      : {
          leaseDurationMs: durationMs("leaderElection.leaseDuration", le?.leaseDuration, 15_000, errors),
          renewDeadlineMs: durationMs("leaderElection.renewDeadline", le?.renewDeadline, 10_000, errors),
          retryPeriodMs: durationMs("leaderElection.retryPeriod", le?.retryPeriod, 2_000, errors),
          namespace: le?.resourceNamespace || "kube-system",
          name: le?.resourceName || "kube-scheduler",
        };
  if (le?.resourceLock !== undefined && le.resourceLock !== "leases") errors.push(unsupported("leaderElection.resourceLock", le.resourceLock, ["leases"]));
  // ValidateKubeSchedulerConfiguration's checks, on the defaulted values.
  const initialS = wire.podInitialBackoffSeconds ?? DEFAULT_INITIAL_BACKOFF_S;
  const maxS = wire.podMaxBackoffSeconds ?? DEFAULT_MAX_BACKOFF_S;
  if (initialS <= 0) errors.push(invalid("podInitialBackoffSeconds", initialS, "must be greater than 0"));
  if (maxS < initialS) errors.push(invalid("podMaxBackoffSeconds", maxS, "must be greater than or equal to PodInitialBackoffSeconds"));
  if (errors.length > 0) throw new ConfigError(errors);
  return { profiles, backoff: { initialMs: initialS * 1000, maxMs: maxS * 1000 }, ...(leaderElection ? { leaderElection } : {}) };
};

/** Read `--config FILE` (YAML, of which JSON is a subset). */
export const loadSchedulerConfiguration = (file: string): SchedulerConfiguration => {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new ConfigError([`failed to read ${file}: ${(e as Error).message}`]);
  }
  let json: unknown;
  try {
    json = parseYaml(text);
  } catch (e) {
    throw new ConfigError([`${file}: ${(e as Error).message.split("\n")[0]}`]);
  }
  return schedulerConfiguration(json);
};
