import {
  type CallContext,
  channelGone,
  inboundDeviceEvent,
  memberDeviceEvent,
  memberStatusSteps,
  runPhase,
  secondsBetween,
  setDialplan,
} from '../call-context.ts';
import { AGENT, CALL, channelEvent, hangupEvent, hangupRequestEvent, twoChannelEvent } from '../events.ts';
import { unansweredLegSteps } from './ring.ts';

/**
 * The caller hangs up while waiting: QueueCallerAbandon, then QueueCallerLeave too. A member
 * ringing at that moment gets no AgentRingNoAnswer; its legs hang up with cause 0. Between ring
 * attempts no member legs exist and their steps send nothing.
 */
export function abandon(ctx: CallContext): void {
  const { caller, cust, plan, state } = ctx;
  const q = plan.queue;
  const agent = ctx.agent;
  const m = agent?.ring.member;
  setDialplan(cust, 'customer', 'talk', 5, 'Hangup');
  q.inboundCalls--;
  if (m) m.busy--;
  q.abandoned++;
  const holdSec = secondsBetween(ctx.joinedAt, state.now());
  const position = q.position(caller);
  const cancel = () =>
    agent ? twoChannelEvent('DialEnd', CALL, caller, agent.one, [['DialStatus', 'CANCEL']]) : undefined;
  const status = m ? memberStatusSteps(ctx, m) : undefined;
  runPhase(ctx, 'abandon', {
    shrCust: () => hangupRequestEvent('SoftHangupRequest', cust, 16),
    hrCaller: () => hangupRequestEvent('HangupRequest', caller, 16),
    hupCust: () => {
      channelGone(ctx, cust);
      return hangupEvent(cust, 16);
    },
    mohStop: () => channelEvent('MusicOnHoldStop', CALL, caller),
    devIn1: () => inboundDeviceEvent(ctx),
    // wait_for_answer() and hangupcalls() each publish the CANCEL.
    dialEnd1: cancel,
    dialEnd2: cancel,
    ...unansweredLegSteps(ctx, agent),
    abandon: () =>
      channelEvent('QueueCallerAbandon', AGENT, caller, [
        ['Queue', q.name],
        ['Position', String(position)],
        ['OriginalPosition', String(ctx.joinedPosition)],
        ['HoldTime', String(holdSec)],
      ]),
    devQueue: () => {
      const left = q.leave(caller);
      ctx.leftAt = left;
      return left.deviceEvent;
    },
    devM1: () => (m ? memberDeviceEvent(m) : undefined),
    leave: () =>
      channelEvent('QueueCallerLeave', AGENT, caller, [
        ['Queue', q.name],
        ['Position', String(ctx.leftAt?.position ?? position)],
        ['Count', String(ctx.leftAt?.count ?? 0)],
      ]),
    devM2: () => (m ? memberDeviceEvent(m) : undefined),
    qms: () => status?.qms(),
    avail: () => status?.avail(),
    shrCaller: () => hangupRequestEvent('SoftHangupRequest', caller, 16),
    hupCaller: () => {
      channelGone(ctx, caller);
      return hangupEvent(caller, 16);
    },
    devIn2: () => inboundDeviceEvent(ctx),
  });
  ctx.agent = undefined;
}
