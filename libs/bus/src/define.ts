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
/** A pattern split once: each token is literal text or the name of a parameter. */
type Compiled = readonly ({ readonly text: string } | { readonly param: string })[];
const compiled = new Map<string, Compiled>();
const compile = (pattern: string): Compiled => {
  let c = compiled.get(pattern);
  if (!c) {
    c = pattern.split(".").map((tok) => {
      const m = /^\{(\w+)\}$/.exec(tok);
      return m ? { param: m[1]! } : { text: tok };
    });
    compiled.set(pattern, c);
  }
  return c;
};

export const subjectFor = (def: SubjectDoc, params: SubjectParams = {}, wildcard = false): string => {
  const pattern = compile(def.pattern);
  const tokens = pattern.map((tok) => {
    if ("text" in tok) return tok.text;
    const value = params[tok.param];
    if (value === undefined) {
      if (!wildcard) throw new Error(`subject ${def.pattern}: missing parameter ${tok.param}`);
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

export const paramsOf = (def: SubjectDoc, subject: string): Record<string, string> => {
  const out: Record<string, string> = {};
  const pattern = compile(def.pattern);
  if (pattern.every((tok) => "text" in tok)) return out;
  const tokens = subject.split(".");
  pattern.forEach((tok, i) => {
    if ("param" in tok && tokens[i] !== undefined) out[tok.param] = decodeToken(tokens[i]!);
  });
  return out;
};
