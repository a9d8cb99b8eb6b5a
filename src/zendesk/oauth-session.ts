import type { Logger } from '../log/logger.ts';
import type { Secret } from '../util/secret.ts';
import type { AuthState, ZendeskAuth } from './auth.ts';
import type { RefreshAnswer, TokenEndpoint } from './oauth-token-endpoint.ts';
import { type OAuthTokens, type TokenFile, type TokenOrigin, tokenFingerprint } from './oauth-token-file.ts';

export interface OAuthCredentials {
  accessToken: Secret;
  refreshToken: Secret;
  clientId: string;
  clientSecret: Secret;
}

/** Time and timers of a session; tests drive them with the fake Zendesk's manual clock. */
export interface SessionClock {
  now(): number;
  /** Runs `run` after `ms`; the returned function cancels it. Must not keep the process alive. */
  after(ms: number, run: () => void): () => void;
}

export const systemSessionClock: SessionClock = {
  now: () => Date.now(),
  after: (ms, run) => {
    const timer = setTimeout(run, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
};

export interface OAuthSessionOptions {
  credentials: OAuthCredentials;
  /** The account: stored tokens of another account are never used. */
  baseUrl: string;
  endpoint: TokenEndpoint;
  logger: Logger;
  /** Where rotated tokens outlive the process; without one they live in memory only. */
  tokenFile?: TokenFile;
  clock?: SessionClock;
}

/** Refresh this long before the access token expires, or at 90 % of a shorter lifetime. */
const REFRESH_MARGIN_MS = 5 * 60_000;
const MARGIN_SHARE = 0.1;
/** However short a lifetime Zendesk names, proactive refreshes are at least this far apart. */
const MIN_REFRESH_INTERVAL_MS = 1_000;
/** After a failure without an answer: 2 s doubling to 5 min. */
const RETRY_FIRST_MS = 2_000;
const RETRY_MAX_MS = 5 * 60_000;
/** After a rejection, slowly: a glitch may pass, and a storm would help nobody. */
export const REJECTED_RETRY_MS = 15 * 60_000;
/** setTimeout's limit; a longer wait is taken in steps. */
const MAX_TIMER_MS = 2_147_483_647;

const RECONFIGURE =
  "put the new access token and refresh token into this profile's zendesk.auth (or the environment variables or secret files it references) and reload the bridge (systemctl reload cti-bridge; a changed environment file needs systemctl restart cti-bridge). See docs/zendesk-auth.md";

/** What an admin must do, by Zendesk's error code: the ERROR line says it in full. */
function rejectionInstruction(error: string): string {
  if (error === 'invalid_client' || error === 'unauthorized_client') {
    return `Zendesk rejected the OAuth client (${error}): check zendesk.auth.clientId (the client's Identifier) and the client secret against the OAuth client in Zendesk Admin Center (Apps and integrations > APIs > OAuth clients); if the client was deleted, create a new client and a new OAuth token, then ${RECONFIGURE}`;
  }
  return `Zendesk rejected the OAuth refresh token (${error}); the bridge cannot get new access tokens, and Zendesk requests fail as soon as the current access token is expired or revoked. Create a new OAuth token for the bridge's OAuth client (Zendesk Admin Center > Apps and integrations > APIs > OAuth clients, then the authorization code grant), ${RECONFIGURE}`;
}

/**
 * OAuth credentials that keep themselves fresh. The access token is refreshed before it expires
 * (5 min before, or at 90 % of a shorter lifetime) on a timer that does not keep the process
 * alive, and after a 401; concurrent 401s share one refresh. Zendesk rotates the refresh token at
 * every refresh and deletes the previous pair, so the new pair goes to the token file at once.
 * At start the token file wins over the profile's tokens, unless the profile holds a refresh
 * token other than the one the file's chain started from (an admin gave new tokens).
 */
export class OAuthSession implements ZendeskAuth {
  readonly #o: OAuthSessionOptions;
  readonly #clock: SessionClock;
  readonly #log: Logger;
  readonly #origin: TokenOrigin;
  #tokens: OAuthTokens;
  /** The profile's tokens: their lifetime is unknown, so the first refresh happens at start. */
  #fromProfile = true;
  /** Token values this session registered for redaction and may forget once they are dead. */
  #retired: string[] = [];
  #inFlight: Promise<boolean> | undefined;
  #failures = 0;
  #rejected = false;
  #nextAttemptAt = 0;
  #lastAttemptAt = Number.NEGATIVE_INFINITY;
  /** When a 401 last set off a refresh. */
  #renewedAt = Number.NEGATIVE_INFINITY;
  #cancelTimer: (() => void) | undefined;
  #started = false;
  #stopped = false;

  constructor(options: OAuthSessionOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemSessionClock;
    this.#log = options.logger.child('zendesk');
    this.#origin = {
      baseUrl: options.baseUrl,
      clientId: options.credentials.clientId,
      profileRefreshToken: tokenFingerprint(options.credentials.refreshToken.reveal()),
    };
    this.#tokens = {
      accessToken: options.credentials.accessToken.reveal(),
      refreshToken: options.credentials.refreshToken.reveal(),
      accessExpiresAt: undefined,
      refreshExpiresAt: undefined,
      obtainedAt: this.#clock.now(),
    };
  }

  get state(): AuthState {
    if (this.#rejected) return 'rejected';
    return this.#inFlight || this.#failures > 0 ? 'refreshing' : 'ok';
  }

  header(): string {
    return `Bearer ${this.#tokens.accessToken}`;
  }

  /**
   * Loads the token file and schedules the next refresh. With the profile's tokens it refreshes
   * at once and waits for the answer (at most the endpoint's timeout): the chain is in the token
   * file, and a rejected token reported, before the first call is handled.
   */
  async start(): Promise<void> {
    this.#started = true;
    await this.#loadTokenFile();
    if (this.#stopped) return;
    if (this.#fromProfile) await this.#refresh("start-up: the profile's access token has no known expiry");
    else this.#schedule();
  }

  async stop(deadline?: number): Promise<void> {
    this.#stopped = true;
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    const inFlight = this.#inFlight;
    if (!inFlight) return;
    if (deadline === undefined) {
      await inFlight;
      return;
    }
    let cancel: (() => void) | undefined;
    const timeUp = new Promise<void>((resolve) => {
      cancel = this.#clock.after(Math.max(0, deadline - this.#clock.now()), resolve);
    });
    await Promise.race([inFlight, timeUp]);
    cancel?.();
  }

  renew(rejected: string): Promise<boolean> {
    // The request carried a token that has been replaced since: the current one is worth a try.
    if (rejected !== this.header()) return Promise.resolve(true);
    if (this.#inFlight) return this.#inFlight;
    // Backing off after a failure or a rejection; or the token a 401 just bought was refused too,
    // and refreshing for every failing request would be a storm.
    const now = this.#clock.now();
    if (this.#stopped || now < this.#nextAttemptAt || now - this.#renewedAt < MIN_REFRESH_INTERVAL_MS) {
      return Promise.resolve(false);
    }
    this.#renewedAt = now;
    return this.#refresh('Zendesk answered 401');
  }

  /** Resolves once no refresh is running (tests wait with it for a refresh a timer or a 401 set off). */
  async idle(): Promise<void> {
    for (let i = 0; i < 100 && this.#inFlight; i++) await this.#inFlight;
  }

  async #loadTokenFile(): Promise<void> {
    const file = this.#o.tokenFile;
    if (!file) return;
    const read = await file.read();
    if (read.kind === 'none') {
      this.#log.info("Zendesk OAuth: no token file yet; starting from the profile's tokens", {
        tokenFile: file.path,
      });
      return;
    }
    if (read.kind === 'unreadable') {
      this.#log.warn("Zendesk OAuth: the token file is unusable; starting from the profile's tokens", {
        tokenFile: file.path,
        reason: read.reason,
      });
      return;
    }
    const { stored } = read;
    const changed = (['baseUrl', 'clientId', 'profileRefreshToken'] as const).filter(
      (key) => stored[key] !== this.#origin[key],
    );
    if (changed.length > 0) {
      const what = changed.map((key) => (key === 'profileRefreshToken' ? 'refresh token' : key));
      this.#log.info(
        "Zendesk OAuth: the profile's credentials changed since the token file was written; starting from the profile's tokens",
        {
          tokenFile: file.path,
          changed: what,
        },
      );
      return;
    }
    this.#remember(stored.accessToken, stored.refreshToken);
    this.#tokens = {
      accessToken: stored.accessToken,
      refreshToken: stored.refreshToken,
      accessExpiresAt: stored.accessExpiresAt,
      refreshExpiresAt: stored.refreshExpiresAt,
      obtainedAt: stored.obtainedAt,
    };
    this.#fromProfile = false;
    this.#log.info('Zendesk OAuth: using the tokens from the token file', {
      tokenFile: file.path,
      accessTokenExpiresAt: isoOrUnknown(stored.accessExpiresAt),
    });
  }

  #refresh(reason: string): Promise<boolean> {
    this.#inFlight ??= this.#attempt(reason)
      .catch((error: unknown) => {
        this.#log.error('Zendesk OAuth refresh failed unexpectedly', { err: error });
        return false;
      })
      .finally(() => {
        this.#inFlight = undefined;
      });
    return this.#inFlight;
  }

  async #attempt(reason: string): Promise<boolean> {
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    this.#lastAttemptAt = this.#clock.now();
    const answer = await this.#o.endpoint({
      refreshToken: this.#tokens.refreshToken,
      clientId: this.#o.credentials.clientId,
      clientSecret: this.#o.credentials.clientSecret.reveal(),
    });
    if (answer.kind === 'tokens') {
      // Even when stopping: Zendesk has deleted the old pair, only the new one works from now on.
      await this.#adopt(answer, reason);
      return true;
    }
    if (answer.kind === 'rejected') this.#onRejected(answer);
    else this.#onFailed(answer.reason, reason);
    return false;
  }

  async #adopt(answer: Extract<RefreshAnswer, { kind: 'tokens' }>, reason: string): Promise<void> {
    const now = this.#clock.now();
    const refreshToken = answer.refreshToken ?? this.#tokens.refreshToken;
    this.#remember(answer.accessToken, refreshToken);
    this.#tokens = {
      accessToken: answer.accessToken,
      refreshToken,
      accessExpiresAt: answer.expiresInSec === undefined ? undefined : now + answer.expiresInSec * 1000,
      refreshExpiresAt:
        answer.refreshExpiresInSec === undefined ? undefined : now + answer.refreshExpiresInSec * 1000,
      obtainedAt: now,
    };
    this.#fromProfile = false;
    const wasRejected = this.#rejected;
    this.#rejected = false;
    this.#failures = 0;
    this.#nextAttemptAt = 0;
    await this.#save();
    const due = this.#dueAt();
    this.#log.info('Zendesk OAuth access token refreshed', {
      reason,
      expiresInSec: answer.expiresInSec ?? 'unknown',
      nextRefreshInSec: due === undefined ? 'on the next 401' : Math.round((due - now) / 1000),
      ...(wasRejected ? { recovered: 'Zendesk accepts the refresh token again' } : {}),
    });
    this.#schedule();
  }

  async #save(): Promise<void> {
    const file = this.#o.tokenFile;
    if (!file) return;
    try {
      await file.write({ ...this.#tokens, ...this.#origin });
    } catch (error) {
      // The old refresh token in the file is dead now: a restart before the next successful save
      // would start from it and be rejected.
      this.#log.error(
        'Zendesk OAuth: the new tokens could not be saved; a restart before the next refresh saves them will need new tokens from an admin',
        { tokenFile: file.path, err: error },
      );
    }
  }

  #onRejected(answer: Extract<RefreshAnswer, { kind: 'rejected' }>): void {
    this.#rejected = true;
    this.#nextAttemptAt = this.#clock.now() + REJECTED_RETRY_MS;
    this.#log.error(rejectionInstruction(answer.error), {
      status: answer.status,
      error: answer.error,
      description: answer.description,
      ...(this.#o.tokenFile ? { tokenFile: this.#o.tokenFile.path } : {}),
      accessTokenExpiresAt: isoOrUnknown(this.#tokens.accessExpiresAt),
      retryInMs: REJECTED_RETRY_MS,
    });
    this.#schedule();
  }

  #onFailed(why: string, reason: string): void {
    this.#failures += 1;
    const waitMs = this.#rejected
      ? REJECTED_RETRY_MS
      : Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** (this.#failures - 1));
    this.#nextAttemptAt = this.#clock.now() + waitMs;
    // The current access token stays in use: it works until it actually expires.
    this.#log.warn('Zendesk OAuth refresh failed; trying again', {
      reason,
      err: why,
      attempt: this.#failures,
      retryInMs: waitMs,
      accessTokenExpiresAt: isoOrUnknown(this.#tokens.accessExpiresAt),
    });
    this.#schedule();
  }

  /** When the next proactive refresh is due; undefined when the lifetime is unknown. */
  #dueAt(): number | undefined {
    const { accessExpiresAt, refreshExpiresAt, obtainedAt } = this.#tokens;
    const dues = [accessExpiresAt, refreshExpiresAt]
      .filter((at): at is number => at !== undefined)
      .map((at) => at - Math.min(REFRESH_MARGIN_MS, (at - obtainedAt) * MARGIN_SHARE));
    if (dues.length === 0) return undefined;
    return Math.max(Math.min(...dues), this.#lastAttemptAt + MIN_REFRESH_INTERVAL_MS);
  }

  #schedule(): void {
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    if (!this.#started || this.#stopped) return;
    const retrying = this.#rejected || this.#failures > 0;
    const at = retrying ? this.#nextAttemptAt : this.#dueAt();
    if (at === undefined) return;
    const waitMs = Math.min(MAX_TIMER_MS, Math.max(0, at - this.#clock.now()));
    this.#cancelTimer = this.#clock.after(waitMs, () => {
      this.#cancelTimer = undefined;
      if (this.#clock.now() < at) this.#schedule();
      else void this.#refresh(retrying ? 'retry' : 'before expiry');
    });
  }

  /**
   * Registers the new token values for redaction and forgets the ones two rotations old: Zendesk
   * deleted them, and a daemon refreshing hourly would otherwise grow the redaction list forever.
   * The profile's own values stay registered (the configuration loader owns them).
   */
  #remember(accessToken: string, refreshToken: string): void {
    const secrets = this.#o.logger.secrets;
    secrets.add(accessToken);
    secrets.add(refreshToken);
    const profile = new Set([
      this.#o.credentials.accessToken.reveal(),
      this.#o.credentials.refreshToken.reveal(),
    ]);
    const current = [this.#tokens.accessToken, this.#tokens.refreshToken];
    for (const old of this.#retired) {
      if (!profile.has(old) && old !== accessToken && old !== refreshToken) secrets.delete(old);
    }
    this.#retired = current.filter((value) => value !== accessToken && value !== refreshToken);
  }
}

function isoOrUnknown(ms: number | undefined): string {
  return ms === undefined ? 'unknown' : new Date(ms).toISOString();
}
