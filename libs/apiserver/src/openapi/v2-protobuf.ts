/**
 * The OpenAPI v2 document in gnostic's protobuf encoding
 * (`application/com.github.proto-openapi.spec.v2@v1.0+protobuf`), which is
 * the only form kubectl ≤ 1.28 accepts for `kubectl explain`. Only what
 * kubectl's proto models read is encoded: swagger, info and the definitions
 * (type, format, description, required, enum, properties, items,
 * additionalProperties, $ref, allOf and vendor extensions as YAML).
 * Field numbers are those of gnostic's openapiv2/OpenAPIv2.proto.
 */
import { stringify as toYaml } from "yaml";

type Json = Record<string, unknown>;

/** A tiny protobuf writer: length-delimited fields and strings are all we need. */
class Writer {
  private readonly parts: Uint8Array[] = [];
  private varint(n: number): void {
    const bytes: number[] = [];
    while (n > 0x7f) {
      bytes.push((n & 0x7f) | 0x80);
      n = Math.floor(n / 128);
    }
    bytes.push(n);
    this.parts.push(Uint8Array.from(bytes));
  }
  bytes(field: number, data: Uint8Array): this {
    this.varint((field << 3) | 2);
    this.varint(data.length);
    this.parts.push(data);
    return this;
  }
  string(field: number, s: string | undefined): this {
    if (s === undefined || s === "") return this;
    return this.bytes(field, Buffer.from(s, "utf8"));
  }
  message(field: number, w: Writer | undefined): this {
    return w ? this.bytes(field, w.finish()) : this;
  }
  finish(): Uint8Array {
    return Buffer.concat(this.parts);
  }
}

/** gnostic Any: the value as YAML text (field 2). */
const any = (value: unknown) => new Writer().string(2, toYaml(value));

const schema = (s: Json): Writer => {
  const w = new Writer();
  w.string(1, s.$ref as string | undefined);
  w.string(2, s.format as string | undefined);
  w.string(4, s.description as string | undefined);
  for (const r of (s.required as string[] | undefined) ?? []) w.string(19, r);
  for (const e of (s.enum as unknown[] | undefined) ?? []) w.message(20, any(e));
  if (s.additionalProperties && typeof s.additionalProperties === "object") {
    w.message(21, new Writer().message(1, schema(s.additionalProperties as Json)));
  }
  if (typeof s.type === "string") w.message(22, new Writer().string(1, s.type));
  if (s.items) w.message(23, new Writer().message(1, schema(s.items as Json)));
  for (const a of (s.allOf as Json[] | undefined) ?? []) w.message(24, schema(a));
  if (s.properties) {
    const props = new Writer();
    for (const [name, p] of Object.entries(s.properties as Record<string, Json>)) props.message(1, new Writer().string(1, name).message(2, schema(p)));
    w.message(25, props);
  }
  for (const [name, value] of Object.entries(s)) {
    if (name.startsWith("x-")) w.message(31, new Writer().string(1, name).message(2, any(value)));
  }
  return w;
};

/** Encodes a swagger 2.0 JSON document (as built in index.ts). */
export const encodeOpenApiV2 = (doc: { swagger: string; info: { title: string; version: string }; definitions: Record<string, Json> }): Uint8Array => {
  const definitions = new Writer();
  for (const [name, s] of Object.entries(doc.definitions)) definitions.message(1, new Writer().string(1, name).message(2, schema(s)));
  return new Writer()
    .string(1, doc.swagger)
    .message(2, new Writer().string(1, doc.info.title).string(2, doc.info.version))
    .message(8, new Writer())
    .message(9, definitions)
    .finish();
};
