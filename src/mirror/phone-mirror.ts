import { setTimeout as sleepFor } from 'node:timers/promises';
import type { CountryCode } from 'libphonenumber-js';
import type { LocalPhoneDirectory } from '../calls/caller-lookup.ts';
import { parseCallerNumber } from '../calls/caller-number.ts';
import type { HelpdeskUser } from '../calls/ports.ts';
import type { Logger } from '../log/logger.ts';
import { keyOf, PhoneBook } from './phone-book.ts';
import { type ExportFrom, type ExportPage, ExportRefused, type UserExportPort } from './ports.ts';

export interface MirrorTiming {
  /** Between two polls for changes (default 60 s). */
  pollMs?: number;
  /** At least this long between two export requests (default 6 s: Zendesk allows 10 a minute). */
  requestGapMs?: number;
  /** Waits before a failed page of the load is tried again (default 30 s, doubling to 5 min). */
  retry?: { firstMs: number; maxMs: number };
}

/** Time as the mirror sees it: staleness and request spacing (tests run it on a manual clock). */
export interface MirrorClock {
  now(): number;
  /** Rejects (or resolves early) when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

const realClock: MirrorClock = {
  now: () => Date.now(),
  sleep: (ms, signal) => sleepFor(ms, undefined, { signal }),
};

export interface PhoneMirrorOptions {
  source: UserExportPort;
  /** Numbers stored without a country code belong to this country. */
  defaultCountry: CountryCode;
  /** Beyond this many numbers the mirror switches itself off: lookups search Zendesk again. */
  maxNumbers: number;
  /** Without a successful poll for longer than this, lookups search Zendesk again. */
  staleAfterMs: number;
  logger: Logger;
  timing?: MirrorTiming;
  clock?: MirrorClock;
}

/** idle → loading → ready; off for good (this run) when over the cap or refused access. */
export type MirrorState = 'idle' | 'loading' | 'ready' | 'off';

/** Bounds a runaway `end_of_stream: false`: 100 million users at 1,000 a page. */
const MAX_PAGES = 100_000;
/** A failing load retries for days at the longest wait before it gives up. */
const MAX_LOAD_ATTEMPTS = 1_000;
/**
 * A number the bridge added stays in force this long even if an export row without it arrives:
 * Zendesk exports a change only once it is a minute old, so a row read meanwhile can predate it.
 */
const RECENT_ADD_MS = 10 * 60_000;
const MAX_RECENT_ADDS = 10_000;

interface Build {
  book: PhoneBook;
  staff: Map<number, 'agent' | 'admin'>;
  from: ExportFrom;
  exported: number;
  pages: number;
  /** Stored numbers no notation could be read from, in this load. */
  unreadable: number;
  startedAt: number;
}

/**
 * A copy of who has which phone number in Zendesk, so that a caller's first call costs no search.
 * Loaded through the incremental user export when it starts (in the background; lookups search
 * Zendesk meanwhile), then polled for changes every minute: one request when nothing changed.
 * It answers only while it is complete and fresh; a number it does not hold then means an unknown
 * caller. See docs/lookup.md for the trade-offs.
 */
export class PhoneMirror implements LocalPhoneDirectory {
  readonly #o: PhoneMirrorOptions;
  readonly #log: Logger;
  readonly #clock: MirrorClock;
  readonly #pollMs: number;
  readonly #gapMs: number;
  readonly #retry: { firstMs: number; maxMs: number };
  readonly #stopping = new AbortController();
  #state: MirrorState = 'idle';
  #book: PhoneBook | undefined;
  #staff = new Map<number, 'agent' | 'admin'>();
  /** Where the polls read on: the cursor after the last page read (none before the first load). */
  #position: { from: ExportFrom } | undefined;
  #build: Build | undefined;
  #freshAt = Number.NEGATIVE_INFINITY;
  #staleWarned = false;
  #pollFailures = 0;
  #lastRequestAt = Number.NEGATIVE_INFINITY;
  #partialWarned = false;
  readonly #recent = new Map<number, { name: string; keys: Set<number>; at: number }>();
  #pollTimer: NodeJS.Timeout | undefined;

  constructor(options: PhoneMirrorOptions) {
    this.#o = options;
    this.#log = options.logger.child('sync');
    this.#clock = options.clock ?? realClock;
    this.#pollMs = options.timing?.pollMs ?? 60_000;
    this.#gapMs = options.timing?.requestGapMs ?? 6_000;
    this.#retry = options.timing?.retry ?? { firstMs: 30_000, maxMs: 5 * 60_000 };
  }

  get state(): MirrorState {
    return this.#state;
  }

  /** Loads in the background, then polls every minute until `stop()`. */
  start(): void {
    if (this.#state !== 'idle') return;
    this.#state = 'loading';
    this.#log.info('phone directory mirror loading; caller lookups search Zendesk until it is complete');
    void this.#loadWithRetries().then((ready) => {
      if (ready) this.#schedulePoll();
    });
  }

  /**
   * Ends the waits and the polling. A page still on the wire is not waited for: its answer lands
   * in a copy nobody reads any more.
   */
  stop(): void {
    this.#stopping.abort();
    clearTimeout(this.#pollTimer);
  }

  usersWith(e164: string): Array<{ id: number; name: string }> | undefined {
    const key = keyOf(e164);
    const book = this.#book;
    if (key === undefined || !book || !this.#answering()) return undefined;
    return book.usersWith(key).map((id) => ({ id, name: book.nameOf(id) ?? '' }));
  }

  /**
   * The user as the backfill needs them, without a request, while the mirror answers: an agent
   * or admin; an end user with their numbers; anyone else is an end user without a number (or
   * deleted, which adding a number then reports).
   */
  userFor(userId: number): (HelpdeskUser & { phones: string[] }) | undefined {
    const book = this.#book;
    if (!book || !this.#answering()) return undefined;
    const staffRole = this.#staff.get(userId);
    if (staffRole) return { id: userId, name: '', role: staffRole, phones: [] };
    return {
      id: userId,
      name: book.nameOf(userId) ?? '',
      role: 'end-user',
      phones: book.numbersOf(userId).map((key) => `+${key}`),
    };
  }

  /** A user the bridge created or a number it added: in the mirror at once, whatever the export's lag. */
  add(e164: string, user: { id: number; name: string }): void {
    const key = keyOf(e164);
    if (key === undefined || this.#state === 'off') return;
    const recent = this.#recent.get(user.id) ?? { name: user.name, keys: new Set<number>(), at: 0 };
    recent.keys.add(key);
    recent.at = this.#clock.now();
    this.#recent.set(user.id, recent);
    if (this.#recent.size > MAX_RECENT_ADDS) this.#forgetOldAdds(true);
    this.#build?.book.add(user.id, user.name, key);
    if (this.#book?.add(user.id, user.name, key)) this.#checkCap(this.#book);
  }

  /**
   * The whole export from the beginning, into a new book that replaces the served one once
   * complete. A failed page throws; the next call resumes at that page.
   */
  async load(): Promise<boolean> {
    this.#build ??= {
      book: new PhoneBook(),
      staff: new Map(),
      from: { startTime: 0 },
      exported: 0,
      pages: 0,
      unreadable: 0,
      startedAt: this.#clock.now(),
    };
    const build = this.#build;
    const done = await this.#readToEnd(build, build.book, build.staff, (users, unreadable) => {
      build.exported += users;
      build.pages++;
      build.unreadable += unreadable;
    });
    if (done) this.#finishLoad(build);
    return done;
  }

  /** Changes since the last page read, until the end of the stream: one request when nothing changed. */
  async poll(): Promise<void> {
    const book = this.#book;
    const position = this.#position;
    if (this.#state !== 'ready' || !book || !position) return;
    if (await this.#readToEnd(position, book, this.#staff)) this.#freshAt = this.#clock.now();
  }

  /**
   * Pages from `at.from` to the end of the stream into `book`, moving `at.from` on with each
   * cursor (so a failed page is where the next try resumes). False when stopping or switched off.
   */
  async #readToEnd(
    at: { from: ExportFrom },
    book: PhoneBook,
    staff: Map<number, 'agent' | 'admin'>,
    onPage?: (users: number, unreadable: number) => void,
  ): Promise<boolean> {
    for (let page = 0; page < MAX_PAGES; page++) {
      if (!(await this.#pace())) return false;
      const answer = await this.#o.source.page(at.from);
      const unreadable = this.#apply(answer, book, staff);
      onPage?.(answer.users.length, unreadable);
      if (!this.#checkCap(book)) return false;
      if (answer.afterCursor) at.from = { cursor: answer.afterCursor };
      if (answer.endOfStream) return true;
      if (!answer.afterCursor)
        throw new Error('an export page without after_cursor before the end of the stream');
    }
    throw new Error(`the user export did not end within ${MAX_PAGES} pages`);
  }

  #answering(): boolean {
    return this.#state === 'ready' && this.#clock.now() - this.#freshAt <= this.#o.staleAfterMs;
  }

  #finishLoad(build: Build): void {
    const firstLoad = this.#book === undefined;
    this.#book = build.book;
    this.#staff = build.staff;
    this.#position = 'cursor' in build.from ? { from: build.from } : undefined;
    this.#build = undefined;
    this.#state = 'ready';
    this.#freshAt = this.#clock.now();
    this.#log.info(
      firstLoad
        ? 'phone directory mirror loaded; caller lookups are answered from it'
        : 'phone directory mirror loaded again',
      {
        exportedUsers: build.exported,
        pages: build.pages,
        customers: build.book.users,
        numbers: build.book.numbers,
        unreadableNumbers: build.unreadable,
        megabytes: Math.round(build.book.bytes / 100_000) / 10,
        seconds: Math.round((this.#clock.now() - build.startedAt) / 100) / 10,
      },
    );
  }

  /** Puts a page's users into `book` and `staff`; returns how many stored numbers were unreadable. */
  #apply(page: ExportPage, book: PhoneBook, staff: Map<number, 'agent' | 'admin'>): number {
    if (!page.allPhones && !this.#partialWarned) {
      this.#partialWarned = true;
      this.#log.warn(
        'the user export came without sideloaded identities; only each user’s primary number is mirrored',
      );
    }
    this.#forgetOldAdds(false);
    let unreadable = 0;
    for (const user of page.users) {
      if (!user.active || user.role !== 'end-user') {
        // Deleted, or an agent now: never a caller to match, never a backfill target.
        book.delete(user.id);
        if (user.active && user.role !== 'end-user') staff.set(user.id, user.role);
        else staff.delete(user.id);
        continue;
      }
      staff.delete(user.id);
      const keys: number[] = [];
      for (const phone of user.phones) {
        const key = this.#keyOfStored(phone);
        if (key === undefined) unreadable++;
        else keys.push(key);
      }
      const recent = this.#recent.get(user.id);
      if (recent) keys.push(...recent.keys);
      book.set(user.id, user.name, keys);
    }
    return unreadable;
  }

  /** Stored numbers are in any notation; national ones belong to the profile's country. */
  #keyOfStored(phone: string): number | undefined {
    const parsed = parseCallerNumber(phone, this.#o.defaultCountry);
    return parsed.kind === 'number' ? keyOf(parsed.e164) : undefined;
  }

  #forgetOldAdds(all: boolean): void {
    const before = this.#clock.now() - RECENT_ADD_MS;
    for (const [id, add] of this.#recent) {
      if (all || add.at < before) this.#recent.delete(id);
      if (all && this.#recent.size <= MAX_RECENT_ADDS / 2) return;
    }
  }

  /** False (and off) when the book grew beyond the cap. */
  #checkCap(book: PhoneBook): boolean {
    if (book.numbers <= this.#o.maxNumbers) return true;
    this.#switchOff(
      'phone directory mirror switched off: Zendesk has more phone numbers than lookup.mirror.maxNumbers; caller lookups search Zendesk',
      {
        numbers: book.numbers,
        maxNumbers: this.#o.maxNumbers,
      },
    );
    return false;
  }

  #switchOff(msg: string, fields: Record<string, unknown>): void {
    this.#state = 'off';
    this.#book = undefined;
    this.#build = undefined;
    this.#staff = new Map();
    this.#recent.clear();
    clearTimeout(this.#pollTimer);
    this.#log.warn(msg, fields);
  }

  /** Zendesk refusing the export itself (not an admin): no retry can help. */
  #offIfNoAccess(error: unknown): boolean {
    if (!(error instanceof ExportRefused && error.reason === 'no access')) return false;
    this.#switchOff(
      'phone directory mirror switched off: Zendesk refuses the user export (it needs an admin); caller lookups search Zendesk',
      { err: error },
    );
    return true;
  }

  /** Keeps export requests `requestGapMs` apart. False when the mirror is stopping. */
  async #pace(): Promise<boolean> {
    const wait = this.#lastRequestAt + this.#gapMs - this.#clock.now();
    if (wait > 0 && !(await this.#sleep(wait))) return false;
    if (this.#stopping.signal.aborted || this.#state === 'off') return false;
    this.#lastRequestAt = this.#clock.now();
    return true;
  }

  async #sleep(ms: number): Promise<boolean> {
    try {
      await this.#clock.sleep(ms, this.#stopping.signal);
    } catch {
      return false;
    }
    return !this.#stopping.signal.aborted;
  }

  async #loadWithRetries(): Promise<boolean> {
    let waitMs = this.#retry.firstMs;
    for (let attempt = 1; attempt <= MAX_LOAD_ATTEMPTS; attempt++) {
      try {
        return await this.load();
      } catch (error) {
        if (this.#offIfNoAccess(error)) return false;
        // A start the export does not take: begin again from scratch rather than resume.
        if (error instanceof ExportRefused) this.#build = undefined;
        this.#log.warn('phone directory mirror: an export page failed; trying again', {
          err: error,
          attempt,
          inMs: waitMs,
        });
        if (!(await this.#sleep(waitMs))) return false;
        waitMs = Math.min(this.#retry.maxMs, waitMs * 2);
      }
    }
    this.#switchOff('phone directory mirror switched off: the user export kept failing', {
      attempts: MAX_LOAD_ATTEMPTS,
    });
    return false;
  }

  #schedulePoll(): void {
    if (this.#stopping.signal.aborted || this.#state === 'off') return;
    this.#pollTimer = setTimeout(() => {
      void this.#pollOnce().finally(() => this.#schedulePoll());
    }, this.#pollMs);
  }

  async #pollOnce(): Promise<void> {
    try {
      await this.poll();
    } catch (error) {
      await this.#pollFailed(error);
      return;
    }
    this.#pollFailures = 0;
    if (this.#staleWarned && this.#answering()) {
      this.#staleWarned = false;
      this.#log.info('phone directory mirror is fresh again; caller lookups are answered from it');
    }
  }

  async #pollFailed(error: unknown): Promise<void> {
    if (this.#offIfNoAccess(error)) return;
    this.#pollFailures++;
    if (this.#pollFailures === 1)
      this.#log.warn('phone directory mirror: polling for changes failed', { err: error });
    else this.#log.debug('phone directory mirror: polling for changes failed again', { err: error });
    if (!this.#answering() && !this.#staleWarned) {
      this.#staleWarned = true;
      this.#log.warn('phone directory mirror is stale; caller lookups search Zendesk until a poll succeeds', {
        staleAfterMinutes: this.#o.staleAfterMs / 60_000,
      });
    }
    if (error instanceof ExportRefused) {
      // The cursor is no longer taken: read everything again. The old copy answers until stale.
      this.#log.warn('phone directory mirror: Zendesk refused the export cursor; loading everything again');
      await this.#loadWithRetries();
    }
  }
}
