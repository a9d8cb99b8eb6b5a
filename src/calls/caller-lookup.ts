import type Keyv from 'keyv';
import type { Logger } from '../log/logger.ts';
import type { HelpdeskPort, HelpdeskUser } from './ports.ts';

/** `cached`: answered without a Zendesk request (from the cache or the phone directory mirror). */
export type LookupResult =
  | { kind: 'known'; userId: number; name: string; cached: boolean }
  | { kind: 'unknown'; reason: 'not found' | 'ambiguous' | 'failed'; cached: boolean };

/** A local copy of who has which number: the phone directory mirror (src/mirror/), when the profile uses one. */
export interface LocalPhoneDirectory {
  /** The users with this number, or undefined while the copy cannot answer (loading, stale, off). */
  usersWith(e164: string): Array<{ id: number; name: string }> | undefined;
  /** A number the bridge created a user for or added to one: in the copy at once. */
  add(e164: string, user: { id: number; name: string }): void;
}

interface CacheEntry {
  userId?: number;
  name?: string;
  /** Set for cached negative results. */
  none?: 'not found' | 'ambiguous';
}

export interface CallerLookupOptions {
  helpdesk: HelpdeskPort;
  cache: Keyv<CacheEntry>;
  positiveTtlMs: number;
  negativeTtlMs: number;
  logger: Logger;
  /** Hears whether each lookup was answered from the cache (the daemon's metrics). */
  onCacheRead?: (hit: boolean) => void;
  /** While it answers, it replaces cache and search: a number it does not hold is unknown. */
  directory?: LocalPhoneDirectory;
}

/**
 * Number → Zendesk user, cached. One search per number at a time: calls from the same number
 * share the search in flight (single-flight), so a burst costs one request.
 */
export class CallerLookup {
  readonly #options: CallerLookupOptions;
  readonly #inFlight = new Map<string, Promise<LookupResult>>();
  readonly #log: Logger;
  /** The last cache read or write failed. */
  #cacheDown = false;

  constructor(options: CallerLookupOptions) {
    this.#options = options;
    this.#log = options.logger.child('calls');
  }

  lookup(e164: string, callId: string): Promise<LookupResult> {
    const running = this.#inFlight.get(e164);
    if (running) return running;
    const search = this.#lookup(e164, callId).finally(() => this.#inFlight.delete(e164));
    this.#inFlight.set(e164, search);
    return search;
  }

  /** A user the bridge created or learned (backfill): searchable at once, whatever Zendesk's index lag. */
  async remember(e164: string, user: Pick<HelpdeskUser, 'id' | 'name'>): Promise<void> {
    this.#options.directory?.add(e164, user);
    await this.#writeCache(e164, { userId: user.id, name: user.name }, this.#options.positiveTtlMs);
  }

  async #lookup(e164: string, callId: string): Promise<LookupResult> {
    const local = this.#options.directory?.usersWith(e164);
    if (local) return this.#fromDirectory(local, callId);
    const cached = await this.#readCache(e164);
    this.#options.onCacheRead?.(cached !== undefined);
    if (cached) return cached;
    let users: HelpdeskUser[];
    try {
      users = await this.#options.helpdesk.findUsersByPhone(e164);
    } catch (error) {
      // Not cached: the next call from this number searches again.
      this.#log.warn('caller lookup failed; caller treated as unknown', { callId, err: error });
      return { kind: 'unknown', reason: 'failed', cached: false };
    }
    const endUsers = users.filter((u) => u.role === 'end-user');
    if (endUsers.length === 1) {
      const user = endUsers[0]!;
      await this.remember(e164, user);
      return { kind: 'known', userId: user.id, name: user.name, cached: false };
    }
    const none = endUsers.length === 0 ? 'not found' : 'ambiguous';
    // A user created or learnt while this search ran (`remember`) is newer than the search's index.
    const meanwhile = await this.#readCache(e164);
    if (meanwhile?.kind === 'known') return meanwhile;
    if (none === 'ambiguous') this.#warnAmbiguous(callId, endUsers);
    await this.#writeCache(e164, { none }, this.#options.negativeTtlMs);
    return { kind: 'unknown', reason: none, cached: false };
  }

  #fromDirectory(users: Array<{ id: number; name: string }>, callId: string): LookupResult {
    if (users.length === 1)
      return { kind: 'known', userId: users[0]!.id, name: users[0]!.name, cached: true };
    if (users.length === 0) return { kind: 'unknown', reason: 'not found', cached: true };
    this.#warnAmbiguous(callId, users);
    return { kind: 'unknown', reason: 'ambiguous', cached: true };
  }

  /** The STARFACE FAQ's first case: which user the caller is, nobody can tell (docs/admin.md). */
  #warnAmbiguous(callId: string, users: ReadonlyArray<{ id: number }>): void {
    this.#log.warn('several Zendesk users have this number; caller treated as unknown', {
      callId,
      userIds: users.map((u) => u.id),
    });
  }

  async #readCache(e164: string): Promise<LookupResult | undefined> {
    let entry: CacheEntry | undefined;
    try {
      entry = await this.#options.cache.get(key(e164));
    } catch (error) {
      this.#cacheFailed('caller cache unreadable; searching Zendesk', error);
      return undefined;
    }
    this.#cacheWorks();
    if (!entry) return undefined;
    if (entry.userId !== undefined) {
      return { kind: 'known', userId: entry.userId, name: entry.name ?? '', cached: true };
    }
    return { kind: 'unknown', reason: entry.none ?? 'not found', cached: true };
  }

  /**
   * A cache that cannot be written (redis away, disk full) costs a later search, never the call:
   * the failure is logged and the lookup goes on.
   */
  async #writeCache(e164: string, entry: CacheEntry, ttlMs: number): Promise<void> {
    try {
      await this.#options.cache.set(key(e164), entry, ttlMs);
    } catch (error) {
      this.#cacheFailed('caller cache not written; the next call from this number searches Zendesk', error);
      return;
    }
    this.#cacheWorks();
  }

  /** The first failure is a warning; more while the cache stays down are debug lines. */
  #cacheFailed(msg: string, error: unknown): void {
    if (this.#cacheDown) {
      this.#log.debug(msg, { err: error });
      return;
    }
    this.#cacheDown = true;
    this.#log.warn(msg, { err: error });
  }

  #cacheWorks(): void {
    if (!this.#cacheDown) return;
    this.#cacheDown = false;
    this.#log.info('caller cache works again');
  }
}

function key(e164: string): string {
  return `caller:${e164}`;
}
