import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from '../log/logger.ts';
import type { CopyRunResult } from './copy-run.ts';
import type { RunOrigin } from './recording-journal.ts';

export interface CopySchedulerOptions {
  /** Cron expression from the profile (`share.schedule`). */
  schedule: string;
  run: (origin: RunOrigin, signal: AbortSignal) => Promise<CopyRunResult>;
  logger: Logger;
}

/**
 * Runs copies on the profile's cron schedule and on request, never two at once: a scheduled tick
 * during a run is skipped (the next tick catches up), a `copy-now` waits for the running one and
 * then runs.
 */
export class CopyScheduler {
  readonly #o: CopySchedulerOptions;
  readonly #log: Logger;
  readonly #abort = new AbortController();
  #task: ScheduledTask | undefined;
  #running: Promise<CopyRunResult | undefined> | undefined;
  #queued: Promise<CopyRunResult | undefined> | undefined;

  constructor(options: CopySchedulerOptions) {
    this.#o = options;
    this.#log = options.logger.child('share');
  }

  start(): void {
    this.#task = cron.schedule(this.#o.schedule, () => void this.#tick(), {
      name: 'cti-bridge recordings copy',
      noOverlap: true,
    });
  }

  /** Runs a copy now, after the one in progress if any. */
  runNow(origin: RunOrigin): Promise<CopyRunResult | undefined> {
    if (!this.#running) return this.#start(origin);
    this.#queued ??= this.#running.then(() => {
      this.#queued = undefined;
      return this.#start(origin);
    });
    return this.#queued;
  }

  /** Cancels the running copy (its temporary file on the share is never counted) and waits for it, bounded. */
  async stop(deadline: number): Promise<void> {
    await this.#task?.destroy();
    this.#abort.abort();
    const left = Math.max(0, deadline - Date.now());
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([this.#running, this.#queued]),
      new Promise((resolve) => {
        timer = setTimeout(resolve, left);
      }),
    ]);
    clearTimeout(timer);
  }

  async #tick(): Promise<void> {
    if (this.#running) {
      this.#log.info('scheduled copy skipped: the previous run is still going');
      return;
    }
    await this.#start('schedule');
  }

  #start(origin: RunOrigin): Promise<CopyRunResult | undefined> {
    if (this.#abort.signal.aborted) return Promise.resolve(undefined);
    const run = this.#o
      .run(origin, this.#abort.signal)
      .catch((error: unknown) => {
        this.#log.error('copy run crashed', { err: error });
        return undefined;
      })
      .finally(() => {
        if (this.#running === run) this.#running = undefined;
      });
    this.#running = run;
    return run;
  }
}
