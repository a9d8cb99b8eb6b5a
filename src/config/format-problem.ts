import { redactString, SecretRegistry } from '../log/redact.ts';
import { isPrintableSecretFieldValue } from './secret-ref.ts';

/**
 * Keys whose values are never quoted back, whatever the schema says: typos of secret fields
 * included, `pasword`, `paswd`, `pswd` and a bare `pw` as well.
 */
const SECRETISH_KEY = /pass|pas+w|psw|pwd|^pw$|secret|token|credential|api_?key/i;
const MAX_GOT_LENGTH = 60;
const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;

export function isSecretishKey(key: PropertyKey | undefined): boolean {
  return typeof key === 'string' && SECRETISH_KEY.test(key);
}

/** `queues.support.record`, `tickets.tags[1]`, `queues["sales.de"].group`; `(top level)` for the root. */
export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (PLAIN_KEY.test(String(key))) out += out === '' ? String(key) : `.${String(key)}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

/**
 * The `got …` part of a problem: short JSON of what the file holds there. A value in a secret
 * field is never shown unless it is a reference, and objects are shown with secret-looking keys
 * blanked, because a problem line ends up in terminals and logs.
 */
export function describeValue(value: unknown, options: { secret?: boolean } = {}): string {
  if (value === undefined) return 'nothing';
  if (options.secret && !isPrintableSecretFieldValue(value)) return 'a literal value';
  let json: string;
  try {
    json =
      JSON.stringify(value, (key, item: unknown) =>
        key !== '' && isSecretishKey(key) && !isPrintableSecretFieldValue(item) && typeof item !== 'object'
          ? '[redacted]'
          : item,
      ) ?? String(value);
  } catch {
    // an alias inside its own anchor (`extra: &a [*a]`) makes a value that contains itself
    return 'a value that contains itself (a YAML alias loop)';
  }
  const safe = redactString(json, new SecretRegistry());
  return safe.length > MAX_GOT_LENGTH ? `${safe.slice(0, MAX_GOT_LENGTH - 1)}…` : safe;
}

/** One problem line: `<file>: <key.path>: <what is wrong> (got <value>)`. */
export function formatProblem(
  file: string,
  path: readonly PropertyKey[],
  message: string,
  got: string,
): string {
  return `${file}: ${formatPath(path)}: ${message} (got ${got})`;
}

/** A warning or a problem without a value to show: `<file>: <key.path>: <message>`. */
export function formatNote(file: string, path: readonly PropertyKey[], message: string): string {
  return `${file}: ${formatPath(path)}: ${message}`;
}

/** The value at `path` in parsed YAML, or undefined when any step is missing. */
export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const key of path) {
    // own keys only: `constructor` in a file is an unknown key, not Object.prototype.constructor
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}
