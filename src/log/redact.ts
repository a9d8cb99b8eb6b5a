/**
 * Redaction applied to every log record before it is formatted. Three layers, because a secret can
 * reach a log line by value (a token echoed in an error body), by key (a `password` field), or
 * inside a string (an Authorization header or a URL with a password).
 */

export const REDACTED = '[redacted]';

/** Shortest value worth redacting by value: shorter ones would blank out ordinary words. */
const MIN_SECRET_LENGTH = 4;
const MAX_DEPTH = 8;

const SECRET_KEY =
  /^(secret|password|passwd|pass|token|access_?token|refresh_?token|api_?token|client_?secret|authorization|cookie|set-cookie)$/i;
const AUTH_HEADER_VALUE = /\b(Bearer|Basic|Digest)\s+[A-Za-z0-9._~+/=:-]+/g;
const AUTH_HEADER_LINE = /(authorization\s*[:=]\s*)("?)[^"\r\n,}]+/gi;
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+):([^\s@/]+)@/gi;
const SECRET_PAIR =
  /\b(secret|password|passwd|access_token|refresh_token|client_secret)(["']?\s*[:=]\s*["']?)([^\s"'&,}]+)/gi;

/** Values known to be secret (resolved config secrets). Shared by a logger and all its children. */
export class SecretRegistry {
  readonly #values = new Set<string>();
  #pattern: RegExp | undefined;

  add(value: string): void {
    if (value.length < MIN_SECRET_LENGTH || this.#values.has(value)) return;
    this.#values.add(value);
    this.#pattern = undefined;
  }

  /**
   * Forgets a value that can no longer be used anywhere (an OAuth token Zendesk rotated away and
   * deleted): a daemon refreshing hourly would otherwise grow this set, and the pattern every log
   * line passes through, forever.
   */
  delete(value: string): void {
    if (this.#values.delete(value)) this.#pattern = undefined;
  }

  get size(): number {
    return this.#values.size;
  }

  scrub(text: string): string {
    if (this.#values.size === 0) return text;
    this.#pattern ??= new RegExp(
      [...this.#values]
        .sort((a, b) => b.length - a.length)
        .map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('|'),
      'g',
    );
    return text.replace(this.#pattern, REDACTED);
  }
}

export function redactString(text: string, registry: SecretRegistry): string {
  return registry
    .scrub(text)
    .replace(AUTH_HEADER_VALUE, `$1 ${REDACTED}`)
    .replace(AUTH_HEADER_LINE, `$1$2${REDACTED}`)
    .replace(URL_PASSWORD, `$1:${REDACTED}@`)
    .replace(SECRET_PAIR, `$1$2${REDACTED}`);
}

/** Deep copy of `value` with secrets removed; Errors become plain objects (name, message, stack, code). */
export function redactValue(value: unknown, registry: SecretRegistry, depth = 0): unknown {
  if (typeof value === 'string') return redactString(value, registry);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function' && !(value instanceof Error)) {
    return redactValue((value as { toJSON(): unknown }).toJSON(), registry, depth + 1);
  }
  if (value instanceof Error) return redactError(value, registry, depth);
  if (Array.isArray(value)) return value.map((item) => redactValue(item, registry, depth + 1));
  if (Buffer.isBuffer(value)) return `[${value.length} bytes]`;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] =
      SECRET_KEY.test(key) && item != null && item !== '' ? REDACTED : redactValue(item, registry, depth + 1);
  }
  return out;
}

function redactError(error: Error, registry: SecretRegistry, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = { name: error.name, message: redactString(error.message, registry) };
  const code = (error as { code?: unknown }).code;
  if (code !== undefined) out.code = code;
  if (error.stack) out.stack = redactString(error.stack, registry);
  if (error.cause !== undefined) out.cause = redactValue(error.cause, registry, depth + 1);
  return out;
}
