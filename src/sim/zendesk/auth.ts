import { randomBytes } from 'node:crypto';
import type { Clock } from './clock.ts';

export interface ApiTokenCredential {
  email: string;
  token: string;
}

export interface OAuthClientConfig {
  clientId: string;
  clientSecret: string;
  /** Tokens valid from the start; they do not expire (they stand for a token obtained earlier). */
  accessTokens?: string[];
  /** Refresh tokens valid from the start; `refreshTokens[i]` is paired with `accessTokens[i]`. */
  refreshTokens?: string[];
  /** Lifetime of tokens issued by a refresh when the request names none. */
  accessTokenTtlSec?: number;
  refreshTokenTtlSec?: number;
}

export interface CredentialsConfig {
  apiTokens?: ApiTokenCredential[];
  oauth?: OAuthClientConfig;
  /** Whose tokens the OAuth tokens are (author of comments made with them). */
  oauthUserEmail?: string;
}

/** Credentials accepted when the caller configures none. */
export const DEFAULT_CREDENTIALS = {
  apiTokens: [{ email: 'admin@example.com', token: 'fake-api-token' }],
  oauth: {
    clientId: 'cti-bridge',
    clientSecret: 'fake-client-secret',
    accessTokens: ['fake-access-token'],
    refreshTokens: ['fake-refresh-token'],
    accessTokenTtlSec: 3600,
    refreshTokenTtlSec: 30 * 24 * 3600,
  },
  oauthUserEmail: 'admin@example.com',
} as const satisfies CredentialsConfig;

interface TokenEntry {
  expiresAt: number;
  /** The access token issued together with a refresh token, revoked when that refresh is used. */
  pairedAccess?: string;
}

export interface IssuedTokens {
  access_token: string;
  refresh_token: string;
  token_type: 'bearer';
  scope: string;
  expires_in: number;
  refresh_token_expires_in: number;
}

export type RefreshOutcome =
  | { ok: true; tokens: IssuedTokens }
  | { ok: false; status: 400 | 401; error: string; description: string };

/** OAuth access and refresh tokens, with expiry on the injected clock. */
export class TokenStore {
  readonly #clock: Clock;
  readonly #client: Required<OAuthClientConfig> | undefined;
  readonly #access = new Map<string, TokenEntry>();
  readonly #refresh = new Map<string, TokenEntry>();

  constructor(options: { clock: Clock; oauth: OAuthClientConfig | undefined }) {
    this.#clock = options.clock;
    const oauth = options.oauth;
    if (!oauth) return;
    this.#client = {
      accessTokens: [],
      refreshTokens: [],
      accessTokenTtlSec: DEFAULT_CREDENTIALS.oauth.accessTokenTtlSec,
      refreshTokenTtlSec: DEFAULT_CREDENTIALS.oauth.refreshTokenTtlSec,
      ...oauth,
    };
    for (const token of this.#client.accessTokens) {
      this.#access.set(token, { expiresAt: Number.POSITIVE_INFINITY });
    }
    this.#client.refreshTokens.forEach((token, i) => {
      const pairedAccess = this.#client?.accessTokens[i];
      this.#refresh.set(token, {
        expiresAt: Number.POSITIVE_INFINITY,
        ...(pairedAccess ? { pairedAccess } : {}),
      });
    });
  }

  isValidAccessToken(token: string): boolean {
    const entry = this.#access.get(token);
    return entry !== undefined && entry.expiresAt > this.#clock.now();
  }

  /**
   * The refresh_token grant. As Zendesk announced for its refresh flow, success returns a new pair
   * and deletes the previous access and refresh tokens.
   */
  refresh(params: Record<string, string>): RefreshOutcome {
    const client = this.#client;
    if (params.grant_type !== 'refresh_token') {
      return fail(400, 'unsupported_grant_type', 'Only the refresh_token grant is supported here');
    }
    if (!client || params.client_id !== client.clientId || params.client_secret !== client.clientSecret) {
      return fail(401, 'invalid_client', 'Client authentication failed');
    }
    const used = this.#refresh.get(params.refresh_token ?? '');
    if (!used || used.expiresAt <= this.#clock.now()) return fail(400, 'invalid_grant', INVALID_GRANT);
    const accessTtl = ttl(params.expires_in, client.accessTokenTtlSec, 300, 172_800);
    const refreshTtl = ttl(params.refresh_token_expires_in, client.refreshTokenTtlSec, 604_800, 7_776_000);
    // Zendesk also wants the access token to end before its refresh token: the two ranges
    // (at most 2 days; at least 7 days) already make it so.
    if (accessTtl === null || refreshTtl === null) {
      return fail(400, 'invalid_request', 'expires_in or refresh_token_expires_in is out of range');
    }
    this.#refresh.delete(params.refresh_token ?? '');
    if (used.pairedAccess) this.#access.delete(used.pairedAccess);
    return { ok: true, tokens: this.#issue(accessTtl, refreshTtl) };
  }

  /**
   * A new pair for the configured client, as an admin gets one through the authorization code
   * grant (test control: the fake has no authorization page). Undefined without an OAuth client.
   */
  grant(): IssuedTokens | undefined {
    const client = this.#client;
    return client ? this.#issue(client.accessTokenTtlSec, client.refreshTokenTtlSec) : undefined;
  }

  #issue(accessTtl: number, refreshTtl: number): IssuedTokens {
    const now = this.#clock.now();
    const access = newToken();
    const refresh = newToken();
    this.#access.set(access, { expiresAt: now + accessTtl * 1000 });
    this.#refresh.set(refresh, { expiresAt: now + refreshTtl * 1000, pairedAccess: access });
    return {
      access_token: access,
      refresh_token: refresh,
      token_type: 'bearer',
      scope: 'read write',
      expires_in: accessTtl,
      refresh_token_expires_in: refreshTtl,
    };
  }

  /**
   * What an admin does by deleting the token, or its OAuth client, in Admin Center: every access
   * and refresh token stops working at once (401 on API calls, `invalid_grant` on a refresh).
   * Returns how many tokens were revoked.
   */
  revokeAll(): number {
    const revoked = this.#access.size + this.#refresh.size;
    this.#access.clear();
    this.#refresh.clear();
    return revoked;
  }
}

/** Zendesk's own wording for a refused grant (support article "invalid_grant error when requesting an OAuth token"). */
const INVALID_GRANT =
  'The provided access grant is invalid, expired, or revoked (e.g. invalid assertion, expired authorization token, bad end-user password credentials, or mismatching authorization code and redirection URI).';

function fail(status: 400 | 401, error: string, description: string): RefreshOutcome {
  return { ok: false, status, error, description };
}

/** A requested lifetime must lie in Zendesk's range; none requested means the configured default. */
function ttl(requested: string | undefined, fallback: number, min: number, max: number): number | null {
  if (requested === undefined || requested === '') return fallback;
  const value = Number(requested);
  return Number.isInteger(value) && value >= min && value <= max ? value : null;
}

function newToken(): string {
  return randomBytes(24).toString('hex');
}

export type AuthResult = { ok: true; email: string | null; method: 'oauth' | 'api_token' } | { ok: false };

/**
 * Checks an Authorization header: `Bearer <access token>` or Basic `{email}/token:{api_token}`.
 * Basic with a password (no `/token`) fails like any bad credential: password access is off.
 * `email` is null for OAuth: the caller maps OAuth tokens to their configured user.
 */
export function authenticate(
  header: string | undefined,
  apiTokens: readonly ApiTokenCredential[],
  tokens: TokenStore,
): AuthResult {
  if (!header) return { ok: false };
  const [scheme, value = ''] = header.trim().split(/\s+/, 2);
  if (scheme?.toLowerCase() === 'bearer') {
    return tokens.isValidAccessToken(value) ? { ok: true, email: null, method: 'oauth' } : { ok: false };
  }
  if (scheme?.toLowerCase() !== 'basic') return { ok: false };
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return { ok: false };
  const user = decoded.slice(0, colon);
  const secret = decoded.slice(colon + 1);
  if (!user.endsWith('/token')) return { ok: false };
  const email = user.slice(0, -'/token'.length);
  const match = apiTokens.find((t) => t.email.toLowerCase() === email.toLowerCase() && t.token === secret);
  return match ? { ok: true, email: match.email, method: 'api_token' } : { ok: false };
}
