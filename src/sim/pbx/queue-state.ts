import type { AmiPair } from '../../pbx/ami-codec.ts';
import type { SimChannel } from './channels.ts';
import { AGENT, deviceStateEvent } from './events.ts';
import type { LabMember, LabQueue } from './lab.ts';

/** app_queue's bookkeeping: waiting callers, member status and counters, queue device states. */

/** ast_device_state values as QueueMember/QueueMemberStatus report them. */
export const DEVICE_NOT_INUSE = 1;
export const DEVICE_INUSE = 2;

export interface MemberRuntime {
  readonly config: LabMember;
  callsTaken: number;
  /** Epoch seconds; 0 = never. */
  lastCall: number;
  loginTime: number;
  status: number;
  paused: boolean;
  /** Legs of this member's device up now (a ringing or talking Local pair counts once). */
  busy: number;
}

interface QueueEntry {
  caller: SimChannel;
  joinedAt: number;
}

/**
 * The member fields QueueMemberStatus and QueueStatus's QueueMember share, in Asterisk's order
 * (StateInterface … PausedReason); each event names the member its own way around them.
 */
export function memberStateFields(m: MemberRuntime): AmiPair[] {
  return [
    ['StateInterface', m.config.interface],
    ['Membership', 'static'],
    ['Penalty', String(m.config.penalty)],
    ['CallsTaken', String(m.callsTaken)],
    ['LastCall', String(m.lastCall)],
    ['LastPause', '0'],
    ['LoginTime', String(m.loginTime)],
    ['InCall', '0'],
    ['Status', String(m.status)],
    ['Paused', m.paused ? '1' : '0'],
    ['PausedReason', ''],
  ];
}

export class QueueRuntime {
  readonly config: LabQueue;
  readonly members: MemberRuntime[];
  readonly entries: QueueEntry[] = [];
  completed = 0;
  completedInSl = 0;
  abandoned = 0;
  /** Running averages in seconds, computed the way app_queue does. */
  holdtime = 0;
  talktime = 0;
  /** Calls whose inbound Local pair is up: `Local/s@inbound-<name>` is INUSE while any is. */
  inboundCalls = 0;
  #queueDevice = 'NOT_INUSE';
  /**
   * `Queue:<name>_avail` as cached by the device state core. The transcripts show a first
   * NOT_INUSE only for the queue with a second member, never INUSE for the single-member queue:
   * the cache starts at INUSE after boot.
   */
  #availDevice = 'INUSE';

  constructor(config: LabQueue, loginTime: number) {
    this.config = config;
    this.members = config.members.map((m) => ({
      config: m,
      callsTaken: 0,
      lastCall: 0,
      loginTime,
      status: DEVICE_NOT_INUSE,
      paused: false,
      busy: 0,
    }));
  }

  get name(): string {
    return this.config.name;
  }

  member(ifaceOrExten: string): MemberRuntime | undefined {
    return this.members.find(
      (m) => m.config.interface === ifaceOrExten || m.config.interface.startsWith(`Local/${ifaceOrExten}@`),
    );
  }

  /** Appends the caller; the DeviceStateChange when the queue goes from empty to ringing. */
  join(caller: SimChannel, now: number): { position: number; count: number; deviceEvent?: AmiPair[] } {
    this.entries.push({ caller, joinedAt: now });
    const count = this.entries.length;
    return { position: count, count, deviceEvent: this.#setQueueDevice(count > 0 ? 'RINGING' : 'NOT_INUSE') };
  }

  /** Removes the caller; its position before leaving and the count after. */
  leave(caller: SimChannel): { position: number; count: number; deviceEvent?: AmiPair[] } {
    const index = this.entries.findIndex((e) => e.caller === caller);
    if (index >= 0) this.entries.splice(index, 1);
    const count = this.entries.length;
    return {
      position: index + 1,
      count,
      deviceEvent: this.#setQueueDevice(count > 0 ? 'RINGING' : 'NOT_INUSE'),
    };
  }

  position(caller: SimChannel): number {
    return this.entries.findIndex((e) => e.caller === caller) + 1;
  }

  #setQueueDevice(state: string): AmiPair[] | undefined {
    if (state === this.#queueDevice) return undefined;
    this.#queueDevice = state;
    return deviceStateEvent(`Queue:${this.name}`, state);
  }

  isAvailable(m: MemberRuntime, nowMs: number): boolean {
    const inWrapup = m.lastCall > 0 && (m.lastCall + this.config.wrapupSec) * 1000 > nowMs;
    return (m.status === DEVICE_NOT_INUSE || m.status === 0) && !m.paused && !inWrapup;
  }

  /** After a member's device changed: `Queue:<name>_avail`, only when the cached value changes. */
  availabilityEvent(nowMs: number): AmiPair[] | undefined {
    const state = this.members.some((m) => this.isAvailable(m, nowMs)) ? 'NOT_INUSE' : 'INUSE';
    if (state === this.#availDevice) return undefined;
    this.#availDevice = state;
    return deviceStateEvent(`Queue:${this.name}_avail`, state);
  }

  /** recalc_holdtime: a weighted running average. */
  recordHold(holdSec: number): void {
    this.holdtime = (this.holdtime * 3 + holdSec) >> 2;
  }

  /** update_queue: the member's counters and the queue's talk time average. */
  recordCompleted(m: MemberRuntime, holdSec: number, talkSec: number, nowMs: number): void {
    m.callsTaken++;
    m.lastCall = Math.floor(nowMs / 1000);
    this.completed++;
    if (holdSec <= 0) this.completedInSl++;
    this.talktime = this.completedInSl === 1 ? talkSec : (this.talktime * 3 + talkSec) >> 2;
  }

  memberStatusEvent(m: MemberRuntime): AmiPair[] {
    return [
      ['Event', 'QueueMemberStatus'],
      ['Privilege', AGENT],
      ['Queue', this.name],
      ['MemberName', m.config.name],
      ['Interface', m.config.interface],
      ...memberStateFields(m),
      ['Ringinuse', '0'],
      ['Wrapuptime', '0'],
    ];
  }
}
