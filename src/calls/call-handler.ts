import type { CountryCode } from 'libphonenumber-js';
import type { Logger } from '../log/logger.ts';
import type { CallJournal, JournaledCall } from './call-journal.ts';
import type { CallObserver } from './call-observer.ts';
import type { CallerLookup } from './caller-lookup.ts';
import { parseCallerNumber } from './caller-number.ts';
import type { CallAbandoned, CallAnswered, CallEnded, CallEvent, CallQueued } from './events.ts';
import type { CallRecordingsPort, Directory, HelpdeskPort } from './ports.ts';
import type { UnknownCallerStrategy } from './requester.ts';
import { DEFAULT_RETRY, type RetryPolicy, retryDelay, waitUnlessStopping } from './retry-wait.ts';
import { type OpenedTicket, type TicketCall, TicketOpener } from './ticket-opener.ts';
import type { TicketTemplates } from './ticket-text.ts';
import { WrapUpBatcher } from './wrap-up-batch.ts';

export interface CallHandlerOptions {
  helpdesk: HelpdeskPort;
  lookup: CallerLookup;
  directory: Directory;
  /** Queues this profile handles; events of other queues are ignored. */
  queues: ReadonlySet<string>;
  defaultCountry: CountryCode;
  strategy: UnknownCallerStrategy;
  answerWaitMs: number;
  wrapUpSeconds: number;
  templates: TicketTemplates;
  logger: Logger;
  now?: () => number;
  /** Notified when a call's ticket exists (recordings attach to it). */
  onTicket?: (callId: string, ticketId: number) => void;
  /** Recorded calls: the recording rides on the wrap-up comment. */
  recordings?: CallRecordingsPort;
  /** Durable pending work: written before each Zendesk step, replayed after a restart. */
  journal?: Pick<CallJournal, 'answered' | 'ticketCreated' | 'ticketFailed' | 'ended' | 'wrappedUp'>;
  /** Calls tracked at most (default 10 000); the oldest is taken as over beyond it. */
  maxTrackedCalls?: number;
  /** Waits between tries of a ticket or wrap-up Zendesk did not take (default 2 s doubling to 5 min). */
  retry?: RetryPolicy;
  /** How long a due wrap-up waits to share its Zendesk requests with others (default 3 s). */
  wrapUpBatchWindowMs?: number;
  /** Hears each call's outcome and pop latency (the daemon's metrics). */
  observer?: CallObserver;
}

/** Far more calls than are ever up at once: beyond it, ends were lost (see #evictOldest). */
const MAX_TRACKED_CALLS = 10_000;

/** What the handler knows about one call between QueueCallerJoin and the end of its wrap-up. */
interface Call extends TicketCall {
  ticket: Promise<OpenedTicket | undefined> | undefined;
  agentName: string;
  wrapUp: NodeJS.Timeout | undefined;
}

/** The call domain: one record per call, ticket on answer, wrap-up after the call. */
export class CallHandler {
  readonly #o: CallHandlerOptions;
  readonly #calls = new Map<string, Call>();
  readonly #work = new Set<Promise<unknown>>();
  readonly #log: Logger;
  readonly #stopping = new AbortController();
  #evicted = 0;
  #lastEvictionWarnAt = Number.NEGATIVE_INFINITY;
  #accepting = true;
  readonly #wrapUps: WrapUpBatcher;
  readonly #tickets: TicketOpener;
  readonly #retry: RetryPolicy;

  constructor(options: CallHandlerOptions) {
    this.#o = options;
    this.#retry = options.retry ?? DEFAULT_RETRY;
    this.#log = options.logger.child('calls');
    this.#wrapUps = new WrapUpBatcher(
      {
        helpdesk: options.helpdesk,
        lookup: options.lookup,
        directory: options.directory,
        ...(options.recordings ? { recordings: options.recordings } : {}),
        logger: options.logger,
      },
      options.wrapUpBatchWindowMs === undefined ? {} : { windowMs: options.wrapUpBatchWindowMs },
    );
    this.#tickets = new TicketOpener({
      ...options,
      retry: this.#retry,
      journalWrite: (write, callId) => this.#journal(write, callId),
      stopping: this.#stopping.signal,
    });
  }

  /** Calls currently tracked (queued, talking or in wrap-up). */
  get activeCalls(): number {
    return this.#calls.size;
  }

  /** Calls not over yet, for the resync after an AMI reconnect (src/pbx/call-resync.ts). */
  inProgress(): Array<{ callId: string; queue: string; state: 'queued' | 'answered' }> {
    const out: Array<{ callId: string; queue: string; state: 'queued' | 'answered' }> = [];
    for (const call of this.#calls.values()) {
      if (call.ended) continue;
      out.push({ callId: call.callId, queue: call.queue, state: call.ticket ? 'answered' : 'queued' });
    }
    return out;
  }

  handle(event: CallEvent): void {
    if (!this.#o.queues.has(event.queue)) {
      if (event.type === 'CallQueued') this.#o.observer?.outcome('ignored');
      this.#log.debug(() => `${event.type} in queue ${event.queue}, which this profile does not handle`, {
        callId: event.callId,
      });
      return;
    }
    switch (event.type) {
      case 'CallQueued':
        this.#queued(event);
        break;
      case 'CallAnswered':
        this.#answered(event);
        break;
      case 'CallEnded':
        this.#ended(event);
        break;
      case 'CallAbandoned':
        this.#abandoned(event);
        break;
    }
  }

  /** Stop taking calls; finish tickets in flight and run pending wrap-ups now, within the deadline. */
  async stop(deadline: number): Promise<void> {
    this.#accepting = false;
    // Retries waiting for their next try give up now; the journal replays them after the restart.
    this.#stopping.abort();
    this.#wrapUps.drain();
    for (const call of this.#calls.values()) {
      if (call.wrapUp) {
        clearTimeout(call.wrapUp);
        call.wrapUp = undefined;
        this.#track(this.#wrapUp(call));
      }
    }
    const now = this.#o.now ?? Date.now;
    const left = Math.max(0, deadline - now());
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), left);
    });
    // Work can be added while waiting (an end arriving during the stop): wait until none is left.
    let result: 'timeout' | undefined;
    while (this.#work.size > 0 && result !== 'timeout') {
      result = await Promise.race([Promise.allSettled([...this.#work]).then(() => undefined), timedOut]);
    }
    clearTimeout(timer);
    if (result === 'timeout')
      this.#log.warn('stopped with call work still running', { pending: this.#work.size });
  }

  #queued(event: CallQueued): void {
    if (!this.#accepting) return;
    if (this.#calls.has(event.callId)) {
      // A repeated QueueCallerJoin (replayed, or the call moved on to another queue) adds nothing.
      this.#log.debug('call queued again; it is tracked already', {
        callId: event.callId,
        queue: event.queue,
      });
      return;
    }
    const call = this.#callFor(event.callId, event.queue, event.caller.num, event.caller.name);
    const log = this.#log.with({ callId: call.callId, queue: call.queue });
    if (call.caller.kind !== 'number') {
      log.info('call queued; no number to look up', { caller: call.caller.kind });
      return;
    }
    log.info('call queued; looking the caller up', { caller: call.caller.e164 });
    call.lookup ??= this.#o.lookup.lookup(call.caller.e164, call.callId);
    void call.lookup.then((result) =>
      log.info(
        'caller looked up',
        result.kind === 'known'
          ? { known: true, userId: result.userId, cached: result.cached }
          : { known: false, reason: result.reason, cached: result.cached },
      ),
    );
  }

  #answered(event: CallAnswered): void {
    if (!this.#accepting) return;
    const call = this.#callFor(event.callId, event.queue, event.caller.num, event.caller.name);
    if (call.ticket) {
      this.#log.debug('call answered again; it has its ticket already', { callId: call.callId });
      return;
    }
    call.agentName = event.agent.name;
    this.#journal(() => this.#o.journal?.answered(event), call.callId);
    call.ticket = this.#tickets.ensure(call, event, { checkFirst: false, replayed: false });
    this.#track(call.ticket);
  }

  /**
   * After a restart: the journal's unfinished calls come back. Missing tickets are created (after
   * looking for one the crash may have hidden), due wrap-ups run, calls still up wait for their end.
   */
  restore(calls: readonly JournaledCall[]): void {
    const now = (this.#o.now ?? Date.now)();
    for (const j of calls) {
      if (this.#calls.has(j.callId)) continue;
      const a = j.answered;
      const call = this.#callFor(j.callId, a.queue, a.caller.num, a.caller.name);
      call.agentName = a.agent.name;
      call.ended = j.ended;
      call.requester = j.requester;
      call.ticket =
        j.ticketId !== undefined && j.requester
          ? Promise.resolve({ id: j.ticketId, requester: j.requester })
          : this.#tickets.ensure(call, a, { checkFirst: true, replayed: true });
      this.#track(call.ticket);
      if (j.ended) {
        const wait = Math.max(0, (j.wrapUpDueAt ?? now) - now);
        call.wrapUp = setTimeout(() => {
          call.wrapUp = undefined;
          this.#track(this.#wrapUp(call));
        }, wait);
      }
    }
    if (calls.length > 0)
      this.#log.info('unfinished calls restored from the journal', { calls: calls.length });
  }

  #ended(event: CallEnded): void {
    const call = this.#calls.get(event.callId);
    if (!call) {
      this.#log.debug('call ended, but it is not tracked (never seen, or over already)', {
        callId: event.callId,
      });
      return;
    }
    if (!call.ticket) {
      this.#log.debug('call ended before it was answered; no ticket, no wrap-up', { callId: call.callId });
      this.#calls.delete(call.callId);
      return;
    }
    if (call.ended) {
      this.#log.debug('call ended again; its wrap-up is under way', { callId: call.callId });
      return;
    }
    call.ended = event;
    this.#journal(
      () => this.#o.journal?.ended(event, (this.#o.now ?? Date.now)() + this.#o.wrapUpSeconds * 1000),
      call.callId,
    );
    if (!this.#accepting) {
      // Stopping: no timer may outlive stop(); the wrap-up runs now, and stop() waits for it too.
      this.#track(this.#wrapUp(call));
      return;
    }
    // The agent re-assigns the ticket during the call or in wrap-up time: look after that.
    call.wrapUp = setTimeout(() => {
      call.wrapUp = undefined;
      this.#track(this.#wrapUp(call));
    }, this.#o.wrapUpSeconds * 1000);
  }

  #abandoned(event: CallAbandoned): void {
    // No ticket for an abandoned call; its lookup result stays cached for the call back.
    if (!this.#calls.delete(event.callId)) {
      this.#log.debug('caller abandoned a call that is not tracked (never seen, or over already)', {
        callId: event.callId,
        queue: event.queue,
      });
      return;
    }
    this.#o.observer?.outcome('abandoned');
    this.#log.info('caller abandoned in queue', {
      callId: event.callId,
      queue: event.queue,
      holdSec: event.holdSec,
    });
  }

  #callFor(callId: string, queue: string, num: string, name: string): Call {
    let call = this.#calls.get(callId);
    if (!call) {
      call = {
        callId,
        queue,
        caller: parseCallerNumber(num, this.#o.defaultCountry),
        callerName: name,
        lookup: undefined,
        ticket: undefined,
        agentName: '',
        ended: undefined,
        wrapUp: undefined,
        requester: undefined,
      };
      if (this.#calls.size >= (this.#o.maxTrackedCalls ?? MAX_TRACKED_CALLS)) this.#evictOldest();
      this.#calls.set(callId, call);
    }
    return call;
  }

  /**
   * More calls tracked than any call center has up at once means ends were lost (an AgentComplete
   * that never came while the link stayed up). The oldest goes: an answered one is wrapped up as
   * ended for an unknown reason, so it keeps its ticket and facts; a queued one is forgotten.
   */
  #evictOldest(): void {
    const [callId, call] = this.#calls.entries().next().value ?? [];
    if (!callId || !call) return;
    // A flood of lost ends must not flood the log: WARN at most once a minute, the rest at DEBUG.
    const now = (this.#o.now ?? Date.now)();
    this.#evicted++;
    const fields = {
      callId,
      queue: call.queue,
      tracked: this.#calls.size,
      evictedSinceLastWarn: this.#evicted,
    };
    const message = 'too many calls tracked: the oldest is taken as over (its end was never seen)';
    if (now - this.#lastEvictionWarnAt >= 60_000) {
      this.#log.warn(message, fields);
      this.#lastEvictionWarnAt = now;
      this.#evicted = 0;
    } else {
      this.#log.debug(message, fields);
    }
    if (!call.ticket || call.ended) {
      this.#calls.delete(callId);
      return;
    }
    const ended: CallEnded = {
      type: 'CallEnded',
      callId,
      queue: call.queue,
      reason: 'unknown',
      holdSec: 0,
      talkSec: 0,
      at: (this.#o.now ?? Date.now)(),
    };
    call.ended = ended;
    this.#journal(() => this.#o.journal?.ended(ended, ended.at), callId);
    this.#track(this.#wrapUp(call));
  }

  async #wrapUp(call: Call): Promise<void> {
    this.#calls.delete(call.callId);
    const ticket = await call.ticket;
    const event = call.ended;
    if (!ticket || !event) return;
    for (let attempt = 1; ; attempt++) {
      const saved = await this.#wrapUps.submit({
        callId: call.callId,
        caller: call.caller,
        queue: call.queue,
        agent: call.agentName,
        ticket,
        ended: event,
      });
      if (saved) {
        this.#journal(() => this.#o.journal?.wrappedUp(call.callId), call.callId);
        return;
      }
      if (this.#stopping.signal.aborted) return; // the journal replays it
      if (!(await waitUnlessStopping(retryDelay(this.#retry, attempt), this.#stopping.signal))) return;
    }
  }

  /** A journal write that fails (disk full) must not cost the call its ticket: log it and go on. */
  #journal(write: () => void, callId: string): void {
    try {
      write();
    } catch (error) {
      this.#log.error('call journal not written; this call is not protected against a restart', {
        callId,
        err: error,
      });
    }
  }

  #track(work: Promise<unknown>): void {
    this.#work.add(work);
    void work.finally(() => this.#work.delete(work));
  }
}
