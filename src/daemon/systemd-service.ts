import type { Logger } from '../log/logger.ts';
import type { DaemonStatus } from './daemon.ts';
import { SdNotifier } from './sd-notify.ts';
import { Watchdog, watchdogSetting } from './watchdog.ts';

/**
 * How long READY=1 waits for the start-up sync: below systemd's default TimeoutStartSec (90 s),
 * so a PBX or Zendesk that is down at boot does not fail the start; the daemon retries on its own.
 */
const READY_WAIT_MS = 60_000;
/** What the exit waits for the last message (STOPPING=1) to be handed over. */
const DRAIN_MS = 3_000;

/** What the notifier reads of the Daemon. */
export interface DaemonView {
  readonly status: DaemonStatus;
  integrationReady(): Promise<boolean> | undefined;
}

export interface SystemdServiceOptions {
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** Tests shorten the wait for READY=1. */
  readyWaitMs?: number;
}

/**
 * What the daemon tells systemd under Type=notify: STATUS= as it changes, READY=1 once the
 * running profile's start-up sync has finished (at once when idle), WATCHDOG=1 (watchdog.ts),
 * STOPPING=1 when a stop begins. Exists only when $NOTIFY_SOCKET is set.
 */
export class SystemdService {
  readonly #notifier: SdNotifier;
  readonly #watchdog: Watchdog | undefined;
  readonly #log: Logger;
  readonly #readyWaitMs: number;
  #watched: Promise<boolean> | undefined;
  #synced = false;
  #lastStatus = '';
  #stopping = false;

  /** undefined when $NOTIFY_SOCKET is unset: then the daemon sends nothing at all. */
  static fromEnv(options: SystemdServiceOptions): SystemdService | undefined {
    const socket = options.env.NOTIFY_SOCKET;
    return socket ? new SystemdService(socket, options) : undefined;
  }

  private constructor(socket: string, options: SystemdServiceOptions) {
    this.#log = options.logger.child('daemon');
    this.#readyWaitMs = options.readyWaitMs ?? READY_WAIT_MS;
    this.#notifier = new SdNotifier({ socket, logger: options.logger, path: options.env.PATH });
    const watchdog = watchdogSetting(options.env, process.pid);
    if (watchdog.kind === 'invalid')
      this.#log.warn('systemd watchdog not served', { problem: watchdog.problem });
    if (watchdog.kind === 'on') {
      this.#watchdog = new Watchdog({
        timeoutMs: watchdog.timeoutMs,
        ping: () => this.#notifier.send({ WATCHDOG: '1' }),
        logger: options.logger,
      });
      this.#watchdog.start();
    }
  }

  /** After Daemon.start(): READY=1 once the running integration is up, or after the bounded wait. */
  async started(daemon: DaemonView): Promise<void> {
    this.refresh(daemon);
    const ready = daemon.integrationReady();
    if (ready && !(await settlesWithin(ready, this.#readyWaitMs))) {
      this.#log.warn('start-up sync not finished: telling systemd the daemon is ready anyway', {
        waitedMs: this.#readyWaitMs,
        status: this.#text(daemon),
      });
    }
    if (this.#stopping) return;
    this.#notifier.send({ READY: '1' });
    this.#sendStatus(daemon);
  }

  /** After every configuration change the daemon applied. */
  refresh(daemon: DaemonView): void {
    if (this.#stopping) return;
    const ready = daemon.status.kind === 'running' ? daemon.integrationReady() : undefined;
    if (ready !== this.#watched) {
      this.#watched = ready;
      this.#synced = false;
      ready?.then(
        (ok) => {
          if (this.#watched !== ready || !ok) return;
          this.#synced = true;
          this.refresh(daemon);
        },
        () => {},
      );
    }
    this.#sendStatus(daemon);
  }

  /** First thing on SIGTERM/SIGINT: systemd shows "deactivating" and stops expecting pings. */
  stopping(): void {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#watchdog?.stop();
    this.#notifier.send({ STOPPING: '1', STATUS: 'stopping' });
  }

  /** Before exit: the last message is handed over (bounded). */
  async close(): Promise<void> {
    this.#watchdog?.stop();
    await this.#notifier.drain(DRAIN_MS);
  }

  #sendStatus(daemon: DaemonView): void {
    const text = this.#text(daemon);
    if (text === this.#lastStatus) return;
    this.#lastStatus = text;
    this.#notifier.send({ STATUS: text });
  }

  #text(daemon: DaemonView): string {
    const status = daemon.status;
    if (status.kind === 'stopped') return 'stopping';
    if (status.kind === 'idle') return 'idle: no profile running';
    return this.#synced
      ? `running profile ${status.profile}`
      : `starting profile ${status.profile}: waiting for the start-up sync with the PBX and Zendesk`;
  }
}

/** Whether `promise` settles within `ms`; the timer never outlives the answer. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
