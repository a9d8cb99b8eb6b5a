import type { IncomingHttpHeaders } from 'node:http';

const REDACTED = '[redacted]';
const SECRET_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);
const SECRET_BODY_KEYS = new Set(['client_secret', 'refresh_token', 'access_token', 'password', 'code']);

export type Outcome = 'pending' | 'answered' | 'timeout' | 'dropped';

/** One request as the fake saw it. Credentials are never kept. */
export interface RecordedRequest {
  seq: number;
  /** Clock time of arrival. */
  at: number;
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  /** Parsed JSON or form body (secrets blanked); undefined for raw or empty bodies. */
  body: unknown;
  bodyBytes: number;
  /** Template such as `POST /api/v2/tickets` or `GET /api/v2/users/{id}`. */
  endpoint: string;
  /** Null until answered, and for requests that timed out or were dropped. */
  status: number | null;
  outcome: Outcome;
  /** The injected fault, if one hit this request. */
  fault: string | null;
}

/** Every request in arrival order, and counts per endpoint template. */
export class RequestLog {
  readonly #entries: RecordedRequest[] = [];

  get entries(): readonly RecordedRequest[] {
    return this.#entries;
  }

  add(entry: Omit<RecordedRequest, 'seq' | 'status' | 'outcome' | 'fault'>): RecordedRequest {
    const recorded: RecordedRequest = {
      ...entry,
      seq: this.#entries.length + 1,
      status: null,
      outcome: 'pending',
      fault: null,
    };
    this.#entries.push(recorded);
    return recorded;
  }

  countByEndpoint(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const entry of this.#entries) counts[entry.endpoint] = (counts[entry.endpoint] ?? 0) + 1;
    return counts;
  }
}

export function redactHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name] = SECRET_HEADERS.has(name) ? REDACTED : Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** Blanks token and secret fields (the OAuth refresh body carries both). */
export function redactBody(body: unknown): unknown {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    out[key] = SECRET_BODY_KEYS.has(key) ? REDACTED : value;
  }
  return out;
}

export function queryObject(query: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(query.keys())) {
    const values = query.getAll(key);
    out[key] = values.length === 1 ? values[0]! : values;
  }
  return out;
}
