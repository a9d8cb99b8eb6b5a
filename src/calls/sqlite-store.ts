import { DatabaseSync, type StatementSync } from 'node:sqlite';

/** Expired rows are deleted this often while the file is open (and always on open). */
const PURGE_INTERVAL_MS = 3_600_000;

/**
 * A keyv store on Node's built-in SQLite (`node:sqlite`): no native add-on to compile (see
 * README, Dependencies). One table, `cache (key, value, expires)`, in WAL mode. Expired rows are
 * hidden at once and purged on open and hourly, so the file does not grow with every number
 * that ever called.
 *
 * Calls are synchronous (a row by primary key: microseconds); keyv awaits them all the same, and
 * a failure (disk full, file removed) is a rejected keyv call.
 */
export class SqliteKeyvStore {
  readonly #db: DatabaseSync;
  readonly #get: StatementSync;
  readonly #set: StatementSync;
  readonly #delete: StatementSync;
  readonly #purge: StatementSync;
  readonly #timer: NodeJS.Timeout;
  readonly #now: () => number;
  #open = true;
  /** Set by keyv; keys arrive already prefixed with it. */
  namespace: string | undefined = undefined;

  /** Throws when the file cannot be opened or is not an SQLite database. */
  constructor(file: string, now: () => number = Date.now) {
    this.#now = now;
    this.#db = new DatabaseSync(file);
    try {
      this.#db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
      this.#db.exec(
        'CREATE TABLE IF NOT EXISTS cache (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires INTEGER)',
      );
      this.#get = this.#db.prepare(
        'SELECT value FROM cache WHERE key = ? AND (expires IS NULL OR expires > ?)',
      );
      this.#set = this.#db.prepare(
        'INSERT INTO cache (key, value, expires) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires = excluded.expires',
      );
      this.#delete = this.#db.prepare('DELETE FROM cache WHERE key = ?');
      this.#purge = this.#db.prepare('DELETE FROM cache WHERE expires IS NOT NULL AND expires <= ?');
      this.purgeExpired();
    } catch (error) {
      this.#db.close();
      throw error;
    }
    this.#timer = setInterval(() => {
      try {
        this.purgeExpired();
      } catch {
        // A failing purge is retried next hour; reads hide expired rows regardless.
      }
    }, PURGE_INTERVAL_MS);
    this.#timer.unref();
  }

  /** Deletes the expired rows; returns how many. */
  purgeExpired(): number {
    return Number(this.#purge.run(this.#now()).changes);
  }

  get(key: string): string | undefined {
    const row = this.#get.get(key, this.#now()) as { value: string } | undefined;
    return row?.value;
  }

  set(key: string, value: string, ttl?: number): boolean {
    this.#set.run(key, value, ttl ? Math.ceil(this.#now() + ttl) : null);
    return true;
  }

  delete(key: string): boolean {
    return this.#delete.run(key).changes > 0;
  }

  clear(): void {
    this.#db.exec('DELETE FROM cache');
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** Idempotent. */
  close(): void {
    if (!this.#open) return;
    this.#open = false;
    clearInterval(this.#timer);
    this.#db.close();
  }
}
