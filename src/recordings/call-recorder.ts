import path from 'node:path';
import type { CountryCode } from 'libphonenumber-js';
import { parseCallerNumber } from '../calls/caller-number.ts';
import type { CallAnswered, CallEnded } from '../calls/events.ts';
import type { Logger } from '../log/logger.ts';
import { type Completion, waitForCompleteFile } from './file-completion.ts';
import type { RecordingJournal } from './recording-journal.ts';
import { insideDirectory, recordingRelativePath } from './recording-path.ts';

/** The one AMI action recording needs; AmiClient provides it. */
export interface MixMonitorPort {
  action(fields: Record<string, string>): Promise<{ get(key: string): string | undefined }>;
}

export interface CallRecorderOptions {
  ami: MixMonitorPort;
  journal: RecordingJournal;
  /** Where the bridge reads the files. */
  directory: string;
  /** The same directory as Asterisk sees it (MixMonitor's File is a path on the Asterisk host). */
  asteriskDirectory: string;
  /** Queues whose calls are recorded. */
  recordedQueues: ReadonlySet<string>;
  defaultCountry: CountryCode;
  settleMs: number;
  giveUpMs: number;
  logger: Logger;
  now?: () => number;
}

/**
 * Starts MixMonitor when an agent answers a call of a recorded queue and follows the file until it
 * is complete, writing each step to the journal. The completion of every call is available as a
 * promise, so the wrap-up comment can carry the recording without polling.
 */
export class CallRecorder {
  readonly #o: CallRecorderOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  /** What the answer told us, until the call ends (the ticket comment names agent and caller). */
  readonly #answered = new Map<string, CallAnswered>();
  readonly #completions = new Map<string, Promise<Completion>>();
  readonly #abort = new AbortController();

  constructor(options: CallRecorderOptions) {
    this.#o = options;
    this.#log = options.logger.child('recordings');
    this.#now = options.now ?? Date.now;
  }

  /** Absolute local path of a journal entry's file. */
  localPath(relative: string): string {
    return insideDirectory(this.#o.directory, relative);
  }

  /** Resolves when the call's recording is complete, failed, or unknown (no recording: undefined). */
  completion(callId: string): Promise<Completion> | undefined {
    return this.#completions.get(callId);
  }

  async answered(event: CallAnswered): Promise<void> {
    if (!this.#o.recordedQueues.has(event.queue)) return;
    const log = this.#log.with({ callId: event.callId, queue: event.queue });
    let relative: string;
    try {
      relative = recordingRelativePath(event.callId, event.at);
    } catch (error) {
      log.error('call not recorded', { err: error });
      return;
    }
    if (
      !this.#o.journal.started({
        callId: event.callId,
        file: relative,
        queue: event.queue,
        startedAt: event.at,
      })
    )
      return; // answered twice: the first answer started the recording
    this.#answered.set(event.callId, event);
    const file = path.posix.join(this.#o.asteriskDirectory, relative);
    try {
      const response = await this.#o.ami.action({
        Action: 'MixMonitor',
        Channel: event.channel,
        File: file,
        Options: '',
      });
      if (response.get('Response') !== 'Success') {
        throw new Error(
          `Asterisk answered ${response.get('Response') ?? 'nothing'}: ${response.get('Message') ?? ''}`,
        );
      }
      log.info('recording started', { file: relative, channel: event.channel });
    } catch (error) {
      const problem = `MixMonitor could not start: ${(error as Error).message}`;
      this.#o.journal.failed(event.callId, problem);
      log.error('call not recorded', { err: error, channel: event.channel });
    }
  }

  ticket(callId: string, ticketId: number): void {
    this.#o.journal.ticket(callId, ticketId);
  }

  /** The hangup: from now the file may be complete; watch it. */
  ended(event: CallEnded): void {
    const answered = this.#answered.get(event.callId);
    this.#answered.delete(event.callId);
    const entry = this.#o.journal.get(event.callId);
    if (!entry || entry.size !== undefined || entry.problem !== undefined) return;
    const caller = answered ? parseCallerNumber(answered.caller.num, this.#o.defaultCountry) : undefined;
    this.#o.journal.ended(event.callId, event.at, {
      queue: event.queue,
      agent: answered?.agent.name ?? 'unknown',
      callerNumber: caller === undefined ? 'unknown' : caller.kind === 'number' ? caller.e164 : caller.kind,
      holdSec: event.holdSec,
      talkSec: event.talkSec,
      endedBy: event.reason,
    });
    this.#watch(event.callId, entry.file);
  }

  /** After a restart: recordings whose completion was not seen are watched again (hangup assumed past). */
  resume(): void {
    for (const entry of this.#o.journal.awaitingCompletion()) {
      if (!this.#completions.has(entry.callId)) this.#watch(entry.callId, entry.file);
    }
  }

  /** The call's recording needs no more watching from memory (attached, or handed to the journal). */
  forget(callId: string): void {
    this.#completions.delete(callId);
  }

  /** Stops watching; entries not yet complete stay so in the journal and are resumed next start. */
  stop(): void {
    this.#abort.abort();
  }

  #watch(callId: string, relative: string): void {
    const log = this.#log.with({ callId, file: relative });
    const completion = waitForCompleteFile(this.localPath(relative), {
      settleMs: this.#o.settleMs,
      giveUpMs: this.#o.giveUpMs,
      signal: this.#abort.signal,
      now: this.#now,
    }).then((result) => {
      this.#record(callId, result, log);
      return result;
    });
    this.#completions.set(callId, completion);
  }

  #record(callId: string, result: Completion, log: Logger): void {
    switch (result.kind) {
      case 'complete':
        this.#o.journal.completed(callId, result.size, this.#now());
        log.info('recording complete', { bytes: result.size });
        return;
      case 'aborted':
        return;
      case 'missing':
        this.#fail(
          callId,
          log,
          `the recording file never appeared (waited ${this.#o.giveUpMs / 1000} s after the hangup)`,
        );
        return;
      case 'empty':
        this.#fail(callId, log, `the recording is empty (${result.size} bytes, no audio); the file is kept`);
        return;
      case 'growing':
        this.#fail(
          callId,
          log,
          `the recording was still growing ${this.#o.giveUpMs / 1000} s after the hangup (${result.size} bytes); the file is kept`,
        );
        return;
    }
  }

  #fail(callId: string, log: Logger, problem: string): void {
    this.#o.journal.failed(callId, problem);
    log.error('recording unusable', { problem });
  }
}
