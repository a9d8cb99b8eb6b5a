import type { Logger } from '../log/logger.ts';
import type { CallerLookup } from './caller-lookup.ts';
import type { CallerNumber } from './caller-number.ts';
import type { CallEnded } from './events.ts';
import type { CallRecordingsPort, Directory, HelpdeskPort } from './ports.ts';
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

/**
 * After the call and its wrap-up time: the call-facts comment, and the backfill. Adding the comment
 * returns the ticket as the agent left it, so the backfill costs no extra read.
 */
/** True once the facts comment is saved (the backfill's own failures are logged, not retried). */
export async function runWrapUp(deps: WrapUpDeps, call: FinishedCall): Promise<boolean> {
  const log = deps.logger.child('calls').with({ callId: call.callId, ticketId: call.ticket.id });
  let requesterNow: number;
  const recording = await deps.recordings?.attachmentFor(call.callId);
  const facts = callFactsComment({
    queue: call.queue,
    agent: call.agent,
    holdSec: call.ended.holdSec,
    talkSec: call.ended.talkSec,
    endedBy: call.ended.reason,
    callerNumber: call.caller.kind === 'number' ? call.caller.e164 : call.caller.kind,
  });
  try {
    const after = await deps.helpdesk.addPrivateComment(
      call.ticket.id,
      recording ? `${facts}\n\n${recording.note}` : facts,
      recording?.uploads,
    );
    requesterNow = after.requesterId;
    if (recording) deps.recordings?.attachmentSaved(call.callId, true);
  } catch (error) {
    if (recording) deps.recordings?.attachmentSaved(call.callId, false);
    log.error('call facts not added to the ticket', { err: error });
    return false;
  }
  await backfillNumber(deps, call, requesterNow, log);
  return true;
}

/** If the agent moved the ticket from a placeholder requester to a real customer, teach Zendesk the number. */
async function backfillNumber(deps: WrapUpDeps, call: FinishedCall, requesterNow: number, log: Logger) {
  if (call.caller.kind !== 'number') return;
  if (call.ticket.requester.origin === 'caller') return;
  if (requesterNow === call.ticket.requester.userId) return;
  if (deps.directory.isProtectedUser(requesterNow)) {
    log.info('ticket re-assigned to an agent or the default user; number not added', {
      userId: requesterNow,
    });
    return;
  }
  const e164 = call.caller.e164;
  try {
    const user = await deps.helpdesk.getUser(requesterNow);
    if (user.role !== 'end-user') return;
    if (!user.phones.includes(e164)) {
      await deps.helpdesk.addPhoneIdentity(user.id, e164);
      log.info("caller's number added to the customer the agent chose", { userId: user.id });
    }
    await deps.lookup.remember(e164, user);
  } catch (error) {
    log.error("caller's number not added to the customer", { userId: requesterNow, err: error });
  }
}
