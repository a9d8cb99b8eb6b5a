import type { Logger } from '../log/logger.ts';
import type { CommentOutcome, TicketAfterCall } from './ports.ts';
import {
  backfillNumber,
  type FinishedCall,
  mayBackfill,
  type PreparedWrapUp,
  prepareWrapUp,
  runWrapUp,
  type WrapUpDeps,
} from './wrap-up.ts';

export interface WrapUpBatchOptions {
  /** How long a due wrap-up waits for others to share its request (default 3 s). */
  windowMs?: number;
  /** Comments per request; Zendesk's update_many takes at most 100. */
  maxBatch?: number;
}

/**
 * Below this many comments a batch costs more than single updates: update_many needs the job
 * status read back, and the requesters read with show_many, where a single update answers both.
 */
const MIN_BATCH = 3;

interface Waiting {
  prepared: PreparedWrapUp;
  resolve: (saved: boolean) => void;
}

/**
 * Wrap-ups due within a few seconds of each other share requests: one update_many for their facts
 * comments, one show_many for the requesters of those that may need a backfill. At 50 answered
 * calls a minute that is about 3 requests per 150 calls instead of 150. On a quiet line a wrap-up
 * goes at once, alone.
 */
export class WrapUpBatcher {
  readonly #deps: WrapUpDeps;
  readonly #windowMs: number;
  readonly #maxBatch: number;
  readonly #log: Logger;
  #waiting: Waiting[] = [];
  #timer: NodeJS.Timeout | undefined;
  #draining = false;
  #flushSoon = false;
  /** When the last wrap-ups came: batching is worth its wait only when several come together. */
  #recent: number[] = [];

  constructor(deps: WrapUpDeps, options: WrapUpBatchOptions = {}) {
    this.#deps = deps;
    this.#windowMs = options.windowMs ?? 3_000;
    this.#maxBatch = Math.min(100, Math.max(1, options.maxBatch ?? 100));
    this.#log = deps.logger.child('calls');
  }

  /** Resolves true once the call's facts comment is saved, false when it is to be tried again. */
  async submit(call: FinishedCall): Promise<boolean> {
    const prepared = await prepareWrapUp(this.#deps, call);
    return new Promise<boolean>((resolve) => {
      this.#waiting.push({ prepared, resolve });
      this.#schedule();
    });
  }

  /** Stopping: what waits goes now, and whatever comes later goes at once. */
  drain(): void {
    this.#draining = true;
    this.#schedule();
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  #schedule(): void {
    if (this.#flushSoon) return;
    const now = Date.now();
    this.#recent = this.#recent.filter((at) => now - at < this.#windowMs).slice(-this.#maxBatch);
    this.#recent.push(now);
    // A quiet line (fewer than MIN_BATCH wrap-ups in the window) waits for nobody.
    const quiet = this.#timer === undefined && this.#recent.length < MIN_BATCH;
    if (quiet || this.#draining || this.#waiting.length >= this.#maxBatch) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#flushSoon = true;
      // A tick later: submissions made in the same turn (a stop wrapping up every call) share it.
      setImmediate(() => {
        this.#flushSoon = false;
        this.#flush();
      });
      return;
    }
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      this.#flush();
    }, this.#windowMs).unref();
  }

  #flush(): void {
    while (this.#waiting.length > 0) {
      const batch = this.#waiting.splice(0, this.#maxBatch);
      void this.#send(batch).catch((error: unknown) => {
        // Settled promises ignore a second resolve: this only frees those left waiting.
        this.#log.error('wrap-up batch failed; each is tried again', { err: error });
        for (const item of batch) item.resolve(false);
      });
    }
  }

  async #send(batch: Waiting[]): Promise<void> {
    if (batch.length < MIN_BATCH) {
      for (const item of batch) item.resolve(await runWrapUp(this.#deps, item.prepared));
      return;
    }
    let outcomes: CommentOutcome[];
    try {
      outcomes = await this.#deps.helpdesk.addPrivateComments(batch.map((w) => w.prepared.comment));
    } catch (error) {
      this.#log.error('call facts not added to the tickets; each is tried again', {
        tickets: batch.length,
        err: error,
      });
      outcomes = batch.map((w) => ({ ticketId: w.prepared.comment.ticketId, saved: false }));
    }
    const saved: PreparedWrapUp[] = [];
    batch.forEach((item, i) => {
      const outcome = outcomes[i];
      const { call, carriesRecording } = item.prepared;
      if (carriesRecording) this.#deps.recordings?.attachmentSaved(call.callId, outcome?.saved === true);
      if (outcome?.saved) saved.push(item.prepared);
      else if (outcome?.error) {
        this.#log.error('call facts not added to the ticket', {
          callId: call.callId,
          ticketId: call.ticket.id,
          reason: outcome.error,
        });
      }
    });
    await this.#backfill(saved.map((p) => p.call).filter(mayBackfill));
    for (const [i, item] of batch.entries()) item.resolve(outcomes[i]?.saved === true);
  }

  async #backfill(calls: FinishedCall[]): Promise<void> {
    if (calls.length === 0) return;
    let tickets: Map<number, TicketAfterCall>;
    try {
      const found = await this.#deps.helpdesk.ticketsAfterCall(calls.map((c) => c.ticket.id));
      tickets = new Map(found.map((t) => [t.id, t]));
    } catch (error) {
      this.#log.error("tickets not read back; callers' numbers not added to customers", {
        tickets: calls.length,
        err: error,
      });
      return;
    }
    for (const call of calls) {
      const after = tickets.get(call.ticket.id);
      if (after) await backfillNumber(this.#deps, call, after);
    }
  }
}
