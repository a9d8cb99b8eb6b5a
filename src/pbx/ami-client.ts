import type { Logger } from '../log/logger.ts';
import type { Secret } from '../util/secret.ts';
import type { AmiMessage, AmiRecord } from './ami-codec.ts';
import { AmiConnection, type AmiListResult } from './ami-connection.ts';
import { AmiError } from './ami-errors.ts';
import { Backoff } from './backoff.ts';

export interface AmiClientOptions {
  host: string;
  port: number;
  username: string;
  secret: Secret;
  logger: Logger;
  connectTimeoutMs?: number;
  actionTimeoutMs?: number;
  pingIntervalMs?: number;
  /** Reconnect backoff: first retry within this, doubling. */
  firstRetryMs?: number;
  maxRetryMs?: number;
  /** After a refused login: retrying fast would only fill Asterisk's log (and trip authlimit). */
  loginRetryMs?: number;
  /** See AmiConnectionOptions.yieldAfter: events whose work goes before the rest of their read. */
  yieldAfter?: (event: AmiMessage) => boolean;
}

export type AmiLinkState = 'connecting' | 'up' | 'down' | 'stopped';

/**
 * The daemon's AMI link: logs in, keeps the link alive with Ping, reconnects with bounded
 * backoff, and fails actions fast when there is no link. Listeners hear every event and every
 * (re)connect, on which the PBX adapter rebuilds what it knows.
 */
export class AmiClient {
  readonly #o: Required<Omit<AmiClientOptions, 'logger' | 'secret' | 'yieldAfter'>> &
    Pick<AmiClientOptions, 'logger' | 'secret' | 'yieldAfter'>;
  readonly #log: Logger;
  readonly #backoff: Backoff;
  readonly #eventListeners = new Set<(event: AmiMessage) => void>();
  readonly #upListeners = new Set<() => void>();
  #connection: AmiConnection | undefined;
  #state: AmiLinkState = 'down';
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #ping: NodeJS.Timeout | undefined;

  constructor(options: AmiClientOptions) {
    this.#o = {
      connectTimeoutMs: 5_000,
      actionTimeoutMs: 10_000,
      pingIntervalMs: 20_000,
      firstRetryMs: 500,
      maxRetryMs: 30_000,
      loginRetryMs: 30_000,
      ...options,
    };
    this.#log = options.logger.child('ami').with({ pbx: `${options.host}:${options.port}` });
    this.#backoff = new Backoff({ firstMs: this.#o.firstRetryMs, maxMs: this.#o.maxRetryMs });
  }

  get state(): AmiLinkState {
    return this.#state;
  }

  onEvent(listener: (event: AmiMessage) => void): () => void {
    this.#eventListeners.add(listener);
    return () => this.#eventListeners.delete(listener);
  }

  /** Called after every successful login (the first and each reconnect). */
  onUp(listener: () => void): () => void {
    this.#upListeners.add(listener);
    return () => this.#upListeners.delete(listener);
  }

  start(): void {
    if (this.#loop) return;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#state = 'stopped';
    clearInterval(this.#ping);
    const connection = this.#connection;
    if (connection) {
      await connection.send({ Action: 'Logoff' }, { timeoutMs: 1_000 }).catch(() => {});
      connection.destroy(new AmiError('not-connected', 'the AMI client was stopped'));
    }
    this.#wake?.();
    await this.#loop;
    this.#loop = undefined;
  }

  /** One action; rejects at once without a link, on timeout, or when the link drops meanwhile. */
  async action(fields: AmiRecord, timeoutMs = this.#o.actionTimeoutMs): Promise<AmiMessage> {
    return (await this.#send(fields, timeoutMs, false)).response;
  }

  /** An EventList action: the response, every entry, the Complete event. */
  list(fields: AmiRecord, timeoutMs = this.#o.actionTimeoutMs): Promise<AmiListResult> {
    return this.#send(fields, timeoutMs, true);
  }

  #send(fields: AmiRecord, timeoutMs: number, list: boolean): Promise<AmiListResult> {
    const connection = this.#state === 'up' ? this.#connection : undefined;
    if (!connection)
      return Promise.reject(
        new AmiError('not-connected', `AMI is ${this.#state}; ${String(fields.Action)} not sent`),
      );
    return connection.send(fields, { timeoutMs, list });
  }

  async #run(): Promise<void> {
    for (let attempt = 0; !this.#isStopped() && attempt < Number.MAX_SAFE_INTEGER; attempt++) {
      let waitMs: number;
      try {
        await this.#connectOnce();
        if (this.#isStopped()) break;
        waitMs = this.#backoff.next();
        this.#log.warn('AMI link lost; reconnecting', { inMs: waitMs });
      } catch (error) {
        if (this.#isStopped()) break;
        const refused = error instanceof AmiError && error.kind === 'refused';
        waitMs = refused ? this.#o.loginRetryMs : this.#backoff.next();
        const message = refused
          ? 'AMI login refused: check pbx.username and pbx.secret'
          : 'cannot connect to AMI';
        this.#log[refused ? 'error' : 'warn'](message, {
          reason: (error as Error).message,
          retryInMs: waitMs,
        });
      }
      if (this.#isStopped()) break;
      this.#state = 'down';
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Connects, logs in, serves until the link closes. Throws when it never came up. */
  async #connectOnce(): Promise<void> {
    this.#state = 'connecting';
    const connection = new AmiConnection({
      host: this.#o.host,
      port: this.#o.port,
      connectTimeoutMs: this.#o.connectTimeoutMs,
      onEvent: (event) => {
        for (const listener of this.#eventListeners) listener(event);
      },
      onProblem: (problem) => this.#log.debug('malformed AMI input skipped', { problem }),
      ...(this.#o.yieldAfter ? { yieldAfter: this.#o.yieldAfter } : {}),
    });
    this.#connection = connection;
    try {
      await connection.open();
      const response = await connection.send(
        { Action: 'Login', Username: this.#o.username, Secret: this.#o.secret.reveal(), Events: 'on' },
        { timeoutMs: this.#o.connectTimeoutMs + 2_000 },
      );
      if (response.response.name.toLowerCase() !== 'success') {
        const why = response.response.get('Message') ?? 'no reason given';
        connection.destroy(new AmiError('refused', why));
        throw new AmiError('refused', `Asterisk said: ${why}`);
      }
    } catch (error) {
      connection.destroy(error instanceof AmiError ? error : new AmiError('link-lost', String(error)));
      this.#connection = undefined;
      if (error instanceof AmiError && error.kind === 'link-lost') {
        // Asterisk closes the socket after a failed login; a close during login is a refusal.
        throw new AmiError('refused', 'the connection closed during login');
      }
      throw error;
    }
    if (this.#isStopped()) return;
    this.#state = 'up';
    this.#backoff.reset();
    this.#log.info('AMI link up', { user: this.#o.username });
    this.#startPing(connection);
    for (const listener of this.#upListeners) listener();
    await connection.closed;
    clearInterval(this.#ping);
    this.#connection = undefined;
  }

  /** A method, not a comparison: stop() changes the state while the loop awaits. */
  #isStopped(): boolean {
    return this.#state === 'stopped';
  }

  #startPing(connection: AmiConnection): void {
    clearInterval(this.#ping);
    this.#ping = setInterval(() => {
      connection
        .send({ Action: 'Ping' }, { timeoutMs: Math.min(this.#o.actionTimeoutMs, this.#o.pingIntervalMs) })
        .catch((error: unknown) => {
          if (this.#state !== 'up') return;
          this.#log.warn('AMI keepalive failed; dropping the link', { err: error });
          connection.destroy(new AmiError('link-lost', 'keepalive Ping unanswered'));
        });
    }, this.#o.pingIntervalMs);
    this.#ping.unref();
  }
}
