/**
 * A reply body that is the store's own JSON text of an object (what a create
 * answers): `sendJson` writes these bytes as they are, where decoding the
 * store's reply and encoding it again for the client cost a tenth of the API
 * server's work per create. A reader that needs the object (JSON.stringify,
 * e.g. the bus API relaying the reply) decodes it on demand.
 */
import { ENCODED } from "./watch-cache.ts";

export class StoredJson {
  constructor(private readonly bytes: Uint8Array) {}

  [ENCODED](): Buffer {
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
  }

  /** The object itself, decoded (a fresh copy each time). */
  toJSON(): Record<string, unknown> {
    return JSON.parse(Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength).toString("utf8")) as Record<string, unknown>;
  }
}
