/**
 * The shape of a resource as OpenAPI and field validation need it, read from
 * the Effect Schemas in libs/api (the one source of truth): walk the Schema
 * AST once per type and keep what matters — object properties with their
 * descriptions (property-signature `description` annotations), arrays, maps,
 * scalars; a struct's own description is its `documentation` annotation.
 * Struct types exported from @kubeactor/api get their export name
 * (`DeploymentSpec`, `Container`), which is Kubernetes' Go type name.
 */
import * as api from "@kubeactor/api";
import * as AST from "effect/SchemaAST";

export type Model =
  | { readonly kind: "object"; readonly name?: string; readonly description?: string; readonly properties: ReadonlyMap<string, Property> }
  /** A map with free keys (labels, data, resources); `values` says what each value is. */
  | { readonly kind: "map"; readonly values: Model }
  | { readonly kind: "array"; readonly items: Model }
  | { readonly kind: "scalar"; readonly type: "string" | "integer" | "number" | "boolean"; readonly format?: string; readonly enum?: readonly string[] }
  | { readonly kind: "intOrString" }
  | { readonly kind: "quantity" }
  /** Anything goes (a loose sub-object kept verbatim): no unknown fields below here. */
  | { readonly kind: "any" };

export interface Property {
  readonly model: Model;
  readonly required: boolean;
  readonly description?: string;
}

/** The meta/v1 types live in apimachinery, not in an API group. */
const META_TYPES = new Set(["ObjectMeta", "OwnerReference", "ManagedFieldsEntry", "LabelSelector", "LabelSelectorRequirement", "ListMeta", "Condition"]);
/** Wire types that are not resource structs even though they are exported schemas. */
const NOT_TYPES = new Set(["TypeMeta", "Loose", "StringMap", "ResourceList"]);

/** TypeLiteral AST node → its export name, for every struct schema @kubeactor/api exports. */
const typeNames = new Map<AST.AST, string>();
for (const [name, value] of Object.entries(api)) {
  const ast = (value as { ast?: AST.AST } | null)?.ast;
  if (ast && ast._tag === "TypeLiteral" && ast.propertySignatures.length > 0 && !NOT_TYPES.has(name) && !typeNames.has(ast)) {
    typeNames.set(ast, name);
  }
}
export const isMetaType = (name: string): boolean => META_TYPES.has(name);

const titleOf = (ast: AST.AST): string | undefined => {
  const t = AST.getTitleAnnotation(ast);
  return t._tag === "Some" ? t.value : undefined;
};
const descriptionOf = (a: AST.Annotated): string | undefined => {
  const d = AST.getDescriptionAnnotation(a);
  return d._tag === "Some" ? d.value : undefined;
};

const cache = new Map<AST.AST, Model>();

export const modelOf = (ast: AST.AST): Model => {
  let m = cache.get(ast);
  if (!m) {
    m = build(ast);
    cache.set(ast, m);
  }
  return m;
};

const build = (ast: AST.AST): Model => {
  const title = titleOf(ast);
  if (title === "IntOrString") return { kind: "intOrString" };
  if (title === "Quantity") return { kind: "quantity" };
  if (title === "Time") return { kind: "scalar", type: "string", format: "date-time" };
  switch (ast._tag) {
    case "StringKeyword":
    case "TemplateLiteral":
      return { kind: "scalar", type: "string" };
    case "NumberKeyword":
      return { kind: "scalar", type: "number" };
    case "BooleanKeyword":
      return { kind: "scalar", type: "boolean" };
    case "Literal":
      return typeof ast.literal === "string"
        ? { kind: "scalar", type: "string", enum: [ast.literal] }
        : { kind: "scalar", type: typeof ast.literal === "boolean" ? "boolean" : "number" };
    case "Refinement": {
      const id = AST.getIdentifierAnnotation(ast);
      if (id._tag === "Some" && id.value === "integer") return { kind: "scalar", type: "integer", format: "int32" };
      return modelOf(ast.from);
    }
    case "Transformation":
      return modelOf(ast.to);
    case "Suspend":
      return modelOf(ast.f());
    case "TupleType": {
      const item = ast.rest[0]?.type ?? ast.elements[0]?.type;
      return { kind: "array", items: item ? modelOf(item) : { kind: "any" } };
    }
    case "Union": {
      const members = ast.types.filter((t) => t._tag !== "UndefinedKeyword");
      if (members.length === 1) return modelOf(members[0]!);
      if (members.every((t) => t._tag === "Literal" && typeof t.literal === "string")) {
        return { kind: "scalar", type: "string", enum: members.map((t) => String((t as AST.Literal).literal)) };
      }
      const tags = new Set(members.map((t) => modelOf(t)).map((mm) => (mm.kind === "scalar" ? mm.type : mm.kind)));
      // string | number is how Kubernetes' quantities and int-or-strings look on the wire.
      if (tags.has("string") && (tags.has("number") || tags.has("integer"))) return tags.has("number") ? { kind: "quantity" } : { kind: "intOrString" };
      return { kind: "any" };
    }
    case "TypeLiteral": {
      if (ast.propertySignatures.length === 0) {
        const index = ast.indexSignatures[0];
        if (!index) return { kind: "object", properties: new Map() };
        const values = modelOf(index.type);
        return { kind: "map", values };
      }
      const properties = new Map<string, Property>();
      for (const p of ast.propertySignatures) {
        const description = descriptionOf(p);
        properties.set(String(p.name), { model: modelOf(p.type), required: !p.isOptional, ...(description ? { description } : {}) });
      }
      const name = typeNames.get(ast);
      // Type descriptions are `documentation` annotations: unlike `description`, decode errors never show them.
      const doc = AST.getDocumentationAnnotation(ast);
      return { kind: "object", ...(name ? { name } : {}), ...(doc._tag === "Some" ? { description: doc.value } : {}), properties };
    }
    default:
      return { kind: "any" };
  }
};

/** The model of a registered resource's kind. */
export const resourceModel = (info: api.ResourceInfo): Model => modelOf(info.schema.ast);
