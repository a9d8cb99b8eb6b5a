import { randomBytes } from 'node:crypto';
import type { Clock } from './clock.ts';

/** One entry of a job status's `results`: how one ticket of a batch fared. */
export interface JobResult {
  id: number;
  index: number;
  action: 'update';
  success: boolean;
  status?: string;
  error?: string;
  details?: string;
}

export interface JobRecord {
  id: string;
  jobType: string;
  total: number;
  status: 'queued' | 'completed';
  results: JobResult[] | null;
  message: string | null;
  createdAt: number;
  dueAt: number;
  run: (() => JobResult[]) | undefined;
}

/** Job statuses can be read for one day after the job was created (job_statuses reference). */
const KEPT_MS = 24 * 60 * 60 * 1000;

/**
 * Zendesk's background jobs (update_many answers with a queued job_status). A job does its work
 * once `delayMs` of the fake's clock has passed, at the first request after that, so a test on a
 * manual clock decides when a batch lands; with no delay it lands before the next request.
 */
export class JobQueue {
  readonly #clock: Clock;
  readonly #delayMs: number;
  readonly #jobs = new Map<string, JobRecord>();

  constructor(options: { clock: Clock; delayMs: number }) {
    this.#clock = options.clock;
    this.#delayMs = options.delayMs;
  }

  submit(jobType: string, total: number, run: () => JobResult[]): JobRecord {
    const now = this.#clock.now();
    const job: JobRecord = {
      id: randomBytes(16).toString('hex'),
      jobType,
      total,
      status: 'queued',
      results: null,
      message: null,
      createdAt: now,
      dueAt: now + this.#delayMs,
      run,
    };
    this.#jobs.set(job.id, job);
    return job;
  }

  get(id: string): JobRecord | undefined {
    return this.#jobs.get(id);
  }

  /** Runs the jobs whose time has come and forgets those older than a day. */
  settle(): void {
    if (this.#jobs.size === 0) return;
    const now = this.#clock.now();
    for (const job of this.#jobs.values()) {
      if (now - job.createdAt > KEPT_MS) {
        this.#jobs.delete(job.id);
        continue;
      }
      if (job.run && now >= job.dueAt) {
        const run = job.run;
        job.run = undefined;
        job.results = run();
        job.status = 'completed';
        job.message = `Completed at ${new Date(now)
          .toISOString()
          .replace('T', ' ')
          .replace(/\.\d{3}Z$/, ' +0000')}`;
      }
    }
  }
}

export function jobStatusJson(job: JobRecord, base: string): Record<string, unknown> {
  const done = job.status === 'completed';
  return {
    id: job.id,
    job_type: job.jobType,
    url: `${base}/api/v2/job_statuses/${job.id}.json`,
    total: job.total,
    progress: done ? job.total : null,
    status: job.status,
    message: job.message,
    results: job.results,
  };
}
