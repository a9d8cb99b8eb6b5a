import type { CallAnswered, CallerId } from '../calls/events.ts';
import { memberExtension } from '../directory/member-extension.ts';
import type { AmiMessage, AmiRecord } from './ami-codec.ts';
import type { AmiListResult } from './ami-connection.ts';

// The calls up on the PBX now, read from QueueStatus and CoreShowChannels (for the resync in
// call-resync.ts, whose comment says which field layouts the real transcripts confirm).

/** The part of AmiClient the resync uses. */
export interface ResyncAmi {
  list(fields: AmiRecord): Promise<AmiListResult>;
}

/** A call as the PBX shows it now. */
export type PbxCall =
  | { state: 'waiting'; callId: string; queue: string; caller: CallerId }
  | {
      state: 'answered';
      callId: string;
      /** Queues the call may belong to, best guess first (empty: none could be derived). */
      queues: string[];
      caller: CallerId;
      channel: string;
      agent: CallAnswered['agent'];
    }
  /** Channels up, but neither waiting in a queue nor talking to a member (arriving, hanging up). */
  | { state: 'up'; callId: string };

/** QueueStatus (waiting callers, queue members) and CoreShowChannels (channels, bridges). */
export async function readPbxCalls(ami: ResyncAmi): Promise<PbxCall[]> {
  const queueStatus = entriesOf('QueueStatus', await ami.list({ Action: 'QueueStatus' }));
  const channels = entriesOf('CoreShowChannels', await ami.list({ Action: 'CoreShowChannels' }));
  return pbxCalls(queueStatus, channels);
}

function entriesOf(action: string, result: AmiListResult): AmiMessage[] {
  if (result.response.name.toLowerCase() !== 'success' || !result.complete) {
    throw new Error(`${action}: ${result.response.get('Message') ?? result.response.name}`);
  }
  return result.items;
}

interface Member {
  queue: string;
  name: string;
}

/** `Local/101@agents-00000001;1` → `Local/101@agents`; `PJSIP/101-0000000a` → `PJSIP/101`. */
export function interfaceOfChannel(channel: string): string {
  return channel.replace(/-[0-9a-f]+(;\d)?$/i, '');
}

/** The calls up now, from QueueStatus and CoreShowChannels entries. */
export function pbxCalls(queueStatus: readonly AmiMessage[], channels: readonly AmiMessage[]): PbxCall[] {
  // Queue members by interface (Location): a member may be in several queues.
  const members = new Map<string, Member[]>();
  for (const item of queueStatus) {
    if (item.name !== 'QueueMember') continue;
    const location = (item.get('Location') || item.get('Interface') || '').toLowerCase();
    const queue = item.get('Queue');
    if (!location || !queue) continue;
    members.set(location, [...(members.get(location) ?? []), { queue, name: item.get('Name') || location }]);
  }
  const byName = new Map<string, AmiMessage>();
  const byCall = new Map<string, AmiMessage[]>();
  for (const ch of channels) {
    const name = ch.get('Channel');
    const callId = ch.get('Linkedid') || ch.get('Uniqueid');
    if (!name || !callId) continue;
    byName.set(name.toLowerCase(), ch);
    byCall.set(callId, [...(byCall.get(callId) ?? []), ch]);
  }
  const calls = new Map<string, PbxCall>();

  // Talking: a member leg in a bridge with another channel of its call, the queue caller.
  for (const [callId, legs] of byCall) {
    for (const leg of legs) {
      const bridge = leg.get('BridgeId');
      const legName = leg.get('Channel') ?? '';
      const iface = interfaceOfChannel(legName);
      const memberOf = members.get(iface.toLowerCase());
      if (!bridge || !memberOf) continue;
      const caller = legs.find(
        (ch) =>
          ch !== leg &&
          ch.get('BridgeId') === bridge &&
          !members.has(interfaceOfChannel(ch.get('Channel') ?? '').toLowerCase()),
      );
      if (!caller) continue;
      const queues = guessQueues(memberOf, caller, leg);
      const member = memberOf.find((m) => m.queue === queues[0]) ?? memberOf[0]!;
      calls.set(callId, {
        state: 'answered',
        callId,
        queues,
        caller: callerIdOf(caller),
        channel: caller.get('Channel') ?? '',
        agent: { interface: iface, name: member.name, extension: memberExtension(iface) },
      });
      break;
    }
  }

  // Waiting: QueueEntry names the caller's channel; its Linkedid comes from CoreShowChannels.
  for (const entry of queueStatus) {
    if (entry.name !== 'QueueEntry') continue;
    const queue = entry.get('Queue');
    const ch = byName.get((entry.get('Channel') ?? '').toLowerCase());
    const callId = ch?.get('Linkedid') || ch?.get('Uniqueid');
    // Not among the channels: it left between the two answers.
    if (!queue || !ch || !callId || calls.has(callId)) continue;
    calls.set(callId, { state: 'waiting', callId, queue, caller: callerIdOf(ch) });
  }

  for (const callId of byCall.keys()) if (!calls.has(callId)) calls.set(callId, { state: 'up', callId });
  return [...calls.values()];
}

/**
 * The queue of a talking call. The member's membership (QueueStatus) decides when it is in one
 * queue only; otherwise the caller channel's `Queue` application argument, then the member leg's
 * Exten (app_queue copies the caller's extension to it, the queue name in the lab's dialplan).
 */
function guessQueues(memberOf: readonly Member[], caller: AmiMessage, leg: AmiMessage): string[] {
  const own = memberOf.map((m) => m.queue);
  if (own.length <= 1) return own;
  const hints = [
    caller.get('Application')?.toLowerCase() === 'queue'
      ? (caller.get('ApplicationData') ?? '').split(',')[0]!.trim()
      : '',
    leg.get('Exten') ?? '',
  ];
  const hinted = hints.flatMap((hint) => own.filter((q) => q.toLowerCase() === hint.toLowerCase()));
  return [...new Set([...hinted, ...own])];
}

function callerIdOf(ch: AmiMessage): CallerId {
  return { num: ch.get('CallerIDNum') ?? '', name: ch.get('CallerIDName') ?? '' };
}
