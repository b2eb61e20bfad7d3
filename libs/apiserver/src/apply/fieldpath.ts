/**
 * Field paths and field sets as structured-merge-diff (sigs.k8s.io/structured-merge-diff/fieldpath)
 * defines them: the values recorded in `metadata.managedFields[].fieldsV1`.
 *
 * A path element is a field name (`f:spec`), the key of an associative-list item
 * (`k:{"name":"web"}`), the value of a set item (`v:"x"`) or an index (`i:0`).
 * A set is a tree: at each level some elements are *members* (the path ends
 * there) and some have *children*; an element that is both is written with a
 * `.` entry inside its object. Serialization order and wording follow upstream
 * exactly, because users read these and tools diff them.
 */

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export type PathElement =
  | { readonly field: string }
  | { readonly key: readonly (readonly [string, Json])[] }
  | { readonly value: Json }
  | { readonly index: number };

export type Path = readonly PathElement[];

export const fieldPE = (field: string): PathElement => ({ field });

/** JSON as Go's encoder writes it for these values (no spaces; object keys in the given order). */
const goJson = (v: Json): string => JSON.stringify(v);

/** `f:spec`, `k:{"containerPort":80,"protocol":"TCP"}`, `v:"x"`, `i:0`. */
export const serializePE = (pe: PathElement): string => {
  if ("field" in pe) return `f:${pe.field}`;
  if ("key" in pe) return `k:{${pe.key.map(([n, v]) => `${JSON.stringify(n)}:${goJson(v)}`).join(",")}}`;
  if ("value" in pe) return `v:${goJson(pe.value)}`;
  return `i:${pe.index}`;
};

export class FieldPathError extends Error {}

/** Parses a serialized element; undefined for an unknown element type (upstream drops those silently). */
export const parsePE = (s: string): PathElement | undefined => {
  if (s.length < 2) throw new FieldPathError("key must be 2 characters long:");
  if (s[1] !== ":") throw new FieldPathError(`missing colon: ${s}`);
  const body = s.slice(2);
  switch (s[0]) {
    case "f":
      return { field: body };
    case "v":
      try {
        return { value: JSON.parse(body) as Json };
      } catch (e) {
        throw new FieldPathError((e as Error).message);
      }
    case "k": {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch (e) {
        throw new FieldPathError((e as Error).message);
      }
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new FieldPathError(`invalid key: ${body}`);
      return keyPE(Object.entries(parsed as Record<string, Json>));
    }
    case "i": {
      if (!/^-?\d+$/.test(body)) throw new FieldPathError(`strconv.Atoi: parsing ${JSON.stringify(body)}: invalid syntax`);
      return { index: Number(body) };
    }
    default:
      return undefined;
  }
};

/** A key element with its fields sorted by name, as upstream stores them. */
export const keyPE = (fields: readonly (readonly [string, Json])[]): PathElement => ({
  key: [...fields].sort(([a], [b]) => compareStrings(a, b)),
});

const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const typeRank = (v: Json): number => {
  if (typeof v === "number") return 0;
  if (typeof v === "string") return 1;
  if (typeof v === "boolean") return 2;
  if (Array.isArray(v)) return 3;
  if (v !== null) return 4;
  return 5;
};

/** value.Compare: numbers < strings < booleans < lists < maps < null, then by value. */
export const compareValues = (a: Json, b: Json): number => {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra - rb;
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "string" && typeof b === "string") return compareStrings(a, b);
  if (typeof a === "boolean" && typeof b === "boolean") return Number(a) - Number(b);
  return compareStrings(JSON.stringify(a), JSON.stringify(b));
};

/** PathElement.Compare: field names first, then keys, values, indices. */
const peRank = (p: PathElement) => ("field" in p ? 0 : "key" in p ? 1 : "value" in p ? 2 : 3);

export const comparePE = (a: PathElement, b: PathElement): number => {
  if ("field" in a && "field" in b) return compareStrings(a.field, b.field);
  const d = peRank(a) - peRank(b);
  if (d !== 0) return d;
  if ("field" in a && "field" in b) return compareStrings(a.field, b.field);
  if ("key" in a && "key" in b) {
    for (let i = 0; ; i++) {
      if (i >= a.key.length && i >= b.key.length) return 0;
      if (i >= a.key.length) return -1;
      if (i >= b.key.length) return 1;
      const c = compareStrings(a.key[i]![0], b.key[i]![0]) || compareValues(a.key[i]![1], b.key[i]![1]);
      if (c !== 0) return c;
    }
  }
  if ("value" in a && "value" in b) return compareValues(a.value, b.value);
  if ("index" in a && "index" in b) return a.index - b.index;
  return 0;
};

/** value.ToString: strings quoted, maps as k=v. */
const valueString = (v: Json): string => {
  if (v === null) return "null";
  if (typeof v === "string") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(valueString).join(",")}]`;
  if (typeof v === "object") return `{${Object.entries(v).map(([k, x]) => `${k}=${valueString(x)}`).join(",")}}`;
  return String(v);
};

/** `.spec.replicas`, `.spec.containers[name="web"].image`, `.metadata.finalizers[="x"]`, as in conflict messages. */
export const pathString = (path: Path): string =>
  path
    .map((pe) => {
      if ("field" in pe) return `.${pe.field}`;
      if ("key" in pe) return `[${pe.key.map(([n, v]) => `${n}=${valueString(v)}`).join(",")}]`;
      if ("value" in pe) return `[=${valueString(pe.value)}]`;
      return `[${pe.index}]`;
    })
    .join("");

/**
 * A path as a walker builds it: each step links to its parent and carries its
 * serialized element, so a walk neither copies path arrays nor serializes an
 * element more than once. `undefined` is the root.
 */
export interface PathNode {
  readonly parent: PathNode | undefined;
  readonly pe: PathElement;
  /** serializePE(pe) */
  readonly id: string;
}

interface Child {
  readonly pe: PathElement;
  readonly set: FieldSet;
}

/**
 * A set of paths (fieldpath.Set). Mutable only through `insert`; the algebra
 * returns new sets. Empty child sets are never kept, so `isEmpty` is exact.
 */
export class FieldSet {
  private readonly members = new Map<string, PathElement>();
  private readonly children = new Map<string, Child>();

  static of(...paths: Path[]): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  insert(path: Path): this {
    const last = path.length - 1;
    let set: FieldSet = this;
    for (let i = 0; i <= last; i++) {
      const pe = path[i]!;
      const id = serializePE(pe);
      if (i === last) {
        set.members.set(id, pe);
        break;
      }
      let child = set.children.get(id);
      if (!child) {
        child = { pe, set: new FieldSet() };
        set.children.set(id, child);
      }
      set = child.set;
    }
    return this;
  }

  /** Inserts the path ending at `node` (the root itself is never a member). */
  insertNode(node: PathNode | undefined): void {
    if (!node) return;
    (node.parent ? this.childSetAt(node.parent) : this).members.set(node.id, node.pe);
  }

  /** The child set at `node`, created (with its ancestors) as needed. */
  private childSetAt(node: PathNode): FieldSet {
    const parent = node.parent ? this.childSetAt(node.parent) : this;
    let child = parent.children.get(node.id);
    if (!child) {
      child = { pe: node.pe, set: new FieldSet() };
      parent.children.set(node.id, child);
    }
    return child.set;
  }

  has(path: Path): boolean {
    if (path.length === 0) return false;
    const id = serializePE(path[0]!);
    if (path.length === 1) return this.members.has(id);
    return this.children.get(id)?.set.has(path.slice(1)) ?? false;
  }

  /** The subtree under one element (empty when none). */
  withPrefix(pe: PathElement): FieldSet {
    return this.children.get(serializePE(pe))?.set ?? new FieldSet();
  }

  /** Whether some path in the set lies strictly below `path`. */
  hasDescendants(path: Path): boolean {
    let set: FieldSet | undefined = this;
    for (const pe of path) {
      set = set.children.get(serializePE(pe))?.set;
      if (!set) return false;
    }
    return !set.isEmpty();
  }

  /** Whether `pe` itself is a member at this level. */
  hasMember(pe: PathElement): boolean {
    return this.members.has(serializePE(pe));
  }

  isEmpty(): boolean {
    return this.members.size === 0 && this.children.size === 0;
  }

  // union and difference share the subtrees they do not change, as filterTop
  // does: the algebra never changes its operands, and no result is built on
  // with `insert`.
  union(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [id, pe] of this.members) out.members.set(id, pe);
    for (const [id, pe] of other.members) out.members.set(id, pe);
    for (const [id, c] of this.children) out.children.set(id, c);
    for (const [id, c] of other.children) {
      const mine = this.children.get(id);
      out.children.set(id, mine ? { pe: c.pe, set: mine.set.union(c.set) } : c);
    }
    return out;
  }

  difference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [id, pe] of this.members) if (!other.members.has(id)) out.members.set(id, pe);
    for (const [id, c] of this.children) {
      const theirs = other.children.get(id);
      if (!theirs) {
        out.children.set(id, c);
        continue;
      }
      const rest = c.set.difference(theirs.set);
      if (!rest.isEmpty()) out.children.set(id, { pe: c.pe, set: rest });
    }
    return out;
  }

  intersection(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [id, pe] of this.members) if (other.members.has(id)) out.members.set(id, pe);
    for (const [id, c] of this.children) {
      const theirs = other.children.get(id);
      if (!theirs) continue;
      const both = c.set.intersection(theirs.set);
      if (!both.isEmpty()) out.children.set(id, { pe: c.pe, set: both });
    }
    return out;
  }

  copy(): FieldSet {
    const out = new FieldSet();
    for (const [id, pe] of this.members) out.members.set(id, pe);
    for (const [id, c] of this.children) out.children.set(id, { pe: c.pe, set: c.set.copy() });
    return out;
  }

  equals(other: FieldSet): boolean {
    return JSON.stringify(this.toJSON()) === JSON.stringify(other.toJSON());
  }

  /**
   * The paths whose first element passes `keep`. The subtrees are shared, not
   * copied: the algebra never changes its operands, so only a set still being
   * built with `insert` must not be filtered.
   */
  filterTop(keep: (pe: PathElement) => boolean): FieldSet {
    const out = new FieldSet();
    for (const [id, pe] of this.members) if (keep(pe)) out.members.set(id, pe);
    for (const [id, c] of this.children) if (keep(c.pe)) out.children.set(id, c);
    return out;
  }

  /** Every path, members of a level before its children, each level in upstream order (Set.Iterate). */
  paths(prefix: Path = []): Path[] {
    const out: Path[] = [];
    for (const pe of [...this.members.values()].sort(comparePE)) out.push([...prefix, pe]);
    for (const c of [...this.children.values()].sort((a, b) => comparePE(a.pe, b.pe))) out.push(...c.set.paths([...prefix, c.pe]));
    return out;
  }

  /** The FieldsV1 object (emitContentsV1): entries merged in element order, `.` first when a child is also a member. */
  toJSON(): Record<string, unknown> {
    return this.emit(false);
  }

  private emit(includeSelf: boolean): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (includeSelf && !this.isEmpty()) out["."] = {};
    const entries: { id: string; pe: PathElement; member: boolean; child?: FieldSet }[] = [];
    for (const [id, pe] of this.members) {
      const child = this.children.get(id);
      entries.push(child ? { id, pe, member: true, child: child.set } : { id, pe, member: true });
    }
    for (const [id, c] of this.children) if (!this.members.has(id)) entries.push({ id, pe: c.pe, member: false, child: c.set });
    if (entries.length > 1) entries.sort((a, b) => comparePE(a.pe, b.pe));
    // Every serialized element starts with "f:", "k:", "v:" or "i:", so plain assignment can never hit __proto__.
    for (const e of entries) out[e.id] = e.child ? e.child.emit(e.member) : {};
    return out;
  }

  /** Parses FieldsV1 (readIterV1): `{}` is a member, `.` marks a member that also has children; unknown element types are dropped. */
  static fromJSON(fields: unknown): FieldSet {
    if (typeof fields !== "object" || fields === null || Array.isArray(fields)) throw new FieldPathError("fieldsV1 must be an object");
    return FieldSet.read(fields as Record<string, unknown>).children ?? new FieldSet();
  }

  private static read(obj: Record<string, unknown>): { children?: FieldSet; isMember: boolean } {
    let children: FieldSet | undefined;
    let isMember = false;
    for (const [key, value] of Object.entries(obj)) {
      if (key === ".") {
        isMember = true;
        continue;
      }
      const pe = parsePE(key);
      if (pe === undefined) continue;
      if (typeof value !== "object" || value === null || Array.isArray(value)) throw new FieldPathError(`expected an object at ${key}`);
      const sub = FieldSet.read(value as Record<string, unknown>);
      const id = serializePE(pe);
      if (sub.isMember) {
        children ??= new FieldSet();
        children.members.set(id, pe);
      }
      if (sub.children) {
        children ??= new FieldSet();
        children.children.set(id, { pe, set: sub.children });
      }
    }
    if (!children) isMember = true;
    return children ? { children, isMember } : { isMember };
  }
}
