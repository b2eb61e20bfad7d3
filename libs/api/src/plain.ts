/**
 * Reading untyped JSON objects (a request body before it is decoded): the
 * defaulting and validation code walks plain objects whose fields may be
 * missing or of the wrong type, and must never throw on them.
 */
export type Obj = Record<string, unknown>;

/** A JSON object (not null, not an array). */
export const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);

/** The object at `parent[key]`, put there first when missing or not an object (defaulting fills nested fields). */
export const objAt = (parent: Obj, key: string): Obj => {
  const v = parent[key];
  if (isObj(v)) return v;
  const fresh: Obj = {};
  parent[key] = fresh;
  return fresh;
};

/** The objects in `v` when it is an array; [] otherwise. */
export const objects = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);

/** `v` when it is a string; "" otherwise. */
export const str = (v: unknown): string => (typeof v === "string" ? v : "");
