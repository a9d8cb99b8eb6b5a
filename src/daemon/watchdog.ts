import type { Logger } from '../log/logger.ts';

/** How often the loop's responsiveness is sampled (at most; shorter for a short watchdog). */
const MAX_SAMPLE_MS = 100;

export type WatchdogSetting =
  | { kind: 'off' }
  | { kind: 'on'; timeoutMs: number }
  | { kind: 'invalid'; problem: string };

/**
 * What systemd asks for (sd_watchdog_enabled(3)): pings when WATCHDOG_USEC is set and
 * WATCHDOG_PID is unset or this process's pid.
 */
export function watchdogSetting(env: NodeJS.ProcessEnv, pid: number): WatchdogSetting {
  const usec = env.WATCHDOG_USEC;
  if (usec === undefined || usec === '') return { kind: 'off' };
  if (env.WATCHDOG_PID !== undefined && env.WATCHDOG_PID !== '' && env.WATCHDOG_PID !== String(pid)) {
    return { kind: 'off' };
  }
  if (!/^\d+$/.test(usec) || Number(usec) < 1_000) {
    return {
      kind: 'invalid',
      problem: `WATCHDOG_USEC must be whole microseconds, at least 1000 (got "${usec}")`,
    };
  }
  return { kind: 'on', timeoutMs: Number(usec) / 1000 };
}

export interface WatchdogOptions {
  /** systemd's WatchdogSec, from WATCHDOG_USEC. */
  timeoutMs: number;
  /** Sends WATCHDOG=1. */
  ping: () => void;
  logger: Logger;
}

/**
 * Pings at half the watchdog timeout while the event loop is healthy. A ping is withheld when
 * the loop was blocked longer than a quarter of the timeout since the previous one: a daemon
 * whose loop stalls that long is not handling calls, and without pings systemd restarts it. (A
 * loop that is blocked for good sends nothing anyway.) A short timer measures the stalls: each
 * run, and each ping, sees how long it has been since its last run, so a stall counts even when
 * the ping happens to run first after it.
 */
export class Watchdog {
  readonly #o: WatchdogOptions;
  readonly #log: Logger;
  readonly #periodMs: number;
  readonly #boundMs: number;
  readonly #sampleMs: number;
  #timer: NodeJS.Timeout | undefined;
  #sampler: NodeJS.Timeout | undefined;
  #lastSample = 0;
  #worstStallMs = 0;
  #withholding = false;

  constructor(options: WatchdogOptions) {
    this.#o = options;
    this.#log = options.logger.child('daemon');
    this.#periodMs = options.timeoutMs / 2;
    this.#boundMs = options.timeoutMs / 4;
    this.#sampleMs = Math.min(MAX_SAMPLE_MS, this.#boundMs / 4);
  }

  start(): void {
    if (this.#timer) return;
    this.#lastSample = performance.now();
    this.#sampler = setInterval(() => this.#sample(), this.#sampleMs);
    this.#sampler.unref();
    this.#o.ping();
    this.#timer = setInterval(() => this.#tick(), this.#periodMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    clearInterval(this.#sampler);
    this.#timer = undefined;
    this.#sampler = undefined;
  }

  #sample(): void {
    const now = performance.now();
    this.#worstStallMs = Math.max(this.#worstStallMs, now - this.#lastSample - this.#sampleMs);
    this.#lastSample = now;
  }

  #tick(): void {
    this.#sample();
    const stallMs = this.#worstStallMs;
    this.#worstStallMs = 0;
    if (stallMs > this.#boundMs) {
      if (!this.#withholding) {
        this.#log.warn('event loop blocked: watchdog ping withheld, so systemd restarts a hung daemon', {
          blockedMs: Math.round(stallMs),
          boundMs: Math.round(this.#boundMs),
          watchdogMs: this.#o.timeoutMs,
        });
      }
      this.#withholding = true;
      return;
    }
    if (this.#withholding) this.#log.info('event loop healthy again: watchdog pings resumed');
    this.#withholding = false;
    this.#o.ping();
  }
}
