/**
 * Cron schedules as Kubernetes reads them: robfig/cron v3's ParseStandard
 * (five fields `minute hour day-of-month month day-of-week`, `*` or `?`,
 * ranges `a-b`, steps `/n`, lists `a,b`, month and weekday names, the
 * descriptors `@yearly`/`@annually`, `@monthly`, `@weekly`, `@daily`/
 * `@midnight`, `@hourly` and `@every <duration>`), with its error messages,
 * and `next(t)` in an IANA time zone. Validation and the cronjob controller
 * both use it.
 */

export interface CronSchedule {
  /** The first activation strictly after `after` (robfig's Next); undefined when the schedule can never fire. */
  next(after: Date): Date | undefined;
}

interface Bounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const STAR = 2n ** 63n;
const MINUTES: Bounds = { min: 0, max: 59 };
const HOURS: Bounds = { min: 0, max: 23 };
const DOM: Bounds = { min: 1, max: 31 };
const MONTHS: Bounds = { min: 1, max: 12, names: { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 } };
const DOW: Bounds = { min: 0, max: 6, names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } };

export class CronParseError extends Error {}

/** strconv.Atoi as robfig calls it, with Go's error text. */
const mustParseInt = (expr: string): number => {
  if (!/^[+-]?\d+$/.test(expr)) throw new CronParseError(`failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: invalid syntax`);
  const n = Number(expr);
  if (n < 0) throw new CronParseError(`negative number (${n}) not allowed: ${expr}`);
  return n;
};

const parseIntOrName = (expr: string, names?: Record<string, number>): number => names?.[expr.toLowerCase()] ?? mustParseInt(expr);

const bits = (min: number, max: number, step: number): bigint => {
  let b = 0n;
  for (let i = min; i <= max; i += step) b |= 1n << BigInt(i);
  return b;
};

const getRange = (expr: string, r: Bounds): bigint => {
  const rangeAndStep = expr.split("/");
  const lowAndHigh = rangeAndStep[0]!.split("-");
  const singleDigit = lowAndHigh.length === 1;
  let start: number, end: number;
  let extra = 0n;
  if (lowAndHigh[0] === "*" || lowAndHigh[0] === "?") {
    start = r.min;
    end = r.max;
    extra = STAR;
  } else {
    start = parseIntOrName(lowAndHigh[0]!, r.names);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = parseIntOrName(lowAndHigh[1]!, r.names);
    else throw new CronParseError(`too many hyphens: ${expr}`);
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    step = mustParseInt(rangeAndStep[1]!);
    // "N/step" means "N-max/step".
    if (singleDigit) end = r.max;
    if (step > 1) extra = 0n;
  } else if (rangeAndStep.length > 2) throw new CronParseError(`too many slashes: ${expr}`);
  if (start < r.min) throw new CronParseError(`beginning of range (${start}) below minimum (${r.min}): ${expr}`);
  if (end > r.max) throw new CronParseError(`end of range (${end}) above maximum (${r.max}): ${expr}`);
  if (start > end) throw new CronParseError(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new CronParseError(`step of range should be a positive number: ${expr}`);
  return bits(start, end, step) | extra;
};

const getField = (field: string, r: Bounds): bigint => field.split(",").reduce((acc, expr) => acc | getRange(expr, r), 0n);

/** Go's time.ParseDuration for the forms people write ("90s", "1h30m", "1.5h", "500ms"). */
const parseGoDuration = (s: string): number => {
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const m = /^([+-]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$/.exec(s);
  if (!m || s === "") throw new Error(`time: invalid duration ${JSON.stringify(s)}`);
  let total = 0;
  for (const part of s.replace(/^[+-]/, "").matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)) total += Number(part[1]) * units[part[2]!]!;
  return m[1] === "-" ? -total : total;
};

// ---- time zones: wall-clock fields of an instant, and back ----

const formatters = new Map<string, Intl.DateTimeFormat>();
/** Throws RangeError for a zone Intl does not know. */
const formatter = (zone: string): Intl.DateTimeFormat => {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric" });
    formatters.set(zone, f);
  }
  return f;
};

/** True when `zone` is an IANA zone name this runtime knows (time.LoadLocation succeeding). */
export const isKnownTimeZone = (zone: string): boolean => {
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
};

/** The zone's offset from UTC at `ms`, in ms. */
const offsetAt = (zone: string, ms: number): number => {
  if (zone === "UTC" || zone === "Etc/UTC") return 0;
  const p = Object.fromEntries(formatter(zone).formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  const wall = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
  return wall - Math.floor(ms / 1000) * 1000;
};

/** The instant at which the zone's clock shows `wall` (a UTC-fields Date); in a DST gap, the later side. */
const wallToInstant = (zone: string, wall: number): number => {
  let t = wall - offsetAt(zone, wall);
  t = wall - offsetAt(zone, t);
  return t;
};

class SpecSchedule implements CronSchedule {
  constructor(
    private readonly minute: bigint,
    private readonly hour: bigint,
    private readonly dom: bigint,
    private readonly month: bigint,
    private readonly dow: bigint,
    private readonly zone: string,
  ) {}

  private has(set: bigint, v: number) {
    return (set & (1n << BigInt(v))) !== 0n;
  }

  /** dayMatches: when either day field is `*`, both must match; otherwise either. */
  private dayMatches(d: Date): boolean {
    const domMatch = this.has(this.dom, d.getUTCDate());
    const dowMatch = this.has(this.dow, d.getUTCDay());
    return (this.dom & STAR) !== 0n || (this.dow & STAR) !== 0n ? domMatch && dowMatch : domMatch || dowMatch;
  }

  next(after: Date): Date | undefined {
    // Search on the zone's wall clock (UTC fields of `w`), from the next whole minute.
    const startWall = after.getTime() + offsetAt(this.zone, after.getTime());
    const w = new Date(Math.floor(startWall / 60_000) * 60_000 + 60_000);
    const yearLimit = w.getUTCFullYear() + 5;
    for (;;) {
      if (w.getUTCFullYear() > yearLimit) return undefined;
      if (!this.has(this.month, w.getUTCMonth() + 1)) {
        w.setUTCMonth(w.getUTCMonth() + 1, 1);
        w.setUTCHours(0, 0, 0, 0);
        continue;
      }
      if (!this.dayMatches(w)) {
        w.setUTCDate(w.getUTCDate() + 1);
        w.setUTCHours(0, 0, 0, 0);
        continue;
      }
      if (!this.has(this.hour, w.getUTCHours())) {
        w.setUTCHours(w.getUTCHours() + 1, 0, 0, 0);
        continue;
      }
      if (!this.has(this.minute, w.getUTCMinutes())) {
        w.setUTCMinutes(w.getUTCMinutes() + 1, 0, 0);
        continue;
      }
      const t = wallToInstant(this.zone, w.getTime());
      if (t > after.getTime()) return new Date(t);
      w.setUTCMinutes(w.getUTCMinutes() + 1, 0, 0);
    }
  }
}

/** robfig's ConstantDelaySchedule: every `delay` (whole seconds, at least 1 s), aligned to the second. */
class EverySchedule implements CronSchedule {
  constructor(private readonly delayMs: number) {}
  next(after: Date): Date {
    return new Date(after.getTime() + this.delayMs - (after.getTime() % 1000));
  }
}

const DESCRIPTORS: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

/**
 * cron.ParseStandard in `zone` (default UTC). Throws CronParseError with
 * robfig's message ("expected exactly 5 fields, found 1: [x]", ...).
 */
export function parseCronSchedule(spec: string, zone = "UTC"): CronSchedule {
  if (spec.length === 0) throw new CronParseError("empty spec string");
  if (spec.startsWith("TZ=") || spec.startsWith("CRON_TZ=")) {
    const space = spec.indexOf(" ");
    const name = spec.slice(spec.indexOf("=") + 1, space < 0 ? undefined : space);
    if (!isKnownTimeZone(name)) throw new CronParseError(`provided bad location ${name}: unknown time zone ${name}`);
    return parseCronSchedule(space < 0 ? "" : spec.slice(space).trim(), name);
  }
  if (spec.startsWith("@")) {
    const fixed = DESCRIPTORS[spec];
    if (fixed) return parseCronSchedule(fixed, zone);
    if (spec.startsWith("@every ")) {
      let ms: number;
      try {
        ms = parseGoDuration(spec.slice("@every ".length));
      } catch (e) {
        throw new CronParseError(`failed to parse duration ${spec}: ${(e as Error).message}`);
      }
      return new EverySchedule(ms < 1000 ? 1000 : ms - (ms % 1000));
    }
    throw new CronParseError(`unrecognized descriptor: ${spec}`);
  }
  const fields = spec.split(/\s+/).filter((f) => f !== "");
  if (fields.length !== 5) throw new CronParseError(`expected exactly 5 fields, found ${fields.length}: [${fields.join(" ")}]`);
  return new SpecSchedule(
    getField(fields[0]!, MINUTES),
    getField(fields[1]!, HOURS),
    getField(fields[2]!, DOM),
    getField(fields[3]!, MONTHS),
    getField(fields[4]!, DOW),
    zone,
  );
}

/** The robfig parse error for `spec`, or undefined when it parses. */
export const cronParseError = (spec: string): string | undefined => {
  try {
    parseCronSchedule(spec);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
};
