import type { Lane } from './request-lanes.ts';

export interface RateClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: RateClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * The longest the gate holds requests on a server's word. Zendesk's windows are a minute (ten for
 * a few endpoints); a `Retry-After: 86400` or a reset 1e12 s away from a proxy or a bug would
 * otherwise stop every call for a day or for good.
 */
export const MAX_HOLD_MS = 10 * 60_000;

/** Share of the learned per-minute budget that lower lanes leave for higher ones. */
const RESERVE: Record<Lane, number> = { pop: 0, lookup: 0.02, background: 0.15 };

/**
 * Keeps the client inside Zendesk's per-minute budget. It learns the budget from
 * `X-Rate-Limit`/`X-Rate-Limit-Remaining` on every answer, holds background work back before the
 * budget is spent (so a pop never meets a 429 that an upload caused), and after a 429 holds every
 * lane for exactly the `Retry-After` Zendesk gave.
 */
export class RateGate {
  readonly #clock: RateClock;
  #limit: number | undefined;
  #remaining: number | undefined;
  #windowEndsAt = 0;
  #blockedUntil = 0;

  constructor(clock: RateClock = realClock) {
    this.#clock = clock;
  }

  /** Waits until `lane` may send one request, then counts it against the budget. */
  async acquire(lane: Lane): Promise<void> {
    for (let attempt = 0; attempt < 1_000; attempt++) {
      const wait = this.#waitMs(lane);
      if (wait <= 0) {
        if (this.#remaining !== undefined) this.#remaining -= 1;
        return;
      }
      await this.#clock.sleep(wait);
    }
  }

  /** Learns from a response's headers; a 429 blocks every lane for its Retry-After. */
  observe(status: number, header: (name: string) => string | undefined): void {
    const now = this.#clock.now();
    const limit = Number(header('x-rate-limit'));
    const remaining = Number(header('x-rate-limit-remaining'));
    if (Number.isFinite(limit) && limit > 0) this.#limit = limit;
    if (Number.isFinite(remaining) && header('x-rate-limit-remaining') !== undefined) {
      this.#remaining = remaining;
      const reset = Number(header('ratelimit-reset'));
      const resetMs = Number.isFinite(reset) && reset > 0 ? reset * 1000 : msToNextMinute(now);
      this.#windowEndsAt = now + Math.min(resetMs, MAX_HOLD_MS);
    }
    if (status === 429) {
      const retryAfter = Number(header('retry-after'));
      const waitMs =
        Number.isFinite(retryAfter) && retryAfter >= 0 ? Math.min(retryAfter * 1000, MAX_HOLD_MS) : 60_000;
      this.#blockedUntil = Math.max(this.#blockedUntil, now + waitMs);
      this.#remaining = 0;
      this.#windowEndsAt = Math.max(this.#windowEndsAt, now + waitMs);
    }
  }

  /** For logs and benchmarks. */
  snapshot(): { limit?: number; remaining?: number; blockedForMs: number } {
    return {
      ...(this.#limit === undefined ? {} : { limit: this.#limit }),
      ...(this.#remaining === undefined ? {} : { remaining: this.#remaining }),
      blockedForMs: Math.max(0, this.#blockedUntil - this.#clock.now()),
    };
  }

  #waitMs(lane: Lane): number {
    const now = this.#clock.now();
    if (now < this.#blockedUntil) return this.#blockedUntil - now;
    if (this.#remaining === undefined || this.#limit === undefined) return 0;
    if (now >= this.#windowEndsAt) {
      // A new window: assume the full budget until the next answer says otherwise.
      this.#remaining = this.#limit;
      this.#windowEndsAt = now + msToNextMinute(now);
    }
    const reserve = Math.ceil(this.#limit * RESERVE[lane]);
    return this.#remaining > reserve ? 0 : this.#windowEndsAt - now;
  }
}

function msToNextMinute(now: number): number {
  return 60_000 - (now % 60_000) || 60_000;
}
