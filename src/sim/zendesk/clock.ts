/**
 * Time as the fake Zendesk sees it. Rate windows, search lag, idempotency retention and token
 * expiry all read this clock, so a test can jump hours ahead without sleeping.
 */
export interface Clock {
  now(): number;
}

export function systemClock(): Clock {
  return { now: () => Date.now() };
}

/** A clock that only moves when told to. Starts at the lab's recording date unless given a time. */
export class ManualClock implements Clock {
  #now: number;

  constructor(startMs: number = Date.parse('2026-11-22T09:00:00.000Z')) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  advance(ms: number): void {
    if (ms < 0) throw new RangeError('a clock does not run backwards');
    this.#now += ms;
  }

  set(ms: number): void {
    this.#now = ms;
  }
}

/** Zendesk timestamps carry whole seconds: `2026-11-22T09:00:00Z`. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
