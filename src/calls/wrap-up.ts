import type { Logger } from '../log/logger.ts';
import type { CallerLookup } from './caller-lookup.ts';
import type { CallerNumber } from './caller-number.ts';
import type { CallEnded } from './events.ts';
import type { BatchComment, CallRecordingsPort, Directory, HelpdeskPort, TicketAfterCall } from './ports.ts';
import type { Requester } from './requester.ts';
import { callFactsComment } from './ticket-text.ts';

export interface WrapUpDeps {
  helpdesk: HelpdeskPort;
  lookup: CallerLookup;
  directory: Directory;
  /** Recorded calls: their recording rides on the facts comment. */
  recordings?: CallRecordingsPort;
  logger: Logger;
}

export interface FinishedCall {
  callId: string;
  caller: CallerNumber;
  queue: string;
  agent: string;
  ticket: { id: number; requester: Requester };
  ended: CallEnded;
}

/** The facts comment of one call, with its recording when there is one to attach. */
export interface PreparedWrapUp {
  call: FinishedCall;
  comment: BatchComment;
  /** The recordings part waits to hear whether the comment carrying its file was saved. */
  carriesRecording: boolean;
}

export async function prepareWrapUp(deps: WrapUpDeps, call: FinishedCall): Promise<PreparedWrapUp> {
  const recording = await deps.recordings?.attachmentFor(call.callId);
  const facts = callFactsComment({
    queue: call.queue,
    agent: call.agent,
    holdSec: call.ended.holdSec,
    talkSec: call.ended.talkSec,
    endedBy: call.ended.reason,
    callerNumber: call.caller.kind === 'number' ? call.caller.e164 : call.caller.kind,
  });
  return {
    call,
    comment: {
      ticketId: call.ticket.id,
      body: recording ? `${facts}\n\n${recording.note}` : facts,
      ...(recording && recording.uploads.length > 0 ? { uploads: recording.uploads } : {}),
    },
    carriesRecording: recording !== undefined,
  };
}

/** Only a ticket whose requester was a placeholder can teach Zendesk the caller's number. */
export function mayBackfill(call: FinishedCall): boolean {
  return call.caller.kind === 'number' && call.ticket.requester.origin !== 'caller';
}

/**
 * One call on its own: the facts comment, whose answer is the ticket as the agent left it, so the
 * backfill costs no extra read. True once the comment is saved (the backfill's own failures are
 * logged, not retried).
 */
export async function runWrapUp(deps: WrapUpDeps, prepared: PreparedWrapUp): Promise<boolean> {
  const { call, comment } = prepared;
  let after: TicketAfterCall;
  try {
    after = await deps.helpdesk.addPrivateComment(comment.ticketId, comment.body, comment.uploads);
  } catch (error) {
    if (prepared.carriesRecording) deps.recordings?.attachmentSaved(call.callId, false);
    logFor(deps, call).error('call facts not added to the ticket', { err: error });
    return false;
  }
  if (prepared.carriesRecording) deps.recordings?.attachmentSaved(call.callId, true);
  await backfillNumber(deps, call, after);
  return true;
}

/** If the agent moved the ticket from a placeholder requester to a real customer, teach Zendesk the number. */
export async function backfillNumber(
  deps: WrapUpDeps,
  call: FinishedCall,
  after: TicketAfterCall,
): Promise<void> {
  if (call.caller.kind !== 'number' || !mayBackfill(call)) return;
  const requesterNow = after.requesterId;
  if (requesterNow === call.ticket.requester.userId) return;
  const log = logFor(deps, call);
  if (deps.directory.isProtectedUser(requesterNow)) {
    log.info('ticket re-assigned to an agent or the default user; number not added', {
      userId: requesterNow,
    });
    return;
  }
  const e164 = call.caller.e164;
  try {
    // A sideloaded requester spares reading the user and its identities: adding a number the
    // user has already is answered 422 DuplicateValue, which addPhoneIdentity takes as done.
    const user = after.requester
      ? { id: requesterNow, ...after.requester, phones: undefined }
      : await deps.helpdesk.getUser(requesterNow);
    if (user.role !== 'end-user') return;
    if (!user.phones?.includes(e164)) {
      await deps.helpdesk.addPhoneIdentity(user.id, e164);
      log.info("caller's number added to the customer the agent chose", { userId: user.id });
    }
    await deps.lookup.remember(e164, user);
  } catch (error) {
    log.error("caller's number not added to the customer", { userId: requesterNow, err: error });
  }
}

function logFor(deps: WrapUpDeps, call: FinishedCall): Logger {
  return deps.logger.child('calls').with({ callId: call.callId, ticketId: call.ticket.id });
}
