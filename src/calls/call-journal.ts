import type { SQLInputValue } from 'node:sqlite';
import { JournalDb } from '../util/journal-db.ts';
import type { CallAnswered, CallEnded } from './events.ts';
import type { Requester } from './requester.ts';

/**
 * The Zendesk work each answered call owes, written before it is attempted and marked done once
 * Zendesk confirmed it: the ticket (with its pop), then the wrap-up (facts comment, backfill).
 * SQLite in WAL mode: a row written is in the WAL file before Zendesk is asked, so a SIGKILL or a
 * crash loses no call (synchronous=NORMAL: a power cut may lose the last commits). On start the
 * daemon replays what is not done. Rows of finished calls are
 * compacted away after a day.
 */

export interface JournaledCall {
  callId: string;
  answered: CallAnswered;
  ticketId: number | undefined;
  requester: Requester | undefined;
  /** Create attempts whose outcome was not a ticket (failed, or unknown after a timeout). */
  ticketAttempts: number;
  lastError: string | undefined;
  ended: CallEnded | undefined;
  wrapUpDueAt: number | undefined;
  wrappedUpAt: number | undefined;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS calls (
  call_id TEXT PRIMARY KEY,
  answered TEXT NOT NULL,
  ticket_id INTEGER,
  requester TEXT,
  ticket_attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  ended TEXT,
  wrap_up_due_at INTEGER,
  wrapped_up_at INTEGER,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS calls_open ON calls (wrapped_up_at);`;

type Row = Record<string, SQLInputValue>;

export class CallJournal {
  readonly #db: JournalDb;
  readonly #now: () => number;

  private constructor(db: JournalDb, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  get file(): string {
    return this.#db.file;
  }

  /** Opens (creating when missing) the journal; throws naming the path when it cannot. */
  static open(file: string, now: () => number = Date.now): CallJournal {
    return new CallJournal(JournalDb.open(file, { what: 'call journal', schema: SCHEMA }), now);
  }

  /** `<stateDirectory>/<profile>.journal.sqlite` (shared with the recordings journal). */
  static fileFor(stateDirectory: string, profileName: string): string {
    return JournalDb.fileFor(stateDirectory, profileName);
  }

  close(): void {
    this.#db.close();
  }

  /** The call was answered: from now on it is owed a ticket. False when it was journaled already. */
  answered(event: CallAnswered): boolean {
    const result = this.#db.run(
      'INSERT INTO calls (call_id, answered, updated_at) VALUES (?, ?, ?) ON CONFLICT(call_id) DO NOTHING',
      event.callId,
      JSON.stringify(event),
      this.#now(),
    );
    return result.changes > 0;
  }

  ticketCreated(callId: string, ticketId: number, requester: Requester): void {
    this.#db.run(
      'UPDATE calls SET ticket_id = ?, requester = ?, last_error = NULL, updated_at = ? WHERE call_id = ?',
      ticketId,
      JSON.stringify(requester),
      this.#now(),
      callId,
    );
  }

  /** An attempt that gave no ticket: failed, or its outcome is unknown (so look before creating again). */
  ticketFailed(callId: string, error: string): void {
    this.#db.run(
      'UPDATE calls SET ticket_attempts = ticket_attempts + 1, last_error = ?, updated_at = ? WHERE call_id = ?',
      error,
      this.#now(),
      callId,
    );
  }

  ended(event: CallEnded, wrapUpDueAt: number): void {
    this.#db.run(
      'UPDATE calls SET ended = COALESCE(ended, ?), wrap_up_due_at = COALESCE(wrap_up_due_at, ?), updated_at = ? WHERE call_id = ?',
      JSON.stringify(event),
      wrapUpDueAt,
      this.#now(),
      event.callId,
    );
  }

  wrappedUp(callId: string): void {
    this.#db.run(
      'UPDATE calls SET wrapped_up_at = ?, updated_at = ? WHERE call_id = ?',
      this.#now(),
      this.#now(),
      callId,
    );
  }

  get(callId: string): JournaledCall | undefined {
    const row = this.#db.statement('SELECT * FROM calls WHERE call_id = ?').get(callId) as Row | undefined;
    return row ? toCall(row) : undefined;
  }

  /** Calls whose work is not done: no ticket yet, or no wrap-up yet. Oldest first. */
  unfinished(): JournaledCall[] {
    const rows = this.#db
      .statement('SELECT * FROM calls WHERE wrapped_up_at IS NULL ORDER BY updated_at, call_id')
      .all() as Row[];
    return rows.map(toCall);
  }

  /** Answered calls still owed a ticket, and ended calls with a ticket still owed their wrap-up. */
  pending(): { tickets: number; wrapUps: number } {
    const row = this.#db
      .statement(
        `SELECT COALESCE(SUM(ticket_id IS NULL), 0) AS tickets,
                COALESCE(SUM(ticket_id IS NOT NULL AND ended IS NOT NULL), 0) AS wrapUps
         FROM calls WHERE wrapped_up_at IS NULL`,
      )
      .get() as { tickets: number; wrapUps: number };
    return { tickets: Number(row.tickets), wrapUps: Number(row.wrapUps) };
  }

  /** Removes calls wrapped up before `before`; returns how many. */
  compact(before: number): number {
    return Number(
      this.#db.run('DELETE FROM calls WHERE wrapped_up_at IS NOT NULL AND wrapped_up_at < ?', before).changes,
    );
  }
}

function toCall(row: Row): JournaledCall {
  const optional = (value: SQLInputValue | undefined) =>
    value === null || value === undefined ? undefined : value;
  const requester = optional(row.requester);
  const ended = optional(row.ended);
  const dueAt = optional(row.wrap_up_due_at);
  const wrappedAt = optional(row.wrapped_up_at);
  const ticketId = optional(row.ticket_id);
  const lastError = optional(row.last_error);
  return {
    callId: String(row.call_id),
    answered: JSON.parse(String(row.answered)) as CallAnswered,
    ticketId: ticketId === undefined ? undefined : Number(ticketId),
    requester: requester === undefined ? undefined : (JSON.parse(String(requester)) as Requester),
    ticketAttempts: Number(row.ticket_attempts),
    lastError: lastError === undefined ? undefined : String(lastError),
    ended: ended === undefined ? undefined : (JSON.parse(String(ended)) as CallEnded),
    wrapUpDueAt: dueAt === undefined ? undefined : Number(dueAt),
    wrappedUpAt: wrappedAt === undefined ? undefined : Number(wrappedAt),
  };
}
