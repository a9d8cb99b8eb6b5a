import { setImmediate as settle } from 'node:timers/promises';
import type { RateClock } from '../../src/zendesk/rate-gate.ts';

/**
 * Time for code that sleeps on a `RateClock`: it stands still until the test moves it, and a
 * sleep wakes only when time has reached its end, earliest first. Unlike a clock whose sleep
 * passes at once, "nothing happened before 20 s" can be checked.
 */
interface Sleeper {
  at: number;
  seq: number;
  wake: () => void;
}

export class SteppedClock implements RateClock {
  #now: number;
  #sleepers: Sleeper[] = [];
  #seq = 0;

  constructor(startMs: number = Date.parse('2026-11-23T09:00:00.000Z')) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((wake) => this.#sleepers.push({ at: this.#now + ms, seq: this.#seq++, wake }));
  }

  /** Runs `fn` when time reaches `at` (for scripted arrivals and answers). */
  at(at: number, fn: () => void): void {
    void this.sleep(Math.max(0, at - this.#now)).then(fn);
  }

  /** Moves time to `to`, waking every sleeper due on the way in order and letting it run. */
  async advanceTo(to: number, maxWakes = 1_000_000): Promise<void> {
    await settle();
    for (let wakes = 0; wakes < maxWakes; wakes++) {
      let next: Sleeper | undefined;
      for (const s of this.#sleepers)
        if (s.at <= to && (!next || s.at < next.at || (s.at === next.at && s.seq < next.seq))) next = s;
      if (!next) break;
      this.#sleepers.splice(this.#sleepers.indexOf(next), 1);
      this.#now = Math.max(this.#now, next.at);
      next.wake();
      await settle();
    }
    this.#now = Math.max(this.#now, to);
    await settle();
  }

  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.#now + ms);
  }
}
