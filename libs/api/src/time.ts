/**
 * Kubernetes' two timestamp formats on the wire: metav1.Time (RFC 3339 in
 * whole seconds, "2006-01-02T15:04:05Z") and metav1.MicroTime (microseconds,
 * "2006-01-02T15:04:05.000000Z"), always UTC.
 */

/** metav1.Time: `at` (ms since the epoch or a Date; default now) truncated to the second. */
export const rfc3339 = (at: number | Date = Date.now()): string => new Date(at).toISOString().replace(/\.\d{3}Z$/, "Z");

/** metav1.MicroTime: JavaScript has milliseconds, so the last three digits are zero. */
export const microTime = (at: number | Date = Date.now()): string => new Date(at).toISOString().replace(/Z$/, "000Z");
