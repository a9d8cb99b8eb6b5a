import { ANY_KEY, type JsonSchema, profileFields, type SchemaField } from './schema-walk.ts';

/**
 * The configuration reference as Markdown, generated from the schema's descriptions and
 * metadata: one table per top-level section (key, type, default, description).
 */
export function renderReferenceTables(): string {
  const fields = profileFields();
  const topLevel = fields.filter((field) => field.path.length === 1);
  const scalars = topLevel.filter((field) => !isContainer(field.schema));
  const sections = topLevel.filter((field) => isContainer(field.schema));
  const blocks: string[] = [];
  if (scalars.length > 0) blocks.push(section('Top level', undefined, scalars, fields));
  for (const field of sections) {
    const rows = fields.filter((other) => other.path.length > 1 && other.path[0] === field.path[0]);
    const optional = !field.required && field.schema.default === undefined ? ' Optional section.' : '';
    blocks.push(
      section(`\`${field.path[0]}\``, `${field.schema.description ?? ''}${optional}`.trim(), rows, fields),
    );
  }
  return `${blocks.join('\n\n')}\n`;
}

function section(title: string, intro: string | undefined, rows: SchemaField[], all: SchemaField[]): string {
  const lines = [`### ${title}`, ''];
  if (intro) lines.push(intro, '');
  // refused keys (`zendesk.auth.password`) after the ones to use
  const ordered = [
    ...rows.filter((field) => field.schema.not === undefined),
    ...rows.filter((field) => field.schema.not !== undefined),
  ];
  const body = ordered.map((field) =>
    [
      `\`${displayPath(field.path, all)}\``,
      typeText(field.schema),
      defaultText(field),
      field.schema.description ?? '',
    ].map(cell),
  );
  lines.push(...table(['Key', 'Type', 'Default', 'Description'], body));
  return lines.join('\n');
}

/** A Markdown table with padded columns, as Biome formats it (the repo's lint checks Markdown too). */
function table(head: string[], body: string[][]): string[] {
  const width = (text: string) => [...text].length;
  const widths = head.map((title, i) => Math.max(3, width(title), ...body.map((row) => width(row[i] ?? ''))));
  const line = (cells: string[]) =>
    `| ${cells.map((text, i) => text + ' '.repeat(widths[i]! - width(text))).join(' | ')} |`;
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)];
}

function isContainer(schema: JsonSchema): boolean {
  return schema.type === 'object' || schema.oneOf !== undefined || schema.anyOf !== undefined;
}

/** `queues.<queue>.record`: a map's keys shown by the label its schema gives them. */
function displayPath(path: readonly string[], all: SchemaField[]): string {
  return path
    .map((key, i) => {
      if (key !== ANY_KEY) return key;
      const map = all.find((field) => field.path.join('.') === path.slice(0, i).join('.'));
      return `<${map?.schema.keyLabel ?? 'name'}>`;
    })
    .join('.');
}

function typeText(schema: JsonSchema): string {
  if (schema.typeLabel) return schema.typeLabel;
  if (schema.not !== undefined) return 'not accepted';
  if (schema.enum) return schema.enum.map((value) => `\`${String(value)}\``).join(' | ');
  if ('const' in schema) return `\`${String(schema.const)}\``;
  if (schema.oneOf || schema.anyOf) return 'mapping';
  switch (schema.type) {
    case 'integer':
    case 'number': {
      const name = schema.type === 'integer' ? 'integer' : 'number';
      return schema.minimum !== undefined && schema.maximum !== undefined
        ? `${name} ${schema.minimum}–${schema.maximum}`
        : name;
    }
    case 'string':
      return schema.format === 'email' ? 'email address' : 'string';
    case 'array':
      return `list of ${schema.items ? typeText(schema.items) : 'values'}`;
    case 'object':
      return typeof schema.additionalProperties === 'object' && !schema.properties ? 'map' : 'mapping';
    default:
      return String(schema.type ?? 'any');
  }
}

function defaultText(field: SchemaField): string {
  const value = field.schema.default;
  if (field.schema.not !== undefined) return '—';
  if (value !== undefined) {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return '—';
    return `\`${typeof value === 'string' ? (value === '' ? '""' : value) : JSON.stringify(value)}\``;
  }
  if (field.required) return '**required**';
  if (field.requiredWhen)
    return `required with ${field.requiredWhen.map((when) => `\`${when}\``).join(' or ')}`;
  return '—';
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}
