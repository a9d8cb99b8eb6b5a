import type { Clock } from './clock.ts';
import type { Reply } from './reply.ts';

export const IDEMPOTENCY_RETENTION_MS = 2 * 60 * 60 * 1000;

interface Entry {
  fingerprint: string;
  reply: Reply;
  storedAt: number;
}

export type Lookup = { kind: 'miss' } | { kind: 'hit'; reply: Reply } | { kind: 'mismatch' };

/**
 * Remembers the first successful answer per Idempotency-Key for the retention period, so a
 * retried ticket creation gets the same ticket back instead of a second one.
 */
export class IdempotencyStore {
  readonly #clock: Clock;
  readonly #retentionMs: number;
  /** Insertion order is storage order, which lets expiry stop at the first live entry. */
  readonly #entries = new Map<string, Entry>();

  constructor(options: { clock: Clock; retentionMs?: number }) {
    this.#clock = options.clock;
    this.#retentionMs = options.retentionMs ?? IDEMPOTENCY_RETENTION_MS;
  }

  lookup(key: string, fingerprint: string): Lookup {
    this.#expire();
    const entry = this.#entries.get(key);
    if (!entry) return { kind: 'miss' };
    return entry.fingerprint === fingerprint ? { kind: 'hit', reply: entry.reply } : { kind: 'mismatch' };
  }

  store(key: string, fingerprint: string, reply: Reply): void {
    this.#entries.delete(key);
    this.#entries.set(key, { fingerprint, reply, storedAt: this.#clock.now() });
  }

  #expire(): void {
    const oldest = this.#clock.now() - this.#retentionMs;
    for (const [key, entry] of this.#entries) {
      if (entry.storedAt > oldest) break;
      this.#entries.delete(key);
    }
  }
}

/** Endpoint plus the body with its keys sorted: two serialisations of one request compare equal. */
export function fingerprint(endpoint: string, body: unknown): string {
  return `${endpoint} ${canonical(body)}`;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
