import type { Clock } from './clock.ts';

const WINDOW_MS = 60_000;

export interface RateStatus {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Whole seconds until the window resets (the value of Retry-After and ratelimit-reset). */
  resetSec: number;
}

/**
 * The account's per-minute request budget, in fixed windows aligned to the clock's minutes.
 * A refused request does not consume budget.
 */
export class RateLimiter {
  readonly #clock: Clock;
  #limit: number;
  #windowStart = Number.NEGATIVE_INFINITY;
  #used = 0;

  constructor(options: { clock: Clock; limitPerMinute: number }) {
    this.#clock = options.clock;
    this.#limit = options.limitPerMinute;
  }

  setLimit(limitPerMinute: number): void {
    this.#limit = limitPerMinute;
  }

  /** Spends one request if any is left. */
  take(): RateStatus {
    this.#roll();
    const allowed = this.#used < this.#limit;
    if (allowed) this.#used += 1;
    return { ...this.#status(), allowed };
  }

  /** The budget as it stands, spending nothing (for responses to unauthenticated requests). */
  peek(): RateStatus {
    this.#roll();
    return { ...this.#status(), allowed: this.#used < this.#limit };
  }

  #status(): Omit<RateStatus, 'allowed'> {
    const resetMs = this.#windowStart + WINDOW_MS - this.#clock.now();
    return {
      limit: this.#limit,
      remaining: Math.max(0, this.#limit - this.#used),
      resetSec: Math.max(1, Math.ceil(resetMs / 1000)),
    };
  }

  #roll(): void {
    const start = Math.floor(this.#clock.now() / WINDOW_MS) * WINDOW_MS;
    if (start !== this.#windowStart) {
      this.#windowStart = start;
      this.#used = 0;
    }
  }
}

/** `X-Rate-Limit*` on every API answer; the `ratelimit-*` trio too on ticketing endpoints. */
export function rateHeaders(status: RateStatus, ticketing: boolean): Record<string, string> {
  const headers: Record<string, string> = {
    'X-Rate-Limit': String(status.limit),
    'X-Rate-Limit-Remaining': String(status.remaining),
  };
  if (ticketing) {
    headers['ratelimit-limit'] = String(status.limit);
    headers['ratelimit-remaining'] = String(status.remaining);
    headers['ratelimit-reset'] = String(status.resetSec);
  }
  return headers;
}
