import type { Logger, LogRecord } from '../log/logger.ts';

/** One WARN or ERROR line as `cti-bridge status` shows it. */
export interface RecentError {
  time: string;
  level: 'error' | 'warn';
  /** The logger namespace (`ami`, `zendesk`, `calls`, …). */
  module: string;
  message: string;
  /** The line's other fields as `key=value` text (callId, err, …), cut short. */
  detail?: string;
}

export interface ErrorRingOptions {
  /** Lines kept per profile (default 50). */
  perProfile?: number;
  /** Profiles remembered at once; the one written longest ago goes first (default 16). */
  maxProfiles?: number;
}

/** Lines of the daemon itself (config, idle): no `profile` field. */
const DAEMON = '';
const MAX_DETAIL = 300;

/**
 * The last WARN and ERROR lines per profile: GREYHOUND's "Fehlerprotokoll". Fed by a logger tap,
 * so every line the log shows is here without a call at each place that logs, and it holds what
 * the log holds: the logger has redacted secrets before a listener sees the record.
 */
export class ErrorRing {
  readonly #perProfile: number;
  readonly #maxProfiles: number;
  readonly #rings = new Map<string, RecentError[]>();

  constructor(options: ErrorRingOptions = {}) {
    this.#perProfile = options.perProfile ?? 50;
    this.#maxProfiles = options.maxProfiles ?? 16;
  }

  /** Starts listening to `logger`'s family; returns the function that stops it. */
  attach(logger: Logger): () => void {
    return logger.tap((record) => this.add(record));
  }

  add(record: LogRecord): void {
    if (record.level !== 'error' && record.level !== 'warn') return;
    const { profile, ...rest } = record.fields;
    const key = typeof profile === 'string' ? profile : DAEMON;
    const detail = detailText(rest);
    const entry: RecentError = {
      time: record.time,
      level: record.level,
      module: record.ns ?? 'daemon',
      message: record.msg,
      ...(detail ? { detail } : {}),
    };
    let ring = this.#rings.get(key);
    if (ring) this.#rings.delete(key);
    else ring = [];
    // Re-inserted: the map's order is the order of the last write, so the first key is the stalest.
    this.#rings.set(key, ring);
    ring.push(entry);
    if (ring.length > this.#perProfile) ring.shift();
    if (this.#rings.size > this.#maxProfiles) {
      const stalest = this.#rings.keys().next();
      if (!stalest.done) this.#rings.delete(stalest.value);
    }
  }

  /** The profile's lines and the daemon's own, oldest first, at most `perProfile`. */
  recent(profile: string | undefined): RecentError[] {
    const own = profile === undefined ? [] : (this.#rings.get(profile) ?? []);
    const daemon = this.#rings.get(DAEMON) ?? [];
    return [...own, ...daemon].sort((a, b) => a.time.localeCompare(b.time)).slice(-this.#perProfile);
  }
}

function detailText(fields: Record<string, unknown>): string {
  const text = Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${valueText(value)}`)
    .join(' ');
  return text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL)}…` : text;
}

/** An error (redacted into a plain object by the logger) reads as its message, not its stack. */
function valueText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && 'message' in value && typeof value.message === 'string') {
    return value.message;
  }
  return JSON.stringify(value) ?? String(value);
}
