/**
 * A minimal protobuf wire-format reader: splits a message into its fields
 * (varint, 64-bit, length-delimited, 32-bit). Groups (wire types 3/4) are not
 * used by Kubernetes and are rejected.
 */

export class ProtobufDecodeError extends Error {
  readonly _tag = "ProtobufDecodeError";
  constructor(message: string) {
    super(message);
    this.name = "ProtobufDecodeError";
  }
}

export const WIRE = { VARINT: 0, I64: 1, LEN: 2, I32: 5 } as const;

/** One occurrence of a field on the wire. */
export type WireValue =
  | { readonly wire: 0; readonly value: bigint }
  | { readonly wire: 1; readonly value: Uint8Array } // 8 bytes, little endian
  | { readonly wire: 2; readonly value: Uint8Array }
  | { readonly wire: 5; readonly value: Uint8Array }; // 4 bytes, little endian

export class Reader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtobufDecodeError(`truncated varint at byte ${this.pos}`);
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return BigInt.asUintN(64, result);
      shift += 7n;
    }
    throw new ProtobufDecodeError(`varint longer than 10 bytes at byte ${this.pos}`);
  }

  bytes(n: number): Uint8Array {
    if (n < 0 || this.pos + n > this.end) {
      throw new ProtobufDecodeError(`truncated input: need ${n} bytes at byte ${this.pos}, have ${this.end - this.pos}`);
    }
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Reads one `tag value` pair. */
  field(): { no: number; value: WireValue } {
    const tag = this.varint();
    const no = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    if (no === 0 || no > 0x1fffffff) throw new ProtobufDecodeError(`invalid field number ${no} at byte ${this.pos}`);
    switch (wire) {
      case WIRE.VARINT:
        return { no, value: { wire, value: this.varint() } };
      case WIRE.I64:
        return { no, value: { wire, value: this.bytes(8) } };
      case WIRE.LEN: {
        const len = this.varint();
        if (len > BigInt(this.end - this.pos)) {
          throw new ProtobufDecodeError(`truncated input: field ${no} declares ${len} bytes at byte ${this.pos}, have ${this.end - this.pos}`);
        }
        return { no, value: { wire, value: this.bytes(Number(len)) } };
      }
      case WIRE.I32:
        return { no, value: { wire, value: this.bytes(4) } };
      default:
        throw new ProtobufDecodeError(`unsupported wire type ${wire} for field ${no} at byte ${this.pos}`);
    }
  }
}

/** Splits a message into field number → occurrences, in wire order. */
export const readFields = (buf: Uint8Array): Map<number, WireValue[]> => {
  const fields = new Map<number, WireValue[]>();
  const r = new Reader(buf);
  while (!r.done) {
    const { no, value } = r.field();
    const list = fields.get(no);
    if (list) list.push(value);
    else fields.set(no, [value]);
  }
  return fields;
};
