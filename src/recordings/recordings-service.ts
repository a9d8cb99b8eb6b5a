import type { CountryCode } from 'libphonenumber-js';
import type { CallEvent } from '../calls/events.ts';
import type { HelpdeskPort } from '../calls/ports.ts';
import type { ResolvedProfile } from '../config/config-dir.ts';
import type { Logger } from '../log/logger.ts';
import { createShareTransport } from '../share/create-share-transport.ts';
import type { ShareTransport } from '../share/share-transport.ts';
import { CallRecorder, type MixMonitorPort } from './call-recorder.ts';
import { type CopyRunResult, runCopy } from './copy-run.ts';
import { CopyScheduler } from './copy-scheduler.ts';
import { RecordingAttacher } from './recording-attacher.ts';
import { RecordingJournal } from './recording-journal.ts';

export interface RecordingsDeps {
  ami: MixMonitorPort;
  helpdesk: Pick<HelpdeskPort, 'uploadFile' | 'addPrivateComment'>;
  logger: Logger;
  now?: () => number;
}

/**
 * Everything about recordings while a profile runs: MixMonitor on answer, completion, the journal,
 * attaching to tickets, and the scheduled copy to the share with retention.
 */
export class RecordingsService {
  readonly journal: RecordingJournal;
  readonly recorder: CallRecorder;
  readonly attacher: RecordingAttacher;
  readonly #profile: ResolvedProfile;
  readonly #log: Logger;
  readonly #logger: Logger;
  readonly #now: () => number;
  #transport: ShareTransport | undefined;
  #scheduler: CopyScheduler | undefined;
  #stopped = false;

  /** Undefined when the profile records no queue and copies nothing: then nothing is opened. */
  static fromProfile(profile: ResolvedProfile, deps: RecordingsDeps): RecordingsService | undefined {
    const records = Object.values(profile.queues).some((q) => q.record);
    if (!records && !profile.share) return undefined;
    return new RecordingsService(profile, deps);
  }

  private constructor(profile: ResolvedProfile, deps: RecordingsDeps) {
    this.#profile = profile;
    this.#logger = deps.logger;
    this.#log = deps.logger.child('recordings');
    this.#now = deps.now ?? Date.now;
    const r = profile.recordings;
    this.journal = RecordingJournal.open(RecordingJournal.fileFor(profile.stateDirectory, profile.name));
    this.recorder = new CallRecorder({
      ami: deps.ami,
      journal: this.journal,
      directory: r.directory,
      asteriskDirectory: r.asteriskDirectory ?? r.directory,
      recordedQueues: new Set(
        Object.entries(profile.queues)
          .filter(([, q]) => q.record)
          .map(([name]) => name),
      ),
      defaultCountry: profile.lookup.defaultCountry as CountryCode,
      settleMs: r.settleSeconds * 1000,
      giveUpMs: r.giveUpSeconds * 1000,
      logger: deps.logger,
      now: this.#now,
    });
    this.attacher = new RecordingAttacher({
      helpdesk: deps.helpdesk,
      journal: this.journal,
      recorder: this.recorder,
      wrapUpWaitMs: r.settleSeconds * 1000 + 3000,
      graceMs: (profile.wrapUpSeconds + 60) * 1000,
      logger: deps.logger,
      now: this.#now,
    });
  }

  start(): void {
    const interrupted = this.journal.interruptedRuns(this.#now());
    this.recorder.resume();
    this.attacher.start();
    const share = this.#profile.share;
    if (!share) {
      this.#log.info(
        'no share configured: recordings stay in the recordings directory and are never deleted',
        {
          directory: this.#profile.recordings.directory,
        },
      );
      return;
    }
    this.#transport = createShareTransport(share, this.#logger);
    this.#scheduler = new CopyScheduler({
      schedule: share.schedule,
      logger: this.#logger,
      run: (origin, signal) => this.#runCopy(origin, signal),
    });
    this.#scheduler.start();
    if (interrupted > 0) {
      // The last process stopped mid-run: catch up now rather than at the next tick.
      void this.#scheduler.runNow('start');
    }
  }

  handle(event: CallEvent): void {
    if (this.#stopped) return;
    try {
      if (event.type === 'CallAnswered') {
        void this.recorder.answered(event).catch((error: unknown) => this.#journalError(event.callId, error));
      } else if (event.type === 'CallEnded') {
        this.recorder.ended(event);
      }
    } catch (error) {
      this.#journalError(event.callId, error);
    }
  }

  ticket(callId: string, ticketId: number): void {
    try {
      this.recorder.ticket(callId, ticketId);
    } catch (error) {
      this.#journalError(callId, error);
    }
  }

  /** `cti-bridge recordings copy-now`: undefined when no share is configured. */
  copyNow(): Promise<CopyRunResult | undefined> {
    if (!this.#scheduler) {
      this.#log.warn('copy requested, but this profile has no share');
      return Promise.resolve(undefined);
    }
    this.#log.info('copy requested', { origin: 'copy-now' });
    return this.#scheduler.runNow('copy-now');
  }

  async stop(deadline: number): Promise<void> {
    this.#stopped = true;
    this.recorder.stop();
    await this.#scheduler?.stop(deadline);
    // An upload in flight may outlast the deadline; the journal still says "not attached" then.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.attacher.stop(),
      new Promise((resolve) => {
        timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
      }),
    ]);
    clearTimeout(timer);
    await this.#transport?.close();
    this.journal.close();
  }

  #runCopy(origin: 'schedule' | 'copy-now' | 'start', signal: AbortSignal): Promise<CopyRunResult> {
    const share = this.#profile.share;
    const transport = this.#transport;
    if (!share || !transport) throw new Error('no share configured');
    return runCopy({
      journal: this.journal,
      transport,
      directory: this.#profile.recordings.directory,
      subdirectory: share.subdirectory,
      retentionDays: this.#profile.recordings.retentionDays,
      origin,
      logger: this.#logger,
      signal,
      now: this.#now,
    });
  }

  #journalError(callId: string, error: unknown): void {
    this.#log.error('recordings journal could not be written', { callId, err: error });
  }
}
