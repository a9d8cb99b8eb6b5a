import type { Readable } from 'node:stream';
import type { Logger } from '../log/logger.ts';
import type { ZendeskAuth } from './auth.ts';
import { isRetryableStatus, ZendeskApiError } from './errors.ts';
import { ACCEPT_ENCODING, exchange, type HttpAnswer } from './http-transport.ts';
import { type RateClock, RateGate, type RatePermit, realClock } from './rate-gate.ts';
import { type Lane, RequestLanes } from './request-lanes.ts';

export interface ZendeskRequest {
  lane: Lane;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path below the base URL, e.g. `/api/v2/users/7`. */
  path: string;
  /** Template for logs and counters, e.g. `PUT /api/v2/users/{id}`. */
  endpoint: string;
  searchParams?: Record<string, string | string[]>;
  json?: unknown;
  /** Raw bytes, or a function opening a fresh stream for each try (large uploads are streamed). */
  body?: Buffer | (() => Readable);
  contentType?: string;
  /** Sent with a streamed body so the server can refuse an oversized file before reading it. */
  contentLength?: number;
  idempotencyKey?: string;
  /** Further tries on retryable failures. Only for requests that are safe to repeat. */
  retries?: number;
  timeoutMs?: number;
}

export interface ZendeskResponse<T> {
  status: number;
  body: T;
  header(name: string): string | undefined;
}

export interface ZendeskHttpOptions {
  baseUrl: string;
  auth: ZendeskAuth;
  logger: Logger;
  lanes?: RequestLanes;
  gate?: RateGate;
  clock?: RateClock;
  timeoutMs?: number;
  /** Counts every request that went on the wire, by endpoint template (benchmarks, tests). */
  onRequest?: (endpoint: string, lane: Lane) => void;
  /** Hears how each request on the wire ended (metrics, readiness). */
  onResult?: (result: ZendeskResult) => void;
}

/** One request's end: its HTTP status, or the network error code when no answer came. */
export interface ZendeskResult {
  endpoint: string;
  lane: Lane;
  status: number | undefined;
  /** `ETIMEDOUT`, `ECONNREFUSED`, … when there was no answer. */
  errorCode: string | undefined;
  durationMs: number;
}

const MAX_ERROR_TEXT = 200;
/** An error's code and description (details included) are cut to these lengths. */
const MAX_CODE_TEXT = 80;
const MAX_DESCRIPTION_TEXT = 1_000;
const MAX_BACKOFF_MS = 30_000;

/** The one HTTP path to Zendesk: lanes, rate gate, auth renewal, retries, readable errors. */
export class ZendeskHttp {
  /** The base URL without a trailing slash; request paths are appended to it. */
  readonly #base: string;
  readonly #options: ZendeskHttpOptions;
  readonly #lanes: RequestLanes;
  readonly #gate: RateGate;
  readonly #clock: RateClock;
  readonly #log: Logger;

  constructor(options: ZendeskHttpOptions) {
    this.#options = options;
    this.#lanes = options.lanes ?? new RequestLanes();
    this.#clock = options.clock ?? realClock;
    this.#gate = options.gate ?? new RateGate(this.#clock, { queued: (lane) => this.#lanes.waiting(lane) });
    this.#log = options.logger.child('zendesk');
    this.#base = options.baseUrl.replace(/\/+$/, '');
  }

  get lanes(): RequestLanes {
    return this.#lanes;
  }

  get rate(): RateGate {
    return this.#gate;
  }

  request<T>(request: ZendeskRequest): Promise<ZendeskResponse<T>> {
    return this.#lanes.run(request.lane, () => this.#withRetries<T>(request));
  }

  async #withRetries<T>(request: ZendeskRequest): Promise<ZendeskResponse<T>> {
    const tries = 1 + (request.retries ?? 0);
    let renewed = false;
    // The Authorization header of the latest try: a 401 for a token replaced since is no reason to refresh.
    const sent = { authorization: '' };
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#once<T>(request, sent);
      } catch (error) {
        if (!(error instanceof ZendeskApiError)) throw error;
        if (error.status === 401 && !renewed) {
          renewed = true;
          if (await this.#options.auth.renew(sent.authorization)) {
            this.#log.info('Zendesk credentials renewed after 401', { endpoint: request.endpoint });
            attempt--;
            continue;
          }
        }
        if (!error.retryable || attempt >= tries) throw error;
        const waitMs = Math.min(MAX_BACKOFF_MS, 250 * 2 ** (attempt - 1));
        this.#log.warn('Zendesk request failed; retrying', {
          endpoint: request.endpoint,
          attempt,
          of: tries,
          inMs: waitMs,
          err: error.message,
        });
        await this.#clock.sleep(waitMs);
      }
    }
  }

  async #once<T>(request: ZendeskRequest, sent: { authorization: string }): Promise<ZendeskResponse<T>> {
    const permit = await this.#gate.acquire(request.lane);
    try {
      return await this.#send<T>(request, sent, permit);
    } finally {
      permit.end();
    }
  }

  async #send<T>(
    request: ZendeskRequest,
    sent: { authorization: string },
    permit: RatePermit,
  ): Promise<ZendeskResponse<T>> {
    this.#options.onRequest?.(request.endpoint, request.lane);
    sent.authorization = this.#options.auth.header();
    const headers: Record<string, string> = {
      accept: 'application/json',
      'accept-encoding': ACCEPT_ENCODING,
      'user-agent': 'cti-bridge',
      authorization: sent.authorization,
    };
    if (request.idempotencyKey) headers['idempotency-key'] = request.idempotencyKey;
    if (request.contentType) headers['content-type'] = request.contentType;
    const payload =
      request.json !== undefined
        ? JSON.stringify(request.json)
        : typeof request.body === 'function'
          ? request.body()
          : request.body;
    if (request.json !== undefined) headers['content-type'] ??= 'application/json';
    if (request.contentLength !== undefined) headers['content-length'] = String(request.contentLength);
    else if (typeof payload === 'string' || Buffer.isBuffer(payload))
      headers['content-length'] = String(Buffer.byteLength(payload));
    const url = new URL(`${this.#base}/${request.path.replace(/^\//, '')}`);
    if (request.searchParams) url.search = toSearchParams(request.searchParams).toString();
    const sentAt = performance.now();
    const ended = (status: number | undefined, errorCode: string | undefined) =>
      this.#options.onResult?.({
        endpoint: request.endpoint,
        lane: request.lane,
        status,
        errorCode,
        durationMs: performance.now() - sentAt,
      });
    let response: HttpAnswer;
    try {
      response = await exchange({
        method: request.method,
        url,
        headers,
        ...(payload === undefined ? {} : { body: payload }),
        timeoutMs: request.timeoutMs ?? this.#options.timeoutMs ?? 15_000,
      });
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'ERR_NETWORK';
      ended(undefined, code);
      throw new ZendeskApiError({
        endpoint: request.endpoint,
        code,
        description: code === 'ETIMEDOUT' ? 'no answer in time' : (error as Error).message,
        retryable: true,
        cause: error,
      });
    }
    ended(response.statusCode, undefined);
    const header = (name: string) => headerValue(response.headers[name]);
    permit.answered(response.statusCode, header);
    const body = parseBody(response, request.endpoint);
    if (response.statusCode >= 200 && response.statusCode < 300) {
      return { status: response.statusCode, body: body as T, header };
    }
    throw errorFrom(response.statusCode, body, request.endpoint, header('retry-after'));
  }
}

function toSearchParams(params: Record<string, string | string[]>): URLSearchParams {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    for (const item of Array.isArray(value) ? value : [value]) search.append(key, item);
  }
  return search;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** JSON when Zendesk says so and it parses; otherwise the text, so errors can quote it. */
function parseBody(response: HttpAnswer, endpoint: string): unknown {
  const text = response.body ?? '';
  if (text === '') return null;
  const type = String(response.headers['content-type'] ?? '');
  const looksJson = type.includes('json') || /^\s*[{[]/.test(text);
  if (!looksJson) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    if (response.statusCode >= 200 && response.statusCode < 300) {
      throw new ZendeskApiError({
        endpoint,
        status: response.statusCode,
        code: 'InvalidJson',
        description: `the answer is not valid JSON: ${clipText(text)}`,
        retryable: true,
      });
    }
    return text;
  }
}

function errorFrom(
  status: number,
  body: unknown,
  endpoint: string,
  retryAfter: string | undefined,
): ZendeskApiError {
  let code = `HTTP${status}`;
  let description = '';
  let details: unknown;
  if (body && typeof body === 'object') {
    // Any field may hold anything: only strings and numbers are quoted, everything cut short.
    const b = body as { error?: unknown; description?: unknown; details?: unknown };
    if (b.error && typeof b.error === 'object') {
      const e = b.error as { title?: unknown; message?: unknown };
      code = scalarText(e.title) || code;
      description = scalarText(e.message);
    } else {
      code = scalarText(b.error) || code;
    }
    if (typeof b.description === 'string') description = b.description;
    // Details nested too deep to print are left out, so the error itself stays printable.
    if (b.details && jsonText(b.details) !== undefined) details = b.details;
  } else if (typeof body === 'string') {
    description = /<html/i.test(body) ? 'an HTML error page instead of JSON' : clipText(body);
  }
  if (status === 429) description = `rate limited; retry after ${retryAfter ?? '?'} s`;
  if (details) description = `${description} ${jsonText(details)}`;
  return new ZendeskApiError({
    endpoint,
    status,
    code: clipText(code, MAX_CODE_TEXT) || `HTTP${status}`,
    description: clipText(description, MAX_DESCRIPTION_TEXT) || 'no description',
    retryable: isRetryableStatus(status),
    details,
  });
}

/** One line of at most `max` characters, control characters and runs of blanks as one space: for error texts. */
export function clipText(text: string, max = MAX_ERROR_TEXT): string {
  const flat = text.replace(/[\s\p{Cc}]+/gu, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

function scalarText(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}

function jsonText(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}
