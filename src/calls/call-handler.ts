import type { CountryCode } from 'libphonenumber-js';
import type { Logger } from '../log/logger.ts';
import type { CallerLookup, LookupResult } from './caller-lookup.ts';
import { type CallerNumber, parseCallerNumber } from './caller-number.ts';
import type { CallAbandoned, CallAnswered, CallEnded, CallEvent, CallQueued } from './events.ts';
import type { CallRecordingsPort, Directory, HelpdeskPort } from './ports.ts';
import { type Requester, resolveRequester, type UnknownCallerStrategy } from './requester.ts';
import { renderTemplate, type TicketTemplates } from './ticket-text.ts';
import { runWrapUp } from './wrap-up.ts';

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
}

/** What the handler knows about one call between QueueCallerJoin and the end of its wrap-up. */
interface Call {
  callId: string;
  queue: string;
  caller: CallerNumber;
  callerName: string;
  lookup: Promise<LookupResult> | undefined;
  ticket: Promise<{ id: number; requester: Requester } | undefined> | undefined;
  agentName: string;
  ended: CallEnded | undefined;
  wrapUp: NodeJS.Timeout | undefined;
}

/** The call domain: one record per call, ticket on answer, wrap-up after the call. */
export class CallHandler {
  readonly #o: CallHandlerOptions;
  readonly #calls = new Map<string, Call>();
  readonly #work = new Set<Promise<unknown>>();
  readonly #log: Logger;
  #accepting = true;

  constructor(options: CallHandlerOptions) {
    this.#o = options;
    this.#log = options.logger.child('calls');
  }

  /** Calls currently tracked (queued, talking or in wrap-up). */
  get activeCalls(): number {
    return this.#calls.size;
  }

  handle(event: CallEvent): void {
    if (!this.#o.queues.has(event.queue)) {
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
    const result = await Promise.race([Promise.allSettled([...this.#work]), timedOut]);
    clearTimeout(timer);
    if (result === 'timeout')
      this.#log.warn('stopped with call work still running', { pending: this.#work.size });
  }

  #queued(event: CallQueued): void {
    if (!this.#accepting) return;
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
    call.ticket = this.#openTicket(call, event);
    this.#track(call.ticket);
  }

  #ended(event: CallEnded): void {
    const call = this.#calls.get(event.callId);
    if (!call) return;
    if (!call.ticket) {
      this.#calls.delete(call.callId);
      return;
    }
    if (call.ended) return;
    call.ended = event;
    if (!this.#accepting) {
      // Stopping: no timer may outlive stop(); the wrap-up runs now, as stop() does for the others.
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
    this.#log.info('caller abandoned in queue', {
      callId: event.callId,
      queue: event.queue,
      holdSec: event.holdSec,
    });
    this.#calls.delete(event.callId);
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
      };
      this.#calls.set(callId, call);
    }
    return call;
  }

  async #openTicket(
    call: Call,
    event: CallAnswered,
  ): Promise<{ id: number; requester: Requester } | undefined> {
    const log = this.#log.with({ callId: call.callId, queue: call.queue, agent: event.agent.name });
    const answeredAt = (this.#o.now ?? Date.now)();
    try {
      const requester = await resolveRequester(this.#o, call);
      const agentId = this.#o.directory.agentFor(event.agent);
      if (agentId === undefined) {
        log.warn('queue member is not mapped to a Zendesk agent: ticket unassigned, nothing popped', {
          member: event.agent.name,
          interface: event.agent.interface,
        });
      }
      const vars = {
        callerNumber: call.caller.kind === 'number' ? call.caller.e164 : call.caller.kind,
        callerName: cleanName(call.callerName),
        queue: call.queue,
        agent: event.agent.name,
        time: new Date(event.at).toISOString(),
      };
      const created = await this.#o.helpdesk.openCallTicket({
        callId: call.callId,
        idempotencyKey: `cti-bridge-call-${call.callId}`,
        requesterId: requester.userId,
        groupId: this.#o.directory.groupFor(call.queue),
        assigneeId: agentId,
        subject: renderTemplate(this.#o.templates.subject, vars),
        comment: renderTemplate(this.#o.templates.comment, vars),
        tags: this.#o.templates.tags,
        popToAgentId: agentId,
        call: { from: vars.callerNumber, queue: call.queue, startedAt: event.at },
      });
      log.info(created.popped ? "ticket created and opened on the agent's screen" : 'ticket created', {
        ticketId: created.id,
        requester: requester.origin,
        requesterId: requester.userId,
        msSinceAnswer: (this.#o.now ?? Date.now)() - answeredAt,
      });
      this.#o.onTicket?.(call.callId, created.id);
      return { id: created.id, requester };
    } catch (error) {
      log.error('no ticket for this call', { err: error });
      return undefined;
    }
  }

  async #wrapUp(call: Call): Promise<void> {
    this.#calls.delete(call.callId);
    const ticket = await call.ticket;
    const event = call.ended;
    if (!ticket || !event) return;
    await runWrapUp(
      {
        helpdesk: this.#o.helpdesk,
        lookup: this.#o.lookup,
        directory: this.#o.directory,
        ...(this.#o.recordings ? { recordings: this.#o.recordings } : {}),
        logger: this.#o.logger,
      },
      {
        callId: call.callId,
        caller: call.caller,
        queue: call.queue,
        agent: call.agentName,
        ticket,
        ended: event,
      },
    );
  }

  #track(work: Promise<unknown>): void {
    this.#work.add(work);
    void work.finally(() => this.#work.delete(work));
  }
}

/** Caller names from the PBX can be `<unknown>` or the number itself. */
function cleanName(name: string): string {
  const trimmed = name.trim();
  return trimmed === '' || trimmed === '<unknown>' ? 'unknown' : trimmed;
}
