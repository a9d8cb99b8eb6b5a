import { AccountBudget, type HeaderOf, WINDOW_MS } from './account-budget.ts';
import type { Lane } from './request-lanes.ts';

export interface RateClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: RateClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Who comes first when several wait for the budget. */
const RANK: readonly Lane[] = ['pop', 'lookup', 'background'];

/** Within a lane: pops and background in order; lookups newest first (see `RequestLanes.run`). */
const NEWEST_FIRST: Record<Lane, boolean> = { pop: false, lookup: true, background: false };

/** Share of the limit a lane leaves, on top of the higher lanes' expected demand, for their bursts. */
const FLOOR: Record<Lane, number> = { pop: 0, lookup: 0.02, background: 0.15 };

/**
 * Lanes whose backlog can be bulk (backfills, uploads, sync pages). A backlog that could take all
 * the higher lanes are expected to leave in this window is held until the gate has seen a minute
 * of call work (before that it cannot know what the calls will need), then spends no faster than
 * evenly over the minute. A smaller backlog (a sync, the wrap-up comments of a burst) only keeps
 * the reserve.
 */
const BULK: Record<Lane, boolean> = { pop: false, lookup: false, background: true };

/**
 * Demand is what each lane asked for over the last minute. Calls arrive at random, so the rest of
 * a window brings more or less than its share: the reserve adds this many standard deviations
 * (Poisson: the square root of the expected count).
 */
const DEMAND_SPAN_MS = WINDOW_MS;
const DEMAND_SPREAD = 2;

/** One request's claim on the budget: report its answer, or its end without one. */
export interface RatePermit {
  answered(status: number, header: HeaderOf): void;
  /** The request is over (answered or not). Safe to call more than once. */
  end(): void;
}

export interface RateGateOptions {
  /** Requests waiting in each lane before they reach the gate: demand the gate must plan for. */
  queued?: (lane: Lane) => number;
}

/**
 * Keeps the client inside Zendesk's per-minute account budget and gives it to the lanes in order.
 *
 * - Pops go whenever the budget has a request left; beyond it they wait, first come first served,
 *   and go first when the next window opens.
 * - Lookups take only what the pops are expected to leave in this window: the pops queued, their
 *   rate over the last minute times the time left plus its spread, and a 2 % floor.
 * - Background work takes only what pops and lookups are expected to leave, and a 15 % floor; a
 *   backlog larger than that (bulk) waits for a minute of call work to be seen, then spends no
 *   faster than evenly over the minute.
 * - Nothing lower goes while something higher waits. Until the first answer tells the limit, only
 *   pops and a single other request go.
 * - After a 429 every lane waits for exactly the `Retry-After` Zendesk gave.
 *
 * Under sustained overload this means background work gets nothing and lookups get what pops
 * leave: an answered call's ticket is worth more than a lookup for a call still ringing, which
 * would come too late for its answer anyway once the backlog is longer than the ring.
 */
export class RateGate {
  readonly #clock: RateClock;
  readonly #budget = new AccountBudget();
  readonly #queued: (lane: Lane) => number;
  readonly #waiting: Record<Lane, Array<(permit: RatePermit) => void>> = {
    pop: [],
    lookup: [],
    background: [],
  };
  readonly #demand: Record<Lane, number[]> = { pop: [], lookup: [], background: [] };
  /** The first request of call work (pops, lookups). */
  #callsSince: number | undefined;
  #timerArmed = false;

  constructor(clock: RateClock = realClock, options: RateGateOptions = {}) {
    this.#clock = clock;
    this.#queued = options.queued ?? (() => 0);
  }

  /** Waits until `lane` may send one request; the permit counts it against the budget. */
  acquire(lane: Lane): Promise<RatePermit> {
    const now = this.#clock.now();
    if (lane !== 'background') this.#callsSince ??= now;
    this.#forgetOldDemand(lane, now);
    this.#demand[lane].push(now);
    return new Promise((resolve) => {
      this.#waiting[lane].push(resolve);
      this.#grant();
      this.#arm();
    });
  }

  /** For logs and benchmarks. */
  snapshot(): {
    limit?: number;
    remaining?: number;
    blockedForMs: number;
    inFlight: number;
    waiting: Record<Lane, number>;
  } {
    const now = this.#clock.now();
    const limit = this.#budget.limit;
    const remaining = this.#budget.remaining(now);
    return {
      ...(limit === undefined ? {} : { limit }),
      ...(remaining === undefined ? {} : { remaining }),
      blockedForMs: Math.max(0, this.#budget.blockedUntil - now),
      inFlight: this.#budget.inFlight,
      waiting: {
        pop: this.#waiting.pop.length,
        lookup: this.#waiting.lookup.length,
        background: this.#waiting.background.length,
      },
    };
  }

  /** Lets through, highest lane first, whatever may go now. */
  #grant(): void {
    const now = this.#clock.now();
    for (const lane of RANK) {
      const waiting = this.#waiting[lane];
      while (waiting.length > 0 && this.#waitFor(lane, now) === 0) {
        const next = NEWEST_FIRST[lane] ? waiting.pop()! : waiting.shift()!;
        next(this.#permit(now));
      }
      if (waiting.length > 0) return;
    }
  }

  /**
   * 0 when `lane` may send now; otherwise how long until it may if nothing else happens (no
   * answer, no new demand); undefined when only such an event can let it go.
   */
  #waitFor(lane: Lane, now: number): number | undefined {
    const budget = this.#budget;
    if (now < budget.blockedUntil) return budget.blockedUntil - now;
    const remaining = budget.remaining(now);
    const limit = budget.limit;
    const windowEnd = budget.windowEnd(now);
    if (remaining === undefined || limit === undefined || windowEnd === undefined) {
      // No limit known: learn it from one answer before letting a backlog loose.
      return lane === 'pop' || budget.hasAnswer || budget.inFlight === 0 ? 0 : undefined;
    }
    // A new window starts with the requests in flight taken off: if they fill it, only their
    // answers can help.
    const nextWindow = limit - budget.inFlight;
    if (remaining < 1) return nextWindow >= 1 ? windowEnd - now : undefined;
    if (lane === 'pop') return 0;
    // Kept for the higher lanes: a floor, what they have queued, what they are expected to ask for.
    let kept = Math.floor(limit * FLOOR[lane]);
    let asked = 0;
    for (const higher of RANK.slice(0, RANK.indexOf(lane))) {
      kept += this.#queued(higher);
      this.#forgetOldDemand(higher, now);
      asked += this.#demand[higher].length;
    }
    const slack = remaining - 1 - kept;
    if (slack < 0) return nextWindow - 1 - kept >= 0 ? windowEnd - now : undefined;
    // Expected demand until the window ends, E = rate × time left, plus its spread √E, must fit
    // into the slack; it only falls while nothing new arrives. Solve for the time left.
    const perMs = asked / DEMAND_SPAN_MS;
    const fits = ((-DEMAND_SPREAD + Math.sqrt(DEMAND_SPREAD ** 2 + 4 * slack)) / 2) ** 2;
    let at = perMs > 0 ? windowEnd - fits / perMs : now;
    const backlog = this.#queued(lane) + this.#waiting[lane].length;
    if (BULK[lane] && backlog >= slack) {
      if (this.#callsSince !== undefined) at = Math.max(at, this.#callsSince + WINDOW_MS);
      at = Math.max(at, windowEnd - WINDOW_MS + ((limit - remaining) * WINDOW_MS) / limit);
    }
    return at <= now ? 0 : Math.min(at, windowEnd) - now;
  }

  #forgetOldDemand(lane: Lane, now: number): void {
    const times = this.#demand[lane];
    while (times.length > 0 && times[0]! <= now - DEMAND_SPAN_MS) times.shift();
  }

  #permit(now: number): RatePermit {
    const sent = this.#budget.send(now);
    let open = true;
    const close = (learn: () => void) => {
      if (!open) return;
      open = false;
      learn();
      this.#grant();
      this.#arm();
    };
    return {
      answered: (status, header) =>
        close(() => this.#budget.answered(sent, this.#clock.now(), status, header)),
      end: () => close(() => this.#budget.ended(sent, this.#clock.now())),
    };
  }

  /**
   * One timer for all waiting requests, set to the first moment the highest waiting lane may go
   * if nothing else happens: the end of a Retry-After or of a spent window, the time its pace or
   * the others' expected demand allows. None while only an event can help (an answer telling the
   * limit, queued work of higher lanes moving on): those call `#grant()` themselves, and a clock
   * whose sleep passes at once (tests) must not spin.
   */
  #arm(): void {
    if (this.#timerArmed) return;
    const now = this.#clock.now();
    const lane = RANK.find((l) => this.#waiting[l].length > 0);
    const waitMs = lane === undefined ? undefined : this.#waitFor(lane, now);
    if (waitMs === undefined) return;
    this.#timerArmed = true;
    void this.#clock.sleep(Math.max(1, waitMs)).then(() => {
      this.#timerArmed = false;
      this.#grant();
      this.#arm();
    });
  }
}
