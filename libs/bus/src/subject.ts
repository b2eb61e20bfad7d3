/**
 * Subject tokens built from Kubernetes names. Names may contain `.` (DNS
 * subdomains) and must never split a subject, so every character outside
 * `[A-Za-z0-9-]` is written `~xx` (lower-case hex of the UTF-8 byte); the empty
 * string (core API group, cluster-scoped namespace) is written `_`.
 * `my.config` → `my~2econfig`; `""` → `_`.
 */
const SAFE = /^[A-Za-z0-9-]$/;

const ALL_SAFE = /^[A-Za-z0-9-]+$/;

export const encodeToken = (value: string): string => {
  if (value === "") return "_";
  if (ALL_SAFE.test(value)) return value; // most names: nothing to escape
  let out = "";
  for (const ch of value) {
    if (SAFE.test(ch)) out += ch;
    else for (const byte of Buffer.from(ch, "utf8")) out += `~${byte.toString(16).padStart(2, "0")}`;
  }
  return out;
};

export const decodeToken = (token: string): string => {
  if (token === "_") return "";
  if (!token.includes("~")) return token;
  const bytes: number[] = [];
  for (let i = 0; i < token.length; i++) {
    if (token[i] === "~") {
      bytes.push(parseInt(token.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(token.charCodeAt(i));
  }
  return Buffer.from(bytes).toString("utf8");
};

/** True when a concrete subject matches a subscription pattern with NATS wildcards. */
export const subjectMatches = (pattern: string, subject: string): boolean => pattern === subject || tokensMatch(pattern.split("."), subject.split("."));

/** `subjectMatches` on subjects already split into tokens (the in-process bus splits each pattern once, each message once). */
export const tokensMatch = (p: readonly string[], s: readonly string[]): boolean => {
  for (let i = 0; i < p.length; i++) {
    const tok = p[i];
    if (tok === ">") return s.length > i;
    if (i >= s.length) return false;
    if (tok !== "*" && tok !== s[i]) return false;
  }
  return p.length === s.length;
};

const VALID_TOKEN = /^[^\s.*>]+$/;

/** Rejects subjects NATS would reject, so the in-process bus fails the same way. */
export const isValidSubject = (subject: string, allowWildcards: boolean): boolean => {
  const tokens = subject.split(".");
  return tokens.every((t, i) => {
    if (allowWildcards && t === "*") return true;
    if (allowWildcards && t === ">") return i === tokens.length - 1;
    return VALID_TOKEN.test(t);
  });
};
