/**
 * Time helpers for table cells: k8s.io/apimachinery/pkg/util/duration.HumanDuration
 * and the printers' translateTimestampSince / translateMicroTimestampSince.
 */

/**
 * duration.HumanDuration: a succinct representation of a duration with ~2-3
 * significant figures ("45s", "5m12s", "15m", "3h4m", "10h", "2d5h", "30d",
 * "3y120d", "9y"). `ms` is the duration in milliseconds; Go truncates each unit
 * toward zero, as here.
 */
export function humanDuration(ms: number): string {
  if (!Number.isFinite(ms)) return "<invalid>";
  const d = Math.trunc(ms);
  // Allow deviation no more than 2 seconds (excluded) to tolerate clock skew.
  const seconds = Math.trunc(d / 1000);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(d / 60_000);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(d / 3_600_000);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    const days = Math.trunc(hours / 24);
    return h === 0 ? `${days}d` : `${days}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.trunc(hours / 24) % 365;
    const years = Math.trunc(hours / 24 / 365);
    return dy === 0 ? `${years}y` : `${years}y${dy}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}

/** Go's zero time.Time (0001-01-01T00:00:00Z) in Unix milliseconds. */
const GO_ZERO_TIME_MS = -62_135_596_800_000;

/**
 * A metav1.Time / metav1.MicroTime as JSON (RFC3339 string) to Unix ms, or
 * undefined when it is absent, null, unparsable, or Go's zero time (IsZero()).
 */
export function parseTime(v: unknown): number | undefined {
  if (typeof v !== "string" || v === "") return undefined;
  const t = Date.parse(v);
  if (Number.isNaN(t) || t <= GO_ZERO_TIME_MS) return undefined;
  return t;
}

/** translateTimestampSince: `<unknown>` for a zero/absent timestamp, else HumanDuration(now - t). */
export function translateTimestampSince(v: unknown, now: Date): string {
  const t = parseTime(v);
  if (t === undefined) return "<unknown>";
  return humanDuration(now.getTime() - t);
}
