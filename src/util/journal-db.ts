import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';

/**
 * The SQLite file both journals live in (`<stateDirectory>/<profile>.journal.sqlite`), one
 * connection per journal. WAL with synchronous=NORMAL: a commit is in the WAL file before the next
 * step, so a killed process loses nothing; a power cut may cost the last commits, which every
 * journal step tolerates (docs/reliability.md). FULL would fsync each write, and both journals
 * write on the answer path (the call's answer; a recorded call's MixMonitor entry).
 */
export class JournalDb {
  readonly file: string;
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();

  private constructor(file: string, db: DatabaseSync) {
    this.file = file;
    this.#db = db;
  }

  /** Opens (creating the file and its directory when missing); throws naming `what` and the path. */
  static open(file: string, options: { what: string; schema: string }): JournalDb {
    let db: DatabaseSync | undefined;
    try {
      mkdirSync(path.dirname(file), { recursive: true, mode: 0o750 });
      db = new DatabaseSync(file);
      db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;`);
      db.exec(options.schema);
    } catch (error) {
      if (db?.isOpen) db.close();
      throw new Error(`cannot open the ${options.what} ${file}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return new JournalDb(file, db);
  }

  /** `<stateDirectory>/<profile>.journal.sqlite` */
  static fileFor(stateDirectory: string, profileName: string): string {
    return path.join(stateDirectory, `${profileName}.journal.sqlite`);
  }

  run(sql: string, ...params: SQLInputValue[]) {
    return this.statement(sql).run(...params);
  }

  /** Prepared once per SQL text, reused afterwards. */
  statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}
