import type { Secret } from '../util/secret.ts';

/** How requests authenticate; only this module and the refresh call ever reveal a secret. */
export interface ZendeskAuth {
  /** The Authorization header value for the next request. */
  header(): string;
  /** Called after a 401; resolves true when new credentials are worth one more try. */
  renew(): Promise<boolean>;
}

export function apiTokenAuth(email: string, token: Secret): ZendeskAuth {
  // Zendesk's API token scheme: basic auth with `{email}/token` as the user name.
  const header = `Basic ${Buffer.from(`${email}/token:${token.reveal()}`).toString('base64')}`;
  return { header: () => header, renew: async () => false };
}

export interface OAuthCredentials {
  accessToken: Secret;
  refreshToken: Secret;
  clientId: string;
  clientSecret: Secret;
}

export type TokenRefresher = (
  body: Record<string, string>,
) => Promise<{ access_token?: unknown; refresh_token?: unknown }>;

/**
 * OAuth with refresh: on a 401 the refresh token buys a new access token once; concurrent 401s
 * share that one refresh. Refreshed tokens live in memory (a restart starts from the profile).
 */
export function oauthAuth(credentials: OAuthCredentials, refresh: TokenRefresher): ZendeskAuth {
  let access = credentials.accessToken.reveal();
  let refreshToken = credentials.refreshToken.reveal();
  let inFlight: Promise<boolean> | undefined;
  return {
    header: () => `Bearer ${access}`,
    renew() {
      inFlight ??= refresh({
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
        client_id: credentials.clientId,
        client_secret: credentials.clientSecret.reveal(),
      })
        .then((answer) => {
          if (typeof answer.access_token !== 'string' || answer.access_token === '') return false;
          access = answer.access_token;
          if (typeof answer.refresh_token === 'string' && answer.refresh_token !== '')
            refreshToken = answer.refresh_token;
          return true;
        })
        .catch(() => false)
        .finally(() => {
          inFlight = undefined;
        });
      return inFlight;
    },
  };
}

/** `POST /oauth/tokens` with the refresh grant; errors resolve to no token (the caller logs the 401). */
export function httpTokenRefresher(baseUrl: string, timeoutMs = 10_000): TokenRefresher {
  return async (body) => {
    const response = await fetch(`${baseUrl}/oauth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) return {};
    return (await response.json()) as { access_token?: unknown; refresh_token?: unknown };
  };
}
