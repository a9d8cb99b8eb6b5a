import { setTimeout as sleep } from 'node:timers/promises';
import type { CallRecordingsPort, HelpdeskPort, RecordingAttachment } from '../calls/ports.ts';
import { callFactsComment } from '../calls/ticket-text.ts';
import type { Logger } from '../log/logger.ts';
import type { CallRecorder } from './call-recorder.ts';
import type { RecordingEntry, RecordingJournal } from './recording-journal.ts';

/** Zendesk's limit per attachment (api-reference/ticketing/tickets/ticket-attachments). */
export const MAX_ATTACHMENT_BYTES = 50 * 1024 * 1024;
const RETRY_BASE_MS = 60_000;
const RETRY_CAP_MS = 30 * 60_000;
/** Bounds one sweep; the rest waits for the next. */
const MAX_PER_SWEEP = 20;

export interface RecordingAttacherOptions {
  helpdesk: Pick<HelpdeskPort, 'uploadFile' | 'addPrivateComment'>;
  journal: RecordingJournal;
  recorder: Pick<CallRecorder, 'completion' | 'localPath' | 'forget'>;
  /** How long the wrap-up waits for a recording that is not complete yet. */
  wrapUpWaitMs: number;
  /** Calls of this process get their recording with the wrap-up comment; the sweep leaves them this long. */
  graceMs: number;
  sweepIntervalMs?: number;
  maxBytes?: number;
  logger: Logger;
  now?: () => number;
}

interface Prepared {
  attachment: RecordingAttachment;
  /** Set when the file could not be attached (too large): the note settles the entry. */
  settledNote: string | undefined;
}

/**
 * Puts each complete recording on its call's ticket: with the wrap-up's call-facts comment when it
 * is ready by then (no extra comment), otherwise in a comment of its own with the same facts, on a
 * sweep that also retries after Zendesk failures and picks up what a restart left behind.
 */
export class RecordingAttacher implements CallRecordingsPort {
  readonly #o: RecordingAttacherOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #maxBytes: number;
  /** Calls whose attachment is being prepared or saved right now: never twice at once. */
  readonly #claimed = new Map<string, Prepared | undefined>();
  #timer: NodeJS.Timeout | undefined;
  #sweeping: Promise<void> | undefined;
  #stopped = false;

  constructor(options: RecordingAttacherOptions) {
    this.#o = options;
    this.#log = options.logger.child('recordings');
    this.#now = options.now ?? Date.now;
    this.#maxBytes = options.maxBytes ?? MAX_ATTACHMENT_BYTES;
  }

  start(): void {
    this.#timer = setInterval(() => void this.sweep(), this.#o.sweepIntervalMs ?? 30_000);
    this.#timer.unref();
    void this.sweep();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#sweeping;
  }

  async attachmentFor(callId: string): Promise<RecordingAttachment | undefined> {
    let entry = this.#o.journal.get(callId);
    if (!entry || this.#claimed.has(callId) || entry.attachedAt !== undefined) return undefined;
    if (entry.size === undefined) {
      const completion = this.#o.recorder.completion(callId);
      if (!completion) return undefined;
      await Promise.race([completion, sleep(this.#o.wrapUpWaitMs, undefined, { ref: false })]);
      entry = this.#o.journal.get(callId);
      if (!entry || entry.size === undefined || this.#claimed.has(callId)) return undefined;
    }
    this.#claimed.set(callId, undefined);
    try {
      const prepared = await this.#prepare(entry);
      this.#claimed.set(callId, prepared);
      return prepared.attachment;
    } catch (error) {
      this.#claimed.delete(callId);
      this.#failed(entry, error);
      return undefined;
    }
  }

  attachmentSaved(callId: string, saved: boolean): void {
    if (!this.#claimed.has(callId)) return;
    const prepared = this.#claimed.get(callId);
    this.#claimed.delete(callId);
    if (saved) {
      this.#o.journal.attached(callId, this.#now(), prepared?.settledNote);
      this.#o.recorder.forget(callId);
      this.#log.info('recording attached to the ticket with the call facts', { callId });
    } else {
      this.#o.journal.attachFailed(callId, 'the wrap-up comment was not saved', { nextTryAt: this.#now() });
    }
  }

  /** Attaches what is due; one sweep at a time. */
  sweep(): Promise<void> {
    this.#sweeping ??= this.#sweep()
      .catch((error: unknown) => this.#log.error('attaching recordings failed', { err: error }))
      .finally(() => {
        this.#sweeping = undefined;
      });
    return this.#sweeping;
  }

  async #sweep(): Promise<void> {
    const now = this.#now();
    const due = this.#o.journal
      .awaitingAttach(now)
      .filter((e) => !this.#claimed.has(e.callId) && (e.completedAt ?? 0) + this.#o.graceMs <= now)
      .slice(0, MAX_PER_SWEEP);
    for (const entry of due) {
      if (this.#stopped) return;
      await this.#attachAlone(entry);
    }
  }

  async #attachAlone(entry: RecordingEntry): Promise<void> {
    const ticketId = entry.ticketId;
    if (ticketId === undefined) return;
    this.#claimed.set(entry.callId, undefined);
    try {
      const prepared = await this.#prepare(entry);
      const facts = entry.facts ? callFactsComment(entry.facts) : `Call ${entry.callId} (cti-bridge)`;
      await this.#o.helpdesk.addPrivateComment(
        ticketId,
        `${facts}\n\n${prepared.attachment.note}`,
        prepared.attachment.uploads,
      );
      this.#o.journal.attached(entry.callId, this.#now(), prepared.settledNote);
      this.#o.recorder.forget(entry.callId);
      this.#log.info('recording attached to the ticket', { callId: entry.callId, ticketId });
    } catch (error) {
      this.#failed(entry, error);
    } finally {
      this.#claimed.delete(entry.callId);
    }
  }

  async #prepare(entry: RecordingEntry): Promise<Prepared> {
    const size = entry.size ?? 0;
    const name = entry.file.split('/').at(-1) ?? `${entry.callId}.wav`;
    if (size > this.#maxBytes) return tooLarge(entry, size, this.#maxBytes);
    try {
      const token = await this.#o.helpdesk.uploadFile({
        path: this.#o.recorder.localPath(entry.file),
        name,
        contentType: 'audio/wav',
        size,
      });
      return {
        attachment: { uploads: [token], note: `Recording: ${name} (${megabytes(size)}) attached.` },
        settledNote: undefined,
      };
    } catch (error) {
      // Zendesk's own limit may be lower than ours: say so on the ticket instead.
      if ((error as { status?: unknown }).status === 413) return tooLarge(entry, size, this.#maxBytes);
      throw error;
    }
  }

  #failed(entry: RecordingEntry, error: unknown): void {
    const message = (error as Error).message ?? String(error);
    const log = this.#log.with({ callId: entry.callId, ticketId: entry.ticketId });
    if ((error as { retryable?: unknown }).retryable === false) {
      const note = `Zendesk refused the recording: ${message}`;
      this.#o.journal.attachFailed(entry.callId, message, { giveUp: note });
      log.error('recording not attached; Zendesk refused it for good (the file is kept and copied)', {
        err: error,
      });
      return;
    }
    const waitMs = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** entry.attachTries);
    this.#o.journal.attachFailed(entry.callId, message, { nextTryAt: this.#now() + waitMs });
    log.warn('recording not attached yet; will retry', { err: error, retryInMs: waitMs });
  }
}

function tooLarge(entry: RecordingEntry, size: number, maxBytes: number): Prepared {
  const note = `Recording: ${entry.file.split('/').at(-1)} (${megabytes(size)}) is over the ${megabytes(maxBytes)} attachment limit, so it is not attached here; it is kept and copied to the recordings share (RecordedCalls/${entry.file}).`;
  return { attachment: { uploads: [], note }, settledNote: note };
}

function megabytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return mb >= 1 ? `${mb.toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`;
}
