import {
  type AgentLeg,
  type CallContext,
  channelGone,
  memberDeviceEvent,
  memberStatusSteps,
  runPhase,
  type Step,
  setDialplan,
} from '../call-context.ts';
import type { PlannedRing } from '../call-script.ts';
import { newChannel, UNKNOWN } from '../channels.ts';
import {
  AGENT,
  CALL,
  channelEvent,
  hangupEvent,
  hangupRequestEvent,
  localBridgeEvent,
  PRES_ALLOWED,
  PRES_PROHIBITED,
  twoChannelEvent,
} from '../events.ts';
import { parseLocalInterface } from '../lab.ts';

/** app_queue rings one member: a new Local pair, AgentCalled, Dial*, member status changes. */
export function ringMember(ctx: CallContext, ring: PlannedRing): void {
  const { caller, plan, state } = ctx;
  const q = plan.queue;
  const m = ring.member;
  const iface = m.config.interface;
  const { exten, context } = parseLocalInterface(iface);
  const suffix = state.ids.localSuffix();
  const now = state.now();
  const base = { linkedid: caller.linkedid, context, exten, createdAt: now };
  const one = newChannel({ ...base, name: `${iface}-${suffix};1`, uniqueid: state.ids.uniqueid(), state: 0 });
  const two = newChannel({ ...base, name: `${iface}-${suffix};2`, uniqueid: state.ids.uniqueid(), state: 4 });
  setDialplan(one, context, exten, 1, 'AppQueue', '(Outgoing Line)');
  ctx.agent = { ring, one, two, ringStartedAt: now };
  m.busy++;
  const id = plan.caller;
  // ring_entry(): without a caller number the member leg gets the queue caller's extension,
  // which is the queue name here, as its caller ID number.
  const legId = id.kind === 'unknown' ? { num: q.name, name: UNKNOWN } : { num: id.num, name: id.name };
  runPhase(ctx, 'ring', {
    nc1: () => {
      state.channels.add(one);
      return channelEvent('Newchannel', CALL, one);
    },
    nc2: () => {
      state.channels.add(two);
      return channelEvent('Newchannel', CALL, two);
    },
    cid1: () => {
      Object.assign(one, { callerNum: legId.num, callerName: legId.name });
      return channelEvent('NewCallerid', CALL, one, [['CID-CallingPres', PRES_ALLOWED]]);
    },
    cid2: () => {
      Object.assign(two, { callerNum: legId.num, callerName: legId.name });
      Object.assign(two, { connectedNum: legId.num, connectedName: legId.name });
      if (id.kind === 'withheld') two.presentation = 'prohib';
      const pres = id.kind === 'withheld' ? PRES_PROHIBITED : PRES_ALLOWED;
      return channelEvent('NewCallerid', CALL, two, [['CID-CallingPres', pres]]);
    },
    cl2: () => channelEvent('NewConnectedLine', CALL, two),
    localBridge: () => localBridgeEvent(one, two),
    called: () => {
      // The queue leg inherits the caller's extension and gets the caller as connected line.
      Object.assign(one, { exten: q.name, connectedNum: caller.callerNum, connectedName: caller.callerName });
      return twoChannelEvent('AgentCalled', AGENT, caller, one, [
        ['Queue', q.name],
        ['Interface', iface],
        ['MemberName', m.config.name],
      ]);
    },
    // DialBegin carries a snapshot taken before those updates.
    dialBegin: () =>
      twoChannelEvent('DialBegin', CALL, caller, one, [['DialString', iface]], {
        exten,
        connectedNum: UNKNOWN,
        connectedName: UNKNOWN,
      }),
    ringing: () => {
      one.state = 5;
      return channelEvent('Newstate', CALL, one);
    },
    cl1: () => channelEvent('NewConnectedLine', CALL, one),
    dialState: () => twoChannelEvent('DialState', CALL, caller, one, [['DialStatus', 'RINGING']]),
    ...memberStatusSteps(ctx, m),
    devMember: () => memberDeviceEvent(m),
  });
  // [agents]: Ringing(), then Wait(RING_DELAY) before Answer(), or Wait(3600) at n(noanswer).
  if (ring.outcome === 'answer')
    setDialplan(two, context, exten, 4, 'Wait', String(Math.ceil(ring.ms / 1000)));
  else setDialplan(two, context, exten, 10, 'Wait', '3600');
}

/** The unanswered member legs go down (hangupcalls(): no cause on the queue's side). */
export function unansweredLegSteps(ctx: CallContext, agent: AgentLeg | undefined): Record<string, Step> {
  const { one, two } = agent ?? {};
  return {
    hr2: () => (two ? hangupRequestEvent('HangupRequest', two, 0) : undefined),
    hup1: () => {
      if (!one) return undefined;
      channelGone(ctx, one);
      return hangupEvent(one, 0);
    },
    shr2: () => (two ? hangupRequestEvent('SoftHangupRequest', two, 16) : undefined),
    hup2: () => {
      if (!two) return undefined;
      channelGone(ctx, two);
      return hangupEvent(two, 0);
    },
  };
}

/** The member did not answer within its ring time: AgentRingNoAnswer (RingTime in ms). */
export function ringNoAnswer(ctx: CallContext): void {
  const agent = ctx.agent;
  if (!agent) return;
  const { caller, plan } = ctx;
  const m = agent.ring.member;
  m.busy--;
  const dialEnd = (status: string) => () =>
    twoChannelEvent('DialEnd', CALL, caller, agent.one, [['DialStatus', status]]);
  runPhase(ctx, 'ringNoAnswer', {
    rna: () =>
      twoChannelEvent('AgentRingNoAnswer', AGENT, caller, agent.one, [
        ['Queue', plan.queue.name],
        ['Interface', m.config.interface],
        ['MemberName', m.config.name],
        ['RingTime', String(agent.ring.ms)],
      ]),
    dialEndNoAnswer: dialEnd('NOANSWER'),
    dialEndCancel: dialEnd('CANCEL'),
    ...unansweredLegSteps(ctx, agent),
    devM1: () => memberDeviceEvent(m),
    devM2: () => memberDeviceEvent(m),
    ...memberStatusSteps(ctx, m),
  });
  ctx.agent = undefined;
}
