import type { Secret } from '../util/secret.ts';

/**
 * - `ok`: the credentials work as far as the bridge knows.
 * - `refreshing`: an OAuth refresh is running, or is being retried after a network failure.
 * - `rejected`: Zendesk refused the refresh token; nothing works again until an admin gives new
 *   tokens (readiness is false).
 */
export type AuthState = 'ok' | 'refreshing' | 'rejected';

/** How requests authenticate; only this module and the OAuth session ever reveal a secret. */
export interface ZendeskAuth {
  /** The Authorization header value for the next request. */
  header(): string;
  /**
   * Called after a 401 with the Authorization header that request carried; resolves true when
   * newer credentials are worth one more try.
   */
  renew(rejected: string): Promise<boolean>;
  readonly state: AuthState;
  /** Credentials with timers (OAuth refresh) start with the integration and stop with it. */
  start?(): Promise<void>;
  /** Waits for a refresh in flight (its new tokens must be saved) until `deadline` (epoch ms). */
  stop?(deadline?: number): Promise<void>;
}

export function apiTokenAuth(email: string, token: Secret): ZendeskAuth {
  // Zendesk's API token scheme: basic auth with `{email}/token` as the user name.
  const header = `Basic ${Buffer.from(`${email}/token:${token.reveal()}`).toString('base64')}`;
  return { header: () => header, renew: async () => false, state: 'ok' };
}
