import type { Logger } from '../log/logger.ts';
import type { CallJournal } from './call-journal.ts';
import type { CallObserver } from './call-observer.ts';
import type { LookupResult } from './caller-lookup.ts';
import type { CallerNumber } from './caller-number.ts';
import type { CallAnswered, CallEnded } from './events.ts';
import { type Requester, type RequesterDeps, resolveRequester } from './requester.ts';
import { type RetryPolicy, retryDelay, waitUnlessStopping } from './retry-wait.ts';
import { renderTemplate, type TicketTemplates } from './ticket-text.ts';

/** A replayed ticket still pops if the call is this recent and not known to be over. */
const POP_STILL_USEFUL_MS = 120_000;

/** What opening a ticket reads of a call (the handler's record), and the requester it settles. */
export interface TicketCall {
  callId: string;
  queue: string;
  caller: CallerNumber;
  callerName: string;
  lookup: Promise<LookupResult> | undefined;
  ended: CallEnded | undefined;
  requester: Requester | undefined;
}

export interface OpenedTicket {
  id: number;
  requester: Requester;
}

export interface TicketOpenerOptions extends RequesterDeps {
  templates: TicketTemplates;
  now?: () => number;
  onTicket?: (callId: string, ticketId: number) => void;
  observer?: CallObserver;
  journal?: Pick<CallJournal, 'ticketCreated' | 'ticketFailed'>;
  /** Writes to the journal without letting a failed write cost the call its ticket (the handler's). */
  journalWrite: (write: () => void, callId: string) => void;
  retry: RetryPolicy;
  /** Aborted when the handler stops: retries give up, the journal replays them. */
  stopping: AbortSignal;
}

/** The ticket of an answered call: created and popped at once, retried until Zendesk confirms one. */
export class TicketOpener {
  readonly #o: TicketOpenerOptions;
  readonly #log: Logger;

  constructor(options: TicketOpenerOptions) {
    this.#o = options;
    this.#log = options.logger.child('calls');
  }

  /**
   * Creates the call's ticket, trying again (with growing waits) until Zendesk confirms one or the
   * handler stops; the journal then replays it. After an attempt whose outcome is unknown, and
   * after a restart, it first looks for the ticket by its external_id: Idempotency-Keys expire.
   */
  async ensure(
    call: TicketCall,
    event: CallAnswered,
    how: { checkFirst: boolean; replayed: boolean },
  ): Promise<OpenedTicket | undefined> {
    const log = this.#log.with({ callId: call.callId, queue: call.queue, agent: event.agent.name });
    const now = this.#o.now ?? Date.now;
    const answeredAt = now();
    let checkFirst = how.checkFirst;
    const { retry, journal, journalWrite, observer } = this.#o;
    for (let attempt = 1; ; attempt++) {
      try {
        const found = checkFirst ? await this.#found(call) : undefined;
        const created = found ?? (await this.#create(call, event, log, how.replayed || attempt > 1));
        journalWrite(() => journal?.ticketCreated(call.callId, created.id, created.requester), call.callId);
        log.info(
          created.createdBefore
            ? 'ticket found by its external_id: it was created before'
            : created.popped
              ? "ticket created and opened on the agent's screen"
              : 'ticket created',
          {
            ticketId: created.id,
            requester: created.requester.origin,
            requesterId: created.requester.userId,
            msSinceAnswer: now() - answeredAt,
            ...(attempt > 1 || how.replayed ? { attempt, replayed: how.replayed } : {}),
          },
        );
        observer?.outcome('ticket');
        if (created.popped && attempt === 1 && !how.replayed) observer?.popped(now() - event.at);
        this.#o.onTicket?.(call.callId, created.id);
        return { id: created.id, requester: created.requester };
      } catch (error) {
        // Whatever happened, the ticket may exist now: look before creating again.
        checkFirst = true;
        if (attempt === 1) observer?.outcome('failed');
        journalWrite(() => journal?.ticketFailed(call.callId, (error as Error).message), call.callId);
        const waitMs = retryDelay(retry, attempt);
        if (this.#o.stopping.aborted) {
          log.error('no ticket for this call yet; the journal keeps it for the next start', { err: error });
          return undefined;
        }
        log.error('no ticket for this call yet; trying again', { err: error, attempt, retryInMs: waitMs });
        if (!(await waitUnlessStopping(waitMs, this.#o.stopping))) return undefined; // the journal replays it
      }
    }
  }

  async #found(
    call: TicketCall,
  ): Promise<{ id: number; requester: Requester; popped: false; createdBefore: true } | undefined> {
    const found = await this.#o.helpdesk.findCallTicket(call.callId);
    if (!found) return undefined;
    // Replayed without the journal's requester: the default user is the one placeholder we know.
    const requester: Requester = call.requester ?? {
      userId: found.requesterId,
      origin: found.requesterId === this.#o.directory.defaultUserId() ? 'default user' : 'caller',
    };
    return { id: found.id, requester, popped: false, createdBefore: true };
  }

  async #create(
    call: TicketCall,
    event: CallAnswered,
    log: Logger,
    late: boolean,
  ): Promise<{ id: number; requester: Requester; popped: boolean; createdBefore?: boolean }> {
    call.requester ??= await resolveRequester(this.#o, call);
    const requester = call.requester;
    const agentId = this.#o.directory.agentFor(event.agent);
    if (agentId === undefined) {
      log.warn('queue member is not mapped to a Zendesk agent: ticket unassigned, nothing popped', {
        member: event.agent.name,
        interface: event.agent.interface,
      });
    }
    // A late try (a retry, a replay) pops only while the call is still on: once it is over, a pop
    // would only disturb the agent's next call. The first try pops whatever, as at pickup.
    const now = (this.#o.now ?? Date.now)();
    const popUseful = !late || (!call.ended && now - event.at <= POP_STILL_USEFUL_MS);
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
      popToAgentId: popUseful ? agentId : undefined,
      call: { from: vars.callerNumber, queue: call.queue, startedAt: event.at },
    });
    return { ...created, requester };
  }
}

/** Caller names from the PBX can be `<unknown>` or the number itself. */
function cleanName(name: string): string {
  const trimmed = name.trim();
  return trimmed === '' || trimmed === '<unknown>' ? 'unknown' : trimmed;
}
