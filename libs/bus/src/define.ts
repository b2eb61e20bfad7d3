/**
 * How a subject is declared in the catalogue: its pattern with named
 * parameters (`kube.watch.{group}.{resource}.{namespace}.{name}`), its schema,
 * and who publishes and subscribes — the catalogue is the source of
 * docs/subjects.md, so these fields are the documentation.
 */
import * as Schema from "effect/Schema";
import { Status } from "@kubeactor/api";
import { decodeToken, encodeToken } from "./subject.ts";

interface SubjectDoc {
  /** Pattern with `{param}` placeholders; each placeholder is one encoded token. */
  readonly pattern: string;
  readonly description: string;
  readonly publishers: readonly string[];
  readonly subscribers: readonly string[];
  /** A copy-paste command for the `nats` CLI, shown in docs/subjects.md. */
  readonly example?: string;
}

export interface EventSubject<A, I = A> extends SubjectDoc {
  readonly kind: "event";
  readonly schema: Schema.Schema<A, I>;
}

export interface RequestSubject<Req, Res, ReqI = Req, ResI = Res> extends SubjectDoc {
  readonly kind: "request";
  readonly request: Schema.Schema<Req, ReqI>;
  readonly response: Schema.Schema<Res, ResI>;
  /** Replies are `{ok:true,value}` or `{ok:false,status}` — errors are Kubernetes Status values. */
  readonly reply: Schema.Schema<Reply<Res>, unknown>;
}

export type Reply<Res> = { readonly ok: true; readonly value: Res } | { readonly ok: false; readonly status: Status };

export const eventSubject = <A, I>(doc: SubjectDoc & { schema: Schema.Schema<A, I> }): EventSubject<A, I> => ({ kind: "event", ...doc });

export const requestSubject = <Req, Res, ReqI, ResI>(
  doc: SubjectDoc & { request: Schema.Schema<Req, ReqI>; response: Schema.Schema<Res, ResI> },
): RequestSubject<Req, Res, ReqI, ResI> => ({
  kind: "request",
  ...doc,
  reply: Schema.Union(
    Schema.Struct({ ok: Schema.Literal(true), value: doc.response }),
    Schema.Struct({ ok: Schema.Literal(false), status: Status }),
  ) as unknown as Schema.Schema<Reply<Res>, unknown>,
});

export type SubjectParams = Readonly<Record<string, string>>;

/**
 * A concrete subject (every parameter given) or, for subscriptions, a pattern:
 * missing parameters become `*`, and trailing missing ones collapse into `>`.
 */
export const subjectFor = (def: SubjectDoc, params: SubjectParams = {}, wildcard = false): string => {
  const tokens = def.pattern.split(".").map((tok) => {
    const m = /^\{(\w+)\}$/.exec(tok);
    if (!m) return tok;
    const value = params[m[1]!];
    if (value === undefined) {
      if (!wildcard) throw new Error(`subject ${def.pattern}: missing parameter ${m[1]}`);
      return "*";
    }
    return encodeToken(value);
  });
  if (wildcard && tokens[tokens.length - 1] === "*") {
    // Trailing wildcards: one `>` says "everything below" and matches the same subjects.
    while (tokens.length > 1 && tokens[tokens.length - 1] === "*") tokens.pop();
    tokens.push(">");
  }
  return tokens.join(".");
};

/** The named parameters of a concrete subject, decoded. */
export const paramsOf = (def: SubjectDoc, subject: string): Record<string, string> => {
  const out: Record<string, string> = {};
  const pat = def.pattern.split(".");
  const tokens = subject.split(".");
  pat.forEach((tok, i) => {
    const m = /^\{(\w+)\}$/.exec(tok);
    if (m && tokens[i] !== undefined) out[m[1]!] = decodeToken(tokens[i]!);
  });
  return out;
};
