import type { Clock } from './clock.ts';

interface Change {
  seq: number;
  userId: number;
  at: number;
  /** Counts as older than the lag (users added directly: part of the account from the start). */
  settled: boolean;
}

export interface ExportLogOptions {
  clock: Clock;
  /** Changes younger than this are not exported yet (Zendesk: "within the minute prior"). */
  lagMs: number;
}

export interface ExportSlice {
  userIds: number[];
  /** Position after the last change looked at: the next request continues there. */
  position: number;
  /** Nothing exportable is left after `position`. */
  endOfStream: boolean;
}

/**
 * What the incremental user export reads: every user change in order, each user at its latest
 * change only (a user changed twice is exported once, at the later position). Changes made within
 * the last `lagMs` are held back, and so is everything after the first of them, so that a cursor
 * never passes a change that is not visible yet.
 */
export class ExportLog {
  readonly #clock: Clock;
  readonly #lagMs: number;
  #changes: Change[] = [];
  /** userId → seq of its latest change. */
  readonly #latest = new Map<number, number>();
  #seq = 0;

  constructor(options: ExportLogOptions) {
    this.#clock = options.clock;
    this.#lagMs = options.lagMs;
  }

  get lagMs(): number {
    return this.#lagMs;
  }

  record(userId: number): void {
    this.#seq += 1;
    this.#changes.push({ seq: this.#seq, userId, at: this.#clock.now(), settled: false });
    this.#latest.set(userId, this.#seq);
    if (this.#changes.length > 2 * this.#latest.size + 1_000) this.#compact();
  }

  /** The user's latest change is exportable at once (seed data, users a test adds directly). */
  settle(userId: number): void {
    const seq = this.#latest.get(userId);
    const change = seq === undefined ? undefined : this.#find(seq);
    if (change) change.settled = true;
  }

  settleAll(): void {
    for (const change of this.#changes) change.settled = true;
  }

  /** Up to `limit` users changed after `position` (a seq), or at or after `sinceMs` when starting. */
  slice(from: { position: number } | { sinceMs: number }, limit: number): ExportSlice {
    const after = 'position' in from ? from.position : 0;
    const sinceMs = 'sinceMs' in from ? from.sinceMs : Number.NEGATIVE_INFINITY;
    const visibleUpTo = this.#clock.now() - this.#lagMs;
    const userIds: number[] = [];
    let position = after;
    for (let i = this.#firstAfter(after); i < this.#changes.length; i++) {
      const change = this.#changes[i]!;
      if (this.#latest.get(change.userId) !== change.seq) {
        position = change.seq;
        continue;
      }
      if (!change.settled && change.at > visibleUpTo) return { userIds, position, endOfStream: true };
      if (userIds.length === limit) return { userIds, position, endOfStream: false };
      position = change.seq;
      if (change.at >= sinceMs) userIds.push(change.userId);
    }
    return { userIds, position, endOfStream: true };
  }

  #firstAfter(seq: number): number {
    let lo = 0;
    let hi = this.#changes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#changes[mid]!.seq <= seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #find(seq: number): Change | undefined {
    const i = this.#firstAfter(seq - 1);
    const change = this.#changes[i];
    return change?.seq === seq ? change : undefined;
  }

  /** Drops superseded changes (positions stay valid: they are seqs, not indexes). */
  #compact(): void {
    this.#changes = this.#changes.filter((c) => this.#latest.get(c.userId) === c.seq);
  }
}
