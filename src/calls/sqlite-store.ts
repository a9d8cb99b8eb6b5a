import { DatabaseSync, type StatementSync } from 'node:sqlite';

/**
 * A keyv store on Node's built-in SQLite (`node:sqlite`): no native add-on to compile (see
 * README, Dependencies). Expired rows are purged on open and hourly, not only when read.
 */
export class SqliteKeyvStore {
  readonly #db: DatabaseSync;
  readonly #get: StatementSync;
  readonly #set: StatementSync;
  readonly #delete: StatementSync;
  readonly #purge: StatementSync;
  readonly #timer: NodeJS.Timeout;
  readonly namespace = undefined;

  constructor(file: string, now: () => number = Date.now) {
    this.#db = new DatabaseSync(file);
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
    const purge = () => this.#purge.run(now());
    purge();
    this.#timer = setInterval(purge, 3_600_000);
    this.#timer.unref();
    this.now = now;
  }

  readonly now: () => number;

  get(key: string): string | undefined {
    const row = this.#get.get(key, this.now()) as { value: string } | undefined;
    return row?.value;
  }

  set(key: string, value: string, ttl?: number): boolean {
    this.#set.run(key, value, ttl ? this.now() + ttl : null);
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

  close(): void {
    clearInterval(this.#timer);
    this.#db.close();
  }
}
