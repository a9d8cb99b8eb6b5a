import type { CallEnded, CallEvent } from '../calls/events.ts';
import { memberExtension } from '../directory/member-extension.ts';
import type { AmiMessage } from './ami-codec.ts';

/** The AMI events that matter to call handling; every other event is skipped by name first. */
export const CALL_EVENT_NAMES: ReadonlySet<string> = new Set([
  'QueueCallerJoin',
  'AgentConnect',
  'AgentComplete',
  'QueueCallerAbandon',
]);

/** A skipped event names its call when it carries an id, so the log line can say which. */
export type Translation = { event: CallEvent } | { skip: string; callId?: string } | undefined;

/**
 * One AMI event → one domain event, keyed by Linkedid. Caller fields come from the queue
 * caller's channel (never the `Dest…` member leg: without caller ID, Asterisk puts the queue's
 * name there). Returns `skip` with a reason for events that lack what they must carry.
 */
export function callEventFromAmi(message: AmiMessage, now: number): Translation {
  const name = message.name;
  if (!CALL_EVENT_NAMES.has(name)) return undefined;
  const callId = message.get('Linkedid') || message.get('Uniqueid');
  const queue = message.get('Queue');
  if (!callId) return { skip: `${name} without Linkedid` };
  if (!queue) return { skip: `${name} without Queue`, callId };
  const caller = { num: message.get('CallerIDNum') ?? '', name: message.get('CallerIDName') ?? '' };
  const holdSec = seconds(message.get('HoldTime'));
  switch (name) {
    case 'QueueCallerJoin':
      return { event: { type: 'CallQueued', callId, queue, caller, at: now } };
    case 'AgentConnect': {
      const memberInterface = message.get('Interface') ?? '';
      const channel = message.get('Channel');
      if (!channel) return { skip: 'AgentConnect without Channel', callId };
      return {
        event: {
          type: 'CallAnswered',
          callId,
          queue,
          caller,
          agent: {
            interface: memberInterface,
            name: message.get('MemberName') || memberInterface,
            extension: memberExtension(memberInterface),
          },
          channel,
          holdSec,
          at: now,
        },
      };
    }
    case 'AgentComplete':
      return {
        event: {
          type: 'CallEnded',
          callId,
          queue,
          reason: endedBy(message.get('Reason')),
          holdSec,
          talkSec: seconds(message.get('TalkTime')),
          at: now,
        },
      };
    case 'QueueCallerAbandon':
      return { event: { type: 'CallAbandoned', callId, queue, holdSec, at: now } };
    default:
      return undefined;
  }
}

function seconds(value: string | undefined): number {
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : 0;
}

function endedBy(reason: string | undefined): CallEnded['reason'] {
  return reason === 'caller' || reason === 'agent' || reason === 'transfer' ? reason : 'unknown';
}
