import type { SQLInputValue } from 'node:sqlite';
import { JournalDb } from '../util/journal-db.ts';

/**
 * Every recording and how far it got: recorded → attached → copied → expired, in an SQLite file
 * (`node:sqlite`, WAL; src/util/journal-db.ts) so a restart or a crash loses no state.
 * Attaching and copying are independent (Zendesk and the share fail independently), so each has
 * its own column; the state shown to admins is derived from them. A power cut may cost the last
 * commits: a lost "copied" is found on the share by its size next run, a lost "expired" meets
 * a file already gone.
 */

export type RecordingState = 'recording' | 'recorded' | 'attached' | 'copied' | 'expired' | 'failed';
export const RECORDING_STATES: readonly RecordingState[] = [
  'recording',
  'recorded',
  'attached',
  'copied',
  'expired',
  'failed',
];

/** Recordings the next copy run takes to the share: complete, not copied yet. */
export function pendingCopy(counts: Record<RecordingState, number>): number {
  return counts.recorded + counts.attached;
}

/** What the ticket comment says about the call. */
export interface RecordingFacts {
  queue: string;
  agent: string;
  callerNumber: string;
  holdSec: number;
  talkSec: number;
  endedBy: string;
}

export interface RecordingEntry {
  callId: string;
  /** Relative to the recordings directory: `2026/11/22/<call id>.wav`. */
  file: string;
  queue: string;
  startedAt: number;
  ticketId: number | undefined;
  facts: RecordingFacts | undefined;
  endedAt: number | undefined;
  /** Bytes, once the file is complete. */
  size: number | undefined;
  completedAt: number | undefined;
  /** Why the recording is not usable (missing, empty, never stopped growing); the file is kept. */
  problem: string | undefined;
  attachedAt: number | undefined;
  /** Set when attaching was settled without the file (too large, ticket closed): said on the ticket or here. */
  attachNote: string | undefined;
  attachTries: number;
  attachError: string | undefined;
  nextAttachAt: number | undefined;
  copiedAt: number | undefined;
  remotePath: string | undefined;
  expiredAt: number | undefined;
  state: RecordingState;
}

export type RunOrigin = 'schedule' | 'copy-now' | 'start';
export type RunOutcome = 'running' | 'ok' | 'partial' | 'failed' | 'interrupted';

export interface CopyRunRecord {
  id: number;
  origin: RunOrigin;
  startedAt: number;
  finishedAt: number | undefined;
  outcome: RunOutcome;
  copied: number;
  skipped: number;
  failed: number;
  expired: number;
  message: string | undefined;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS recordings (
  call_id TEXT PRIMARY KEY,
  file TEXT NOT NULL,
  queue TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  ticket_id INTEGER,
  facts TEXT,
  ended_at INTEGER,
  size INTEGER,
  completed_at INTEGER,
  problem TEXT,
  attached_at INTEGER,
  attach_note TEXT,
  attach_tries INTEGER NOT NULL DEFAULT 0,
  attach_error TEXT,
  next_attach_at INTEGER,
  copied_at INTEGER,
  remote_path TEXT,
  expired_at INTEGER
);
CREATE TABLE IF NOT EXISTS copy_runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  origin TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  outcome TEXT NOT NULL,
  copied INTEGER NOT NULL DEFAULT 0,
  skipped INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  expired INTEGER NOT NULL DEFAULT 0,
  message TEXT
);`;

const STATE_SQL = `CASE
  WHEN expired_at IS NOT NULL THEN 'expired'
  WHEN copied_at IS NOT NULL THEN 'copied'
  WHEN problem IS NOT NULL AND size IS NULL THEN 'failed'
  WHEN size IS NULL THEN 'recording'
  WHEN attached_at IS NOT NULL THEN 'attached'
  ELSE 'recorded' END`;

/** Attaching is settled: done, or given up with a note. Only then may a copied file expire. */
const ATTACH_SETTLED = '(attached_at IS NOT NULL OR attach_note IS NOT NULL)';

type Row = Record<string, SQLInputValue>;

export class RecordingJournal {
  readonly #db: JournalDb;

  private constructor(db: JournalDb) {
    this.#db = db;
  }

  get file(): string {
    return this.#db.file;
  }

  /** Opens (creating when missing) the journal; throws with the path when it cannot. */
  static open(file: string): RecordingJournal {
    return new RecordingJournal(JournalDb.open(file, { what: 'recordings journal', schema: SCHEMA }));
  }

  /** `<stateDirectory>/<profile>.journal.sqlite` */
  static fileFor(stateDirectory: string, profileName: string): string {
    return JournalDb.fileFor(stateDirectory, profileName);
  }

  close(): void {
    this.#db.close();
  }

  /** A recording began. A second start of the same call (an answer seen twice) changes nothing. */
  started(entry: { callId: string; file: string; queue: string; startedAt: number }): boolean {
    const result = this.#db.run(
      'INSERT INTO recordings (call_id, file, queue, started_at) VALUES (?, ?, ?, ?) ON CONFLICT(call_id) DO NOTHING',
      entry.callId,
      entry.file,
      entry.queue,
      entry.startedAt,
    );
    return result.changes > 0;
  }

  ticket(callId: string, ticketId: number): void {
    this.#db.run('UPDATE recordings SET ticket_id = ? WHERE call_id = ?', ticketId, callId);
  }

  ended(callId: string, endedAt: number, facts: RecordingFacts): void {
    this.#db.run(
      'UPDATE recordings SET ended_at = COALESCE(ended_at, ?), facts = ? WHERE call_id = ?',
      endedAt,
      JSON.stringify(facts),
      callId,
    );
  }

  completed(callId: string, size: number, at: number): void {
    this.#db.run(
      'UPDATE recordings SET size = ?, completed_at = ?, problem = NULL WHERE call_id = ?',
      size,
      at,
      callId,
    );
  }

  /** The recording cannot be used; the file (if any) stays. */
  failed(callId: string, problem: string): void {
    this.#db.run('UPDATE recordings SET problem = ? WHERE call_id = ? AND size IS NULL', problem, callId);
  }

  attached(callId: string, at: number, note?: string): void {
    this.#db.run(
      'UPDATE recordings SET attached_at = ?, attach_note = ?, attach_error = NULL, next_attach_at = NULL WHERE call_id = ?',
      at,
      note ?? null,
      callId,
    );
  }

  /** Attaching failed; retried from nextTryAt, or never when giveUp (then the note settles it). */
  attachFailed(callId: string, error: string, retry: { nextTryAt: number } | { giveUp: string }): void {
    if ('giveUp' in retry) {
      this.#db.run(
        'UPDATE recordings SET attach_tries = attach_tries + 1, attach_error = ?, attach_note = ?, next_attach_at = NULL WHERE call_id = ?',
        error,
        retry.giveUp,
        callId,
      );
    } else {
      this.#db.run(
        'UPDATE recordings SET attach_tries = attach_tries + 1, attach_error = ?, next_attach_at = ? WHERE call_id = ?',
        error,
        retry.nextTryAt,
        callId,
      );
    }
  }

  /** A verified copy (remote size = local size) exists at remotePath. */
  copied(callId: string, remotePath: string, at: number): void {
    this.#db.run(
      'UPDATE recordings SET copied_at = ?, remote_path = ? WHERE call_id = ?',
      at,
      remotePath,
      callId,
    );
  }

  /** The remote copy is gone or differs: copy again. */
  uncopied(callId: string): void {
    this.#db.run('UPDATE recordings SET copied_at = NULL WHERE call_id = ? AND expired_at IS NULL', callId);
  }

  expired(callId: string, at: number): void {
    this.#db.run(
      'UPDATE recordings SET expired_at = ? WHERE call_id = ? AND copied_at IS NOT NULL',
      at,
      callId,
    );
  }

  get(callId: string): RecordingEntry | undefined {
    const row = this.#db
      .statement(`SELECT *, ${STATE_SQL} AS state FROM recordings WHERE call_id = ?`)
      .get(callId) as Row | undefined;
    return row ? toEntry(row) : undefined;
  }

  /** Not complete and not failed: a restart must find out whether their files are done. */
  awaitingCompletion(): RecordingEntry[] {
    return this.#entries('size IS NULL AND problem IS NULL AND expired_at IS NULL', []);
  }

  /** Complete, with a ticket, not attached, not given up, due for a (re)try. */
  awaitingAttach(now: number): RecordingEntry[] {
    return this.#entries(
      `size IS NOT NULL AND ticket_id IS NOT NULL AND NOT ${ATTACH_SETTLED} AND expired_at IS NULL AND (next_attach_at IS NULL OR next_attach_at <= ?)`,
      [now],
    );
  }

  /** Complete and not yet copied: the copy run's work, oldest first. */
  awaitingCopy(): RecordingEntry[] {
    return this.#entries('size IS NOT NULL AND copied_at IS NULL AND expired_at IS NULL', []);
  }

  /** Copied, attach settled, completed before the cutoff: may be deleted once the copy is re-verified. */
  expirable(completedBefore: number): RecordingEntry[] {
    return this.#entries(
      `copied_at IS NOT NULL AND expired_at IS NULL AND ${ATTACH_SETTLED} AND completed_at < ?`,
      [completedBefore],
    );
  }

  /** Copied and old enough, but not attached yet: kept, and the status says why. */
  heldForAttach(completedBefore: number): number {
    const row = this.#db
      .statement(
        `SELECT COUNT(*) AS n FROM recordings WHERE copied_at IS NOT NULL AND expired_at IS NULL AND NOT ${ATTACH_SETTLED} AND completed_at < ?`,
      )
      .get(completedBefore) as { n: number };
    return row.n;
  }

  counts(): Record<RecordingState, number> {
    const counts = Object.fromEntries(RECORDING_STATES.map((s) => [s, 0])) as Record<RecordingState, number>;
    const rows = this.#db
      .statement(`SELECT ${STATE_SQL} AS state, COUNT(*) AS n FROM recordings GROUP BY state`)
      .all() as { state: RecordingState; n: number }[];
    for (const row of rows) counts[row.state] = row.n;
    return counts;
  }

  /** Recordings with a problem or an attach error, newest first, for the status output. */
  troubles(limit: number): RecordingEntry[] {
    return this.#entries(
      '(problem IS NOT NULL OR attach_error IS NOT NULL) AND expired_at IS NULL ORDER BY started_at DESC LIMIT ?',
      [limit],
      false,
    );
  }

  runStarted(origin: RunOrigin, at: number): number {
    const result = this.#db.run(
      "INSERT INTO copy_runs (origin, started_at, outcome) VALUES (?, ?, 'running')",
      origin,
      at,
    );
    return Number(result.lastInsertRowid);
  }

  runFinished(
    id: number,
    result: Omit<CopyRunRecord, 'id' | 'origin' | 'startedAt' | 'finishedAt'> & { finishedAt: number },
  ): void {
    this.#db.run(
      'UPDATE copy_runs SET finished_at = ?, outcome = ?, copied = ?, skipped = ?, failed = ?, expired = ?, message = ? WHERE id = ?',
      result.finishedAt,
      result.outcome,
      result.copied,
      result.skipped,
      result.failed,
      result.expired,
      result.message ?? null,
      id,
    );
  }

  /** Runs a crashed or killed process left 'running' are marked interrupted (at start-up). */
  interruptedRuns(at: number): number {
    return Number(
      this.#db.run(
        "UPDATE copy_runs SET outcome = 'interrupted', finished_at = ?, message = 'the daemon stopped during the run' WHERE outcome = 'running'",
        at,
      ).changes,
    );
  }

  lastRun(): CopyRunRecord | undefined {
    return this.runsSince(0).at(-1);
  }

  /** Runs started at or after `since`, oldest first. */
  runsSince(since: number): CopyRunRecord[] {
    const rows = this.#db
      .statement('SELECT * FROM copy_runs WHERE started_at >= ? ORDER BY id DESC LIMIT 50')
      .all(since) as Row[];
    return rows.reverse().map(toRun);
  }

  #entries(where: string, params: SQLInputValue[], ordered = true): RecordingEntry[] {
    const order = ordered ? ' ORDER BY started_at, call_id' : '';
    const rows = this.#db
      .statement(`SELECT *, ${STATE_SQL} AS state FROM recordings WHERE ${where}${order}`)
      .all(...params) as Row[];
    return rows.map(toEntry);
  }
}

function optionalNumber(value: SQLInputValue | undefined): number | undefined {
  return value === null || value === undefined ? undefined : Number(value);
}

function optionalText(value: SQLInputValue | undefined): string | undefined {
  return value === null || value === undefined ? undefined : String(value);
}

function toEntry(row: Row): RecordingEntry {
  const facts = optionalText(row.facts);
  return {
    callId: String(row.call_id),
    file: String(row.file),
    queue: String(row.queue),
    startedAt: Number(row.started_at),
    ticketId: optionalNumber(row.ticket_id),
    facts: facts === undefined ? undefined : (JSON.parse(facts) as RecordingFacts),
    endedAt: optionalNumber(row.ended_at),
    size: optionalNumber(row.size),
    completedAt: optionalNumber(row.completed_at),
    problem: optionalText(row.problem),
    attachedAt: optionalNumber(row.attached_at),
    attachNote: optionalText(row.attach_note),
    attachTries: Number(row.attach_tries ?? 0),
    attachError: optionalText(row.attach_error),
    nextAttachAt: optionalNumber(row.next_attach_at),
    copiedAt: optionalNumber(row.copied_at),
    remotePath: optionalText(row.remote_path),
    expiredAt: optionalNumber(row.expired_at),
    state: String(row.state) as RecordingState,
  };
}

function toRun(row: Row): CopyRunRecord {
  return {
    id: Number(row.id),
    origin: String(row.origin) as RunOrigin,
    startedAt: Number(row.started_at),
    finishedAt: optionalNumber(row.finished_at),
    outcome: String(row.outcome) as RunOutcome,
    copied: Number(row.copied),
    skipped: Number(row.skipped),
    failed: Number(row.failed),
    expired: Number(row.expired),
    message: optionalText(row.message),
  };
}
