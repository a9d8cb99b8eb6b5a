import { type ChildProcess, spawn } from 'node:child_process';
import type { Logger } from '../log/logger.ts';

/** Found on the service's PATH; Debian ships it in the systemd package. */
const COMMAND = 'systemd-notify';
/** systemd-notify's own wait for the manager (its barrier) is 5 s; past this the child is killed. */
const CHILD_TIMEOUT_MS = 10_000;
/** STATUS= text is one line of an environment-block-like message. */
const MAX_STATUS_CHARS = 200;

export interface SdNotifierOptions {
  /** $NOTIFY_SOCKET: a path, or `@name` for an abstract-namespace socket. */
  socket: string;
  logger: Logger;
  /** $PATH for finding `systemd-notify` (the service's PATH). */
  path?: string;
}

/**
 * The sd_notify protocol (one datagram to the unix socket in $NOTIFY_SOCKET) without a native
 * add-on: Node has no unix datagram sockets, so each message is sent by systemd's own
 * `systemd-notify`, which handles path and abstract sockets and, by default, waits until the
 * service manager has processed the message (its barrier), so the message is attributed to this
 * service although it comes from a short-lived child (the unit needs NotifyAccess=all).
 *
 * One child at a time; what is sent meanwhile is merged into the next message (the latest value
 * per variable wins, READY/STOPPING/WATCHDOG are never lost). A failure is logged at WARN once
 * until a message gets through again: the daemon never depends on systemd hearing it.
 */
export class SdNotifier {
  readonly #socket: string;
  readonly #log: Logger;
  readonly #path: string | undefined;
  #pending = new Map<string, string>();
  #child: ChildProcess | undefined;
  #idle: Array<() => void> = [];
  #failing = false;

  constructor(options: SdNotifierOptions) {
    this.#socket = options.socket;
    this.#log = options.logger.child('daemon');
    this.#path = options.path;
  }

  /** Queues `NAME=value` assignments (READY=1, STATUS=…, WATCHDOG=1, STOPPING=1); never throws. */
  send(assignments: Record<string, string>): void {
    for (const [name, value] of Object.entries(assignments)) {
      this.#pending.set(name, name === 'STATUS' ? oneLine(value) : value);
    }
    if (!this.#child) this.#next();
  }

  /** Resolves once everything queued so far has been handed over, or after `timeoutMs`. */
  drain(timeoutMs: number): Promise<void> {
    if (!this.#child && this.#pending.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.#idle.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #next(): void {
    if (this.#pending.size === 0) {
      for (const resolve of this.#idle.splice(0)) resolve();
      return;
    }
    const message = [...this.#pending].map(([name, value]) => `${name}=${value}`);
    this.#pending = new Map();
    let child: ChildProcess;
    try {
      // Only what systemd-notify needs: a MANAGERPID or WATCHDOG_* of ours would change what it does.
      child = spawn(COMMAND, message, {
        env: { NOTIFY_SOCKET: this.#socket, ...(this.#path ? { PATH: this.#path } : {}) },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
    } catch (error) {
      this.#failed(`cannot run ${COMMAND}: ${(error as Error).message}`);
      this.#next();
      return;
    }
    this.#child = child;
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < 1_000) stderr += String(chunk);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    let done = false;
    const finish = (problem: string | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      this.#child = undefined;
      if (problem) this.#failed(problem);
      else this.#succeeded(message);
      this.#next();
    };
    child.once('error', (error) => finish(`cannot run ${COMMAND}: ${error.message}`));
    child.once('close', (code, signal) => {
      if (code === 0) finish(undefined);
      else if (signal) finish(`${COMMAND} did not finish within ${CHILD_TIMEOUT_MS} ms`);
      else finish(stderr.trim() || `${COMMAND} exited with ${code}`);
    });
  }

  #succeeded(message: string[]): void {
    if (this.#failing) this.#log.info('systemd notifications get through again', { socket: this.#socket });
    this.#failing = false;
    this.#log.debug('systemd notified', () => ({ message: message.join(' ') }));
  }

  #failed(reason: string): void {
    if (this.#failing) {
      this.#log.debug('systemd notification failed again', { reason });
      return;
    }
    this.#failing = true;
    this.#log.warn('systemd notification failed; the daemon carries on without telling systemd', {
      socket: this.#socket,
      reason,
    });
  }
}

function oneLine(text: string): string {
  const line = text.replace(/[\r\n]+/g, ' ');
  return line.length > MAX_STATUS_CHARS ? `${line.slice(0, MAX_STATUS_CHARS - 1)}…` : line;
}
