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
/** The endpoint template the metrics count refreshes under. */
export const TOKEN_ENDPOINT = 'POST /oauth/tokens';

/** One refresh request's end: its HTTP status, or the network error code when no answer came. */
export interface TokenRequestResult {
  endpoint: string;
  status: number | undefined;
  errorCode: string | undefined;
  durationMs: number;
}

/**
 * `POST {baseUrl}/oauth/tokens` with `grant_type: refresh_token` as JSON. Never throws. Token
 * values are never put into a reason or description: those end up in log lines.
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
  return async (grant) => {
    let response: Response;
    let text: string;
    const sentAt = performance.now();
    const ended = (status: number | undefined, errorCode: string | undefined) =>
      options.onResult?.({
        endpoint: TOKEN_ENDPOINT,
        status,
        errorCode,
        durationMs: performance.now() - sentAt,
      });
    try {
      response = await fetch(`${baseUrl}/oauth/tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({
          grant_type: 'refresh_token',
          refresh_token: grant.refreshToken,
          client_id: grant.clientId,
          client_secret: grant.clientSecret,
        }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
      ended(response.status, undefined);
    } catch (error) {
      const name = (error as Error).name;
      ended(undefined, name === 'TimeoutError' ? 'ETIMEDOUT' : networkCode(error as Error));
      const reason =
        name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : networkReason(error as Error);
      return { kind: 'failed', reason };
    }
    const body = parseObject(text);
    if (response.ok) return tokensFrom(body);
    if (response.status === 400 || response.status === 401) {
      return {
        kind: 'rejected',
        status: response.status,
        error: clip(typeof body?.error === 'string' ? body.error : `HTTP${response.status}`),
        description: clip(typeof body?.error_description === 'string' ? body.error_description : ''),
      };
    }
    return { kind: 'failed', reason: `HTTP ${response.status}` };
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
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function networkCode(error: Error): string {
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : 'ERR_NETWORK';
}

/** fetch says "fetch failed"; the useful part (ECONNREFUSED, ENOTFOUND…) is in its cause. */
function networkReason(error: Error): string {
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  const message = typeof cause?.message === 'string' ? cause.message : error.message;
  return clip(code ? `${code}: ${message}` : message);
}

function clip(text: string): string {
  const flat = text.replace(/[\s\p{Cc}]+/gu, ' ').trim();
  return flat.length > MAX_TEXT ? `${flat.slice(0, MAX_TEXT)}…` : flat;
}
