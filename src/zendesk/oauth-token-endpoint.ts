import { ACCEPT_ENCODING, exchange, type HttpAnswer, type HttpTransportError } from './http-transport.ts';
import { isObject } from './read-body.ts';
import type { ZendeskResult } from './zendesk-http.ts';
import { clipText } from './zendesk-http.ts';
/** The refresh_token grant as Zendesk's `POST /oauth/tokens` takes it. */
export interface RefreshGrant {
  refreshToken: string;
  clientId: string;
  clientSecret: string;
}

/**
 * What the token endpoint answered:
 * - `tokens`: a new pair (Zendesk deletes the previous access and refresh token at this moment);
 * - `rejected`: a 400/401 (`invalid_grant`: the refresh token is used, expired or revoked;
 *   `invalid_client`: the client id or secret is wrong): retrying the same request cannot help;
 * - `failed`: no usable answer (network, timeout, 429, 5xx): worth retrying.
 */
export type RefreshAnswer =
  | {
      kind: 'tokens';
      accessToken: string;
      /** Absent if Zendesk kept the refresh token (it rotates it on every refresh today). */
      refreshToken: string | undefined;
      expiresInSec: number | undefined;
      refreshExpiresInSec: number | undefined;
    }
  | { kind: 'rejected'; status: number; error: string; description: string }
  | { kind: 'failed'; reason: string };

export type TokenEndpoint = (grant: RefreshGrant) => Promise<RefreshAnswer>;

const MAX_TEXT = 300;
const TOKEN_ENDPOINT = 'POST /oauth/tokens';

/** One refresh request's end, as ZendeskHttp reports its requests (no lane: it is not queued). */
export type TokenRequestResult = Omit<ZendeskResult, 'lane'>;

/**
 * `POST {baseUrl}/oauth/tokens` with `grant_type: refresh_token` as JSON, through the same
 * transport as every API request. Never throws. Token values are never put into a reason or
 * description: those end up in log lines.
 */
export function zendeskTokenEndpoint(
  baseUrl: string,
  options: {
    timeoutMs?: number;
    /** Hears how each refresh request ended, as ZendeskHttp's onResult does (the daemon's metrics). */
    onResult?: (result: TokenRequestResult) => void;
  } = {},
): TokenEndpoint {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const url = new URL(`${baseUrl.replace(/\/+$/, '')}/oauth/tokens`);
  return async (grant) => {
    const body = JSON.stringify({
      grant_type: 'refresh_token',
      refresh_token: grant.refreshToken,
      client_id: grant.clientId,
      client_secret: grant.clientSecret,
    });
    const sentAt = performance.now();
    const ended = (status: number | undefined, errorCode: string | undefined) =>
      options.onResult?.({
        endpoint: TOKEN_ENDPOINT,
        status,
        errorCode,
        durationMs: performance.now() - sentAt,
      });
    let answer: HttpAnswer;
    try {
      answer = await exchange({
        method: 'POST',
        url,
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          'accept-encoding': ACCEPT_ENCODING,
          'content-length': String(Buffer.byteLength(body)),
        },
        body,
        timeoutMs,
      });
    } catch (error) {
      const { code, message } = error as HttpTransportError;
      ended(undefined, code);
      return {
        kind: 'failed',
        reason: code === 'ETIMEDOUT' ? message : clipText(`${code}: ${message}`, MAX_TEXT),
      };
    }
    const status = answer.statusCode;
    ended(status, undefined);
    const parsed = parseObject(answer.body);
    if (status >= 200 && status < 300) return tokensFrom(parsed);
    if (status === 400 || status === 401) {
      return {
        kind: 'rejected',
        status,
        error: clipText(typeof parsed?.error === 'string' ? parsed.error : `HTTP${status}`, MAX_TEXT),
        description: clipText(
          typeof parsed?.error_description === 'string' ? parsed.error_description : '',
          MAX_TEXT,
        ),
      };
    }
    return { kind: 'failed', reason: `HTTP ${status}` };
  };
}

function tokensFrom(body: Record<string, unknown> | undefined): RefreshAnswer {
  const access = body?.access_token;
  if (typeof access !== 'string' || access === '') {
    return { kind: 'failed', reason: 'the answer holds no access_token' };
  }
  const refresh = body?.refresh_token;
  return {
    kind: 'tokens',
    accessToken: access,
    refreshToken: typeof refresh === 'string' && refresh !== '' ? refresh : undefined,
    expiresInSec: seconds(body?.expires_in),
    refreshExpiresInSec: seconds(body?.refresh_token_expires_in),
  };
}

/** A lifetime in seconds, or undefined when absent or not a positive number. */
function seconds(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : undefined;
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
