import { type CallContext, inboundDeviceEvent, runPhase, setDialplan } from '../call-context.ts';
import { AGENT, CALL, channelEvent, localBridgeEvent, PRES_ALLOWED, twoChannelEvent } from '../events.ts';

/**
 * The caller's Local pair comes up (the lab originated `Local/s@inbound-<q>`; the `;2` half
 * answers and runs Queue()), then joins the queue. Without caller ID there is nothing to set, so
 * no NewCallerid/NewConnectedLine for the inbound legs.
 */

export function arrive(ctx: CallContext): void {
  const { cust, caller, plan, state } = ctx;
  const q = plan.queue.name;
  const id = plan.caller;
  const hasCallerId = id.kind !== 'unknown';
  plan.queue.inboundCalls++;
  runPhase(ctx, 'arrival', {
    ncCust: () => {
      state.channels.add(cust);
      return channelEvent('Newchannel', CALL, cust);
    },
    ncCaller: () => {
      state.channels.add(caller);
      return channelEvent('Newchannel', CALL, caller);
    },
    cidCust: () => {
      if (!hasCallerId) return undefined;
      cust.callerNum = id.num;
      cust.callerName = id.name;
      return channelEvent('NewCallerid', CALL, cust, [['CID-CallingPres', PRES_ALLOWED]]);
    },
    clCust: () => {
      if (!hasCallerId) return undefined;
      cust.connectedNum = id.num;
      cust.connectedName = id.name;
      return channelEvent('NewConnectedLine', CALL, cust);
    },
    cidCaller: () => {
      if (!hasCallerId) return undefined;
      Object.assign(caller, {
        callerNum: id.num,
        callerName: id.name,
        connectedNum: id.num,
        connectedName: id.name,
      });
      return channelEvent('NewCallerid', CALL, caller, [['CID-CallingPres', PRES_ALLOWED]]);
    },
    clCaller: () => (hasCallerId ? channelEvent('NewConnectedLine', CALL, caller) : undefined),
    localBridge: () => localBridgeEvent(cust, caller),
    dialBegin: () => twoChannelEvent('DialBegin', CALL, undefined, cust, [['DialString', `s@inbound-${q}`]]),
    upCaller: () => {
      caller.state = 6;
      setDialplan(caller, 'inbound', q, 3, 'Answer');
      return channelEvent('Newstate', CALL, caller);
    },
    devIn1: () => inboundDeviceEvent(ctx),
    upCust: () => {
      cust.state = 6;
      return channelEvent('Newstate', CALL, cust);
    },
    dialEnd: () => twoChannelEvent('DialEnd', CALL, undefined, cust, [['DialStatus', 'ANSWER']]),
    devIn2: () => inboundDeviceEvent(ctx),
  });
  // The customer side now plays the far-end phone in [customer] (PlayTones, then Wait).
  setDialplan(cust, 'customer', 'talk', 3, 'Wait', '30');
  // The lab's dialplan sets CALLERID(pres)=prohib for a withheld caller before Queue().
  if (id.kind === 'withheld') caller.presentation = 'prohib';
}

export function joinQueue(ctx: CallContext): void {
  const { caller, plan, state } = ctx;
  const queue = plan.queue;
  let joined: { position: number; count: number } = { position: 0, count: 0 };
  ctx.joinedAt = state.now();
  runPhase(ctx, 'join', {
    devQueue: () => {
      setDialplan(caller, 'inbound', queue.name, 4, 'Queue', `${queue.name},,,,300`);
      const result = queue.join(caller, ctx.joinedAt);
      joined = result;
      ctx.joinedPosition = result.position;
      return result.deviceEvent;
    },
    join: () =>
      channelEvent('QueueCallerJoin', AGENT, caller, [
        ['Queue', queue.name],
        ['Position', String(joined.position)],
        ['Count', String(joined.count)],
      ]),
    moh: () => channelEvent('MusicOnHoldStart', CALL, caller, [['Class', queue.config.musicClass]]),
  });
}
