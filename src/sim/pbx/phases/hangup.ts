import {
  type AgentLeg,
  type CallContext,
  channelGone,
  inboundDeviceEvent,
  memberDeviceEvent,
  memberStatusSteps,
  runPhase,
  type Step,
  secondsBetween,
  setDialplan,
} from '../call-context.ts';
import type { SimChannel } from '../channels.ts';
import { AGENT, bridgeEvent, hangupEvent, hangupRequestEvent, twoChannelEvent } from '../events.ts';
import { parseLocalInterface } from '../lab.ts';

/**
 * An answered call ends: AgentComplete (HoldTime, TalkTime in seconds, Reason), the bridge is
 * torn down and all four Local legs hang up with cause 16. The phase keeps each step's own
 * snapshot: a leg reads as it was when its event was sent.
 */

function talkingLegs(ctx: CallContext): AgentLeg {
  if (!ctx.agent || !ctx.bridge) throw new Error('hangup of a call that was never answered');
  return ctx.agent;
}

function sharedSteps(ctx: CallContext, reason: 'caller' | 'agent'): Record<string, Step> {
  const { caller, cust, plan, state } = ctx;
  const agent = talkingLegs(ctx);
  const bridge = ctx.bridge!;
  const { one, two } = agent;
  const q = plan.queue;
  const m = agent.ring.member;
  const leave = (ch: SimChannel) => () => {
    bridge.numChannels--;
    ch.bridgeId = '';
    return bridgeEvent('BridgeLeave', bridge, ch);
  };
  const gone = (ch: SimChannel) => () => {
    channelGone(ctx, ch);
    return hangupEvent(ch, 16);
  };
  return {
    complete: () => {
      const now = state.now();
      const holdSec = secondsBetween(ctx.joinedAt, ctx.answeredAt);
      const talkSec = secondsBetween(ctx.answeredAt, now);
      q.recordCompleted(m, holdSec, talkSec, now);
      return twoChannelEvent('AgentComplete', AGENT, caller, one, [
        ['Queue', q.name],
        ['Interface', m.config.interface],
        ['MemberName', m.config.name],
        ['HoldTime', String(holdSec)],
        ['TalkTime', String(talkSec)],
        ['Reason', reason],
      ]);
    },
    leaveCaller: leave(caller),
    leave1: leave(one),
    destroy: () => bridgeEvent('BridgeDestroy', bridge),
    hupCust: gone(cust),
    hupCaller: gone(caller),
    hup1: gone(one),
    hup2: gone(two),
    shrCaller: () => hangupRequestEvent('SoftHangupRequest', caller, 16),
    devIn1: () => inboundDeviceEvent(ctx),
    devIn2: () => inboundDeviceEvent(ctx),
    devM1: () => memberDeviceEvent(m),
    devM2: () => memberDeviceEvent(m),
    ...memberStatusSteps(ctx, m),
  };
}

/** The customer hangs up: [customer] reaches Hangup() at priority 5. */
export function callerHangsUp(ctx: CallContext): void {
  const { cust, caller } = ctx;
  const { two, ring } = talkingLegs(ctx);
  setDialplan(cust, 'customer', 'talk', 5, 'Hangup');
  ctx.plan.queue.inboundCalls--;
  ring.member.busy--;
  runPhase(ctx, 'callerHangup', {
    ...sharedSteps(ctx, 'caller'),
    shrCust: () => hangupRequestEvent('SoftHangupRequest', cust, 16),
    hrCaller: () => hangupRequestEvent('HangupRequest', caller, 16),
    hr2: () => hangupRequestEvent('HangupRequest', two, 16),
    shr2: () => hangupRequestEvent('SoftHangupRequest', two, 16),
  });
}

/** The agent hangs up: [agents] reaches Hangup() at priority 9; the customer was in Wait(). */
export function agentHangsUp(ctx: CallContext): void {
  const { cust } = ctx;
  const { one, two, ring } = talkingLegs(ctx);
  const { exten, context } = parseLocalInterface(ring.member.config.interface);
  setDialplan(two, context, exten, 9, 'Hangup');
  ctx.plan.queue.inboundCalls--;
  ring.member.busy--;
  runPhase(ctx, 'agentHangup', {
    ...sharedSteps(ctx, 'agent'),
    shr2: () => hangupRequestEvent('SoftHangupRequest', two, 16),
    hr1: () => hangupRequestEvent('HangupRequest', one, 16),
    hrCust: () => hangupRequestEvent('HangupRequest', cust, 16),
    shrCust: () => hangupRequestEvent('SoftHangupRequest', cust, 16),
  });
}
