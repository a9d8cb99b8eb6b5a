import { z } from 'zod';
import { profileSchema } from './schema.ts';

/**
 * The profile schema as a flat list of fields, read from zod's JSON Schema export (public API,
 * unlike zod's internals). The reference doc, the unknown-key suggestions and the list of secret
 * fields all come from here, so none of them can drift from the schema.
 */

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  format?: string;
  not?: unknown;
  /** Our own metadata (set with `.meta()` in the schema). */
  secret?: boolean;
  typeLabel?: string;
  keyLabel?: string;
}

export interface SchemaField {
  /** Keys from the profile root; `*` stands for any key of a map (a queue name, an extension). */
  path: string[];
  schema: JsonSchema;
  /** Required in its parent (in every variant, for a key of a discriminated union). */
  required: boolean;
  /** For a key required only in some variants of a discriminated union: those variants (`type: oauth`). */
  requiredWhen?: string[];
}

export const ANY_KEY = '*';

let fields: SchemaField[] | undefined;

export function profileFields(): SchemaField[] {
  if (fields === undefined) {
    const root = z.toJSONSchema(profileSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
    fields = [];
    collect(root, [], fields);
  }
  return fields;
}

type Child = Omit<SchemaField, 'path'> & { key: string };

function collect(node: JsonSchema, path: string[], out: SchemaField[]): void {
  for (const { key, ...child } of children(node)) {
    const childPath = [...path, key];
    out.push({ path: childPath, ...child });
    collect(child.schema, childPath, out);
  }
}

function children(node: JsonSchema): Child[] {
  if (node.properties) {
    return Object.entries(node.properties).map(([key, schema]) => ({
      key,
      schema,
      required: node.required?.includes(key) ?? false,
    }));
  }
  const variants = node.oneOf ?? node.anyOf;
  if (variants) return mergeVariants(variants);
  if (typeof node.additionalProperties === 'object') {
    return [{ key: ANY_KEY, schema: node.additionalProperties, required: false }];
  }
  return [];
}

/**
 * Keys of all variants of a discriminated union, each once. The discriminator (the key that is a
 * constant in every variant) gets the list of its values; a key required in only some variants
 * says in which.
 */
function mergeVariants(variants: JsonSchema[]): Child[] {
  const discriminator = Object.keys(variants[0]?.properties ?? {}).find((key) =>
    variants.every((variant) => variant.properties?.[key] && 'const' in variant.properties[key]),
  );
  const label = (variant: JsonSchema) =>
    discriminator ? `${discriminator}: ${String(variant.properties?.[discriminator]?.const)}` : '';
  const merged = new Map<string, { schema: JsonSchema; values: unknown[]; requiredIn: string[] }>();
  for (const variant of variants) {
    for (const [key, schema] of Object.entries(variant.properties ?? {})) {
      const entry = merged.get(key) ?? { schema, values: [], requiredIn: [] };
      merged.set(key, entry);
      if ('const' in schema) entry.values.push(schema.const);
      if (variant.required?.includes(key)) entry.requiredIn.push(label(variant));
    }
  }
  return [...merged].map(([key, { schema, values, requiredIn }]) => {
    const { const: _single, ...rest } = schema;
    const required = requiredIn.length === variants.length;
    return {
      key,
      schema: values.length > 1 ? { ...rest, enum: values } : schema,
      required,
      ...(!required && requiredIn.length > 0 ? { requiredWhen: requiredIn } : {}),
    };
  });
}

function matches(pattern: readonly string[], path: readonly PropertyKey[]): boolean {
  return (
    pattern.length === path.length && pattern.every((key, i) => key === ANY_KEY || key === String(path[i]))
  );
}

/** The keys a profile may have at `path` (an object's own keys; none for a map). */
export function knownKeysAt(path: readonly PropertyKey[]): string[] {
  return profileFields()
    .filter((field) => field.path.length === path.length + 1 && matches(field.path.slice(0, -1), path))
    .map((field) => field.path.at(-1)!)
    .filter((key) => key !== ANY_KEY);
}

export function isSecretField(path: readonly PropertyKey[]): boolean {
  return profileFields().some((field) => field.schema.secret === true && matches(field.path, path));
}

/** Paths of every secret field, `*` for map keys. */
export function secretFieldPatterns(): string[][] {
  return profileFields()
    .filter((field) => field.schema.secret === true)
    .map((field) => field.path);
}
