/**
 * The only things the PBX adapter tells the domain. Keyed by the call's Linkedid; nothing of AMI
 * (channels aside, which recording needs) leaks past this file.
 */

export interface CallerId {
  /** As the PBX reported it: a number, `anonymous`, `<unknown>`, or anything else. */
  num: string;
  name: string;
}

export interface QueueMemberRef {
  /** `Local/101@agents`, `PJSIP/101`: the queue member's interface. */
  interface: string;
  /** The member's name in queues.conf (`Anna Agent`), may equal the interface. */
  name: string;
  /** The extension, when the interface shows one (`101`); the key for the agent map. */
  extension: string | undefined;
}

export interface CallQueued {
  type: 'CallQueued';
  callId: string;
  queue: string;
  caller: CallerId;
  at: number;
}

export interface CallAnswered {
  type: 'CallAnswered';
  callId: string;
  queue: string;
  caller: CallerId;
  agent: QueueMemberRef;
  /** The queue caller's channel (AgentConnect `Channel`): where MixMonitor goes. */
  channel: string;
  holdSec: number;
  at: number;
}

export interface CallEnded {
  type: 'CallEnded';
  callId: string;
  queue: string;
  reason: 'caller' | 'agent' | 'transfer' | 'unknown';
  holdSec: number;
  talkSec: number;
  at: number;
}

export interface CallAbandoned {
  type: 'CallAbandoned';
  callId: string;
  queue: string;
  holdSec: number;
  at: number;
}

export type CallEvent = CallQueued | CallAnswered | CallEnded | CallAbandoned;
