/**
 * Shapes of the generated message descriptors (descriptors.generated.ts).
 *
 * A field is `[jsonName, fieldNumber, type, flags, mapValueType?]` where `type`
 * is a protobuf scalar name (`string`, `int32`, `bytes`, ...) or a message key
 * such as `core.v1.Container` / `apis.meta.v1.ObjectMeta`; for map fields
 * `type` is the key type and the fifth element the value type.
 */
export type FieldTuple =
  | readonly [json: string, no: number, type: string, flags: number]
  | readonly [json: string, no: number, type: string, flags: number, valueType: string];

export const FLAG = {
  /** `repeated` in the proto (a Go slice). */
  REPEATED: 1,
  /** `map<K, V>` in the proto (repeated entry messages {1 key, 2 value} on the wire). */
  MAP: 2,
  /** Go pointer field: set when present on the wire, even if zero. */
  POINTER: 4,
  /** `json:",omitempty"`: zero scalars, nil pointers and empty slices/maps are left out. */
  OMITEMPTY: 8,
  /** Embedded Go struct without a JSON name: its fields are merged into the parent. */
  INLINE: 16,
} as const;
