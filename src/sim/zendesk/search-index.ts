import type { Clock } from './clock.ts';
import type { Role } from './records.ts';

/** What search knows about a user: a snapshot taken when the user (or an identity) changed. */
export interface IndexedUser {
  userId: number;
  role: Role;
  name: string;
  email: string | null;
  phones: string[];
  externalId: string | null;
  /** False once deleted: search no longer finds the user. */
  active: boolean;
}

interface Pending {
  dueAt: number;
  doc: IndexedUser;
}

export interface SearchIndexOptions {
  clock: Clock;
  /** How long a change takes to reach search ("up to a few minutes" in Zendesk's docs). */
  lagMs: number;
}

/**
 * Zendesk's search lags behind writes. A changed user keeps its old snapshot (or none, when new)
 * until `lagMs` has passed on the clock; only then does the new snapshot replace it.
 */
export class SearchIndex {
  readonly #clock: Clock;
  readonly #lagMs: number;
  readonly #visible = new Map<number, IndexedUser>();
  #pending: Pending[] = [];

  constructor(options: SearchIndexOptions) {
    this.#clock = options.clock;
    this.#lagMs = options.lagMs;
  }

  schedule(doc: IndexedUser): void {
    this.#pending.push({ dueAt: this.#clock.now() + this.#lagMs, doc });
  }

  /** Makes this snapshot searchable now, skipping the lag (users added directly by a test). */
  indexNow(doc: IndexedUser): void {
    this.#pending = this.#pending.filter((entry) => entry.doc.userId !== doc.userId);
    this.#visible.set(doc.userId, doc);
  }

  /** Makes every pending change searchable at once (the seeded account is indexed at start). */
  catchUp(): void {
    this.#apply(Number.POSITIVE_INFINITY);
  }

  /** Snapshots searchable now, in id order. */
  visible(): IndexedUser[] {
    this.#apply(this.#clock.now());
    return [...this.#visible.values()].sort((a, b) => a.userId - b.userId);
  }

  #apply(upTo: number): void {
    // Insertion order is change order, so a later snapshot of the same user wins.
    const still: Pending[] = [];
    for (const entry of this.#pending) {
      if (entry.dueAt <= upTo) this.#visible.set(entry.doc.userId, entry.doc);
      else still.push(entry);
    }
    this.#pending = still;
  }
}
