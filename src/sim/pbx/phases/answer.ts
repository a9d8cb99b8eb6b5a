import {
  type CallContext,
  memberDeviceEvent,
  runPhase,
  secondsBetween,
  setDialplan,
} from '../call-context.ts';
import { AGENT, bridgeEvent, CALL, channelEvent, type SimBridge, twoChannelEvent } from '../events.ts';
import { parseLocalInterface } from '../lab.ts';

/**
 * The ringing member answers: the caller leaves the queue (QueueCallerLeave before
 * AgentConnect), then both enter a new bridge. AgentConnect's HoldTime and RingTime are seconds.
 */
export function answer(ctx: CallContext): void {
  const agent = ctx.agent;
  if (!agent) throw new Error('answer without a ringing member');
  const { caller, plan, state } = ctx;
  const { one, two } = agent;
  const q = plan.queue;
  const m = agent.ring.member;
  const now = state.now();
  ctx.answeredAt = now;
  const holdSec = secondsBetween(ctx.joinedAt, now);
  const ringSec = secondsBetween(agent.ringStartedAt, now);
  q.recordHold(holdSec);
  const bridge: SimBridge = { id: state.ids.bridgeId(), numChannels: 0 };
  const enter = (ch: typeof one) => () => {
    bridge.numChannels++;
    ch.bridgeId = bridge.id;
    return bridgeEvent('BridgeEnter', bridge, ch);
  };
  runPhase(ctx, 'answer', {
    up2: () => {
      two.state = 6;
      two.priority = 5;
      two.application = 'Answer';
      return channelEvent('Newstate', CALL, two);
    },
    up1: () => {
      one.state = 6;
      return channelEvent('Newstate', CALL, one);
    },
    dialEnd: () => twoChannelEvent('DialEnd', CALL, caller, one, [['DialStatus', 'ANSWER']]),
    mohStop: () => channelEvent('MusicOnHoldStop', CALL, caller),
    devM1: () => memberDeviceEvent(m),
    devM2: () => memberDeviceEvent(m),
    devQueue: () => {
      const left = q.leave(caller);
      ctx.leftAt = left;
      return left.deviceEvent;
    },
    leave: () =>
      channelEvent('QueueCallerLeave', AGENT, caller, [
        ['Queue', q.name],
        ['Position', String(ctx.leftAt?.position ?? 1)],
        ['Count', String(ctx.leftAt?.count ?? 0)],
      ]),
    connect: () =>
      twoChannelEvent('AgentConnect', AGENT, caller, one, [
        ['Queue', q.name],
        ['Interface', m.config.interface],
        ['MemberName', m.config.name],
        ['HoldTime', String(holdSec)],
        ['RingTime', String(ringSec)],
      ]),
    bridgeCreate: () => {
      ctx.bridge = bridge;
      return bridgeEvent('BridgeCreate', bridge);
    },
    enter1: enter(one),
    enterCaller: enter(caller),
  });
  // [agents]: PlayTones, then Wait(AGENT_TALK) while talking.
  const { exten, context } = parseLocalInterface(m.config.interface);
  setDialplan(two, context, exten, 7, 'Wait', '3600');
}
