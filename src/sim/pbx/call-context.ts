import type { AmiPair } from '../../pbx/ami-codec.ts';
import type { CallPlan, PlannedRing } from './call-script.ts';
import { newChannel, type SimChannel } from './channels.ts';
import { deviceStateEvent, type SimBridge } from './events.ts';
import { chooseOrdering, type Phase } from './orderings.ts';
import type { PbxState } from './pbx-state.ts';
import { DEVICE_INUSE, DEVICE_NOT_INUSE, type MemberRuntime } from './queue-state.ts';

/** The state of one call in progress, shared by its phases. */

export interface AgentLeg {
  ring: PlannedRing;
  /** `Local/<ext>@agents-N;1`: the leg the queue dials; AgentConnect's DestChannel. */
  one: SimChannel;
  /** `;2`: runs the agent's phone in [agents]. */
  two: SimChannel;
  ringStartedAt: number;
}

export interface CallContext {
  readonly state: PbxState;
  readonly plan: CallPlan;
  /** `Local/s@inbound-<q>-N;1`: the customer's side; its Uniqueid is the call's Linkedid. */
  readonly cust: SimChannel;
  /** `;2`: the queue caller; AgentConnect's Channel, the one to record. */
  readonly caller: SimChannel;
  agent: AgentLeg | undefined;
  bridge: SimBridge | undefined;
  joinedAt: number;
  /** Position on joining (QueueCallerAbandon OriginalPosition). */
  joinedPosition: number;
  answeredAt: number;
  /** Where the caller was when it left the queue (QueueCallerLeave Position). */
  leftAt: { position: number; count: number } | undefined;
  /** Recordings of this call's channels still being finished. */
  readonly recordingsClosing: Promise<void>[];
}

export function createCallContext(state: PbxState, plan: CallPlan): CallContext {
  const suffix = state.ids.localSuffix();
  const q = plan.queue.name;
  const now = state.now();
  const custId = state.ids.uniqueid();
  const base = { context: `inbound-${q}`, exten: 's', createdAt: now, linkedid: custId };
  return {
    state,
    plan,
    cust: newChannel({ ...base, name: `Local/s@inbound-${q}-${suffix};1`, uniqueid: custId, state: 0 }),
    caller: newChannel({
      ...base,
      name: `Local/s@inbound-${q}-${suffix};2`,
      uniqueid: state.ids.uniqueid(),
      state: 4,
    }),
    agent: undefined,
    bridge: undefined,
    joinedAt: now,
    joinedPosition: 0,
    answeredAt: now,
    leftAt: undefined,
    recordingsClosing: [],
  };
}

/** A step builds (and may first apply) one event; undefined = nothing to send this time. */
export type Step = () => AmiPair[] | undefined;

/** Sends a phase's events in the order the call's chosen transcript had them. */
export function runPhase(ctx: CallContext, phase: Phase, steps: Readonly<Record<string, Step>>): void {
  const order = chooseOrdering(phase, ctx.plan.ordering, ctx.state.random);
  if (order.length !== Object.keys(steps).length) {
    throw new Error(`ordering for ${phase} does not cover its ${Object.keys(steps).length} steps`);
  }
  for (const key of order) {
    const step = steps[key];
    if (!step) throw new Error(`ordering for ${phase} names an unknown step ${key}`);
    const event = step();
    if (event) ctx.state.emit(event);
  }
}

export function setDialplan(
  ch: SimChannel,
  context: string,
  exten: string,
  priority: number,
  app: string,
  data = '',
) {
  ch.context = context;
  ch.exten = exten;
  ch.priority = priority;
  ch.application = app;
  ch.appData = data;
}

/** Removes a hung-up channel; its recording (if any) ends without an event. */
export function channelGone(ctx: CallContext, ch: SimChannel): void {
  ctx.state.channels.remove(ch);
  const closing = ctx.state.recordings.stop(ch);
  if (closing) ctx.recordingsClosing.push(closing);
}

export const secondsBetween = (from: number, to: number): number =>
  Math.max(0, Math.round((to - from) / 1000));

/** Local devices are not cached: every change is reported, INUSE while any call uses the device. */
export function inboundDeviceEvent(ctx: CallContext): AmiPair[] {
  const q = ctx.plan.queue;
  return deviceStateEvent(`Local/s@inbound-${q.name}`, q.inboundCalls > 0 ? 'INUSE' : 'NOT_INUSE');
}

export function memberDeviceEvent(m: MemberRuntime): AmiPair[] {
  return deviceStateEvent(m.config.interface, m.busy > 0 ? 'INUSE' : 'NOT_INUSE');
}

/** The member's status follows its device (QueueMemberStatus), then maybe `Queue:<q>_avail`. */
export function memberStatusSteps(ctx: CallContext, m: MemberRuntime): { qms: Step; avail: Step } {
  const q = ctx.plan.queue;
  return {
    qms: () => {
      m.status = m.busy > 0 ? DEVICE_INUSE : DEVICE_NOT_INUSE;
      return q.memberStatusEvent(m);
    },
    avail: () => q.availabilityEvent(ctx.state.now()),
  };
}
