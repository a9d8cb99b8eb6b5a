import type { ManualClock } from '../../src/sim/zendesk/index.ts';
import type { SessionClock } from '../../src/zendesk/oauth-session.ts';

export interface ManualTimers extends SessionClock {
  /**
   * Moves the clock `ms` ahead, running each timer that falls due at its own time, in order, and
   * awaiting `settle` after each (the work a timer starts, such as a refresh over HTTP, finishes
   * before time moves on).
   */
  advance(ms: number, settle?: () => Promise<void>): Promise<void>;
  /** Timers set and not yet run or cancelled. */
  pending(): number;
}

/** Timers on the fake Zendesk's manual clock: both sides of a test see the same time. */
export function manualTimers(clock: ManualClock): ManualTimers {
  const timers = new Set<{ at: number; seq: number; run: () => void }>();
  let seq = 0;
  return {
    now: () => clock.now(),
    after(ms, run) {
      const timer = { at: clock.now() + ms, seq: seq++, run };
      timers.add(timer);
      return () => timers.delete(timer);
    },
    async advance(ms, settle = async () => {}) {
      const end = clock.now() + ms;
      for (let i = 0; i < 100_000; i++) {
        const due = [...timers].filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
        if (!due) break;
        timers.delete(due);
        if (due.at > clock.now()) clock.set(due.at);
        due.run();
        await settle();
      }
      if (end > clock.now()) clock.set(end);
    },
    pending: () => timers.size,
  };
}
