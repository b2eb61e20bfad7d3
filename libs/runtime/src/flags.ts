/**
 * Command-line flags shared by every kubeactor process. A flag `--data-dir`
 * may also come from the environment as `KUBEACTOR_DATA_DIR`; the command line
 * wins. Unknown flags and bad values are one-line errors, never a stack trace.
 */
export interface FlagSpec {
  readonly type: "string" | "int" | "bool";
  readonly default?: string | number | boolean;
  readonly help: string;
}

export type FlagValues<S extends Record<string, FlagSpec>> = {
  [K in keyof S]: S[K]["type"] extends "int" ? number : S[K]["type"] extends "bool" ? boolean : string | undefined;
};

export class FlagError extends Error {
  readonly _tag = "FlagError";
}

/** Runs a flag-value check (e.g. a controller's options from its flags): whatever it throws becomes a FlagError (a one-line error, exit 2). */
export const asFlagError = <T>(f: () => T): T => {
  try {
    return f();
  } catch (e) {
    throw new FlagError((e as Error).message);
  }
};

const envName = (flag: string) => `KUBEACTOR_${flag.replace(/-/g, "_").toUpperCase()}`;

const convert = (flag: string, spec: FlagSpec, raw: string): string | number | boolean => {
  if (spec.type === "int") {
    if (!/^\d+$/.test(raw)) throw new FlagError(`invalid value "${raw}" for flag --${flag}: must be a non-negative integer`);
    return Number(raw);
  }
  if (spec.type === "bool") {
    if (["true", "1", ""].includes(raw)) return true;
    if (["false", "0"].includes(raw)) return false;
    throw new FlagError(`invalid value "${raw}" for flag --${flag}: must be true or false`);
  }
  return raw;
};

export const parseFlags = <S extends Record<string, FlagSpec>>(
  specs: S,
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): { values: FlagValues<S>; positional: string[] } => {
  const values: Record<string, unknown> = {};
  for (const [flag, spec] of Object.entries(specs)) {
    const fromEnv = env[envName(flag)];
    values[flag] = fromEnv !== undefined ? convert(flag, spec, fromEnv) : spec.default;
  }
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const flag = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const spec = specs[flag];
    if (!spec) throw new FlagError(`unknown flag: --${flag}`);
    let raw: string;
    if (eq !== -1) raw = arg.slice(eq + 1);
    else if (spec.type === "bool") raw = "true";
    else {
      const next = argv[i + 1];
      if (next === undefined) throw new FlagError(`flag needs an argument: --${flag}`);
      raw = next;
      i++;
    }
    values[flag] = convert(flag, spec, raw);
  }
  return { values: values as FlagValues<S>, positional };
};

export const flagHelp = (specs: Record<string, FlagSpec>): string =>
  Object.entries(specs)
    .map(([flag, s]) => `  --${flag.padEnd(12)} ${s.help}${s.default !== undefined ? ` (default ${JSON.stringify(s.default)})` : ""}`)
    .join("\n");
