import PQueue from 'p-queue';

/**
 * Why lanes and not one priority queue: a priority only orders *waiting* work. An upload that is
 * already running would still hold a connection slot while a screen pop waits. So pops get a lane
 * of their own that background work can never fill; lookups and background work each have a
 * bounded lane. Lanes bound concurrency only: the per-minute budget is the rate gate's
 * (`rate-gate.ts`), which gives it to pops first and counts each lane's queue as demand to plan
 * for. All lanes pause together when Zendesk says 429.
 */
export type Lane = 'pop' | 'lookup' | 'background';

export interface RequestLanesOptions {
  /** Concurrent lookups (queue-entry searches). */
  lookupConcurrency?: number;
  /** Concurrent backfills, comments, uploads, sync pages. */
  backgroundConcurrency?: number;
  /** Pops are few and urgent; this only bounds a pathological burst. */
  popConcurrency?: number;
}

export class RequestLanes {
  readonly #lanes: Record<Lane, PQueue>;
  #lookups = 0;

  constructor(options: RequestLanesOptions = {}) {
    this.#lanes = {
      pop: new PQueue({ concurrency: options.popConcurrency ?? 16 }),
      lookup: new PQueue({ concurrency: options.lookupConcurrency ?? 6 }),
      background: new PQueue({ concurrency: options.backgroundConcurrency ?? 2 }),
    };
  }

  /** Tasks of `lane` waiting for a slot (not yet running). */
  waiting(lane: Lane): number {
    return this.#lanes[lane].size;
  }

  /**
   * Pops and background work in order. Lookups newest first: when more wait than the budget
   * serves, the newest is the one whose call is most likely still ringing, and an old one would
   * come back after its call was answered.
   */
  run<T>(lane: Lane, task: () => Promise<T>): Promise<T> {
    const order = lane === 'lookup' ? { priority: ++this.#lookups } : {};
    return this.#lanes[lane].add(task, order) as Promise<T>;
  }

  /** Waiting and running tasks per lane, for logs and benchmarks. */
  stats(): Record<Lane, { waiting: number; running: number }> {
    const of = (q: PQueue) => ({ waiting: q.size, running: q.pending });
    return {
      pop: of(this.#lanes.pop),
      lookup: of(this.#lanes.lookup),
      background: of(this.#lanes.background),
    };
  }

  /** Resolves when every lane is empty and idle (shutdown drains with a deadline around this). */
  async idle(): Promise<void> {
    await Promise.all(Object.values(this.#lanes).map((q) => q.onIdle()));
  }

  clear(): void {
    for (const q of Object.values(this.#lanes)) q.clear();
  }
}
