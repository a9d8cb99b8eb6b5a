import type { AmiPair } from '../../../pbx/ami-codec.ts';
import { UNKNOWN } from '../channels.ts';
import { memberStateFields, type QueueRuntime } from '../queue-state.ts';
import { listAck, listComplete, withTrailingActionId } from '../responses.ts';
import type { ActionContext } from './types.ts';

/** QueueStatus and QueueSummary (app_queue): entries carry the ActionID as their last line. */

function servicePerf(q: QueueRuntime): [string, string] {
  const sl = q.completed > 0 ? (100 * q.completedInSl) / q.completed : 0;
  const total = q.completed + q.abandoned;
  const sl2 = total > 0 ? (100 * q.completedInSl) / total : 0;
  return [sl.toFixed(1), sl2.toFixed(1)];
}

function params(q: QueueRuntime): AmiPair[] {
  const [sl, sl2] = servicePerf(q);
  return [
    ['Event', 'QueueParams'],
    ['Queue', q.name],
    ['Max', '0'],
    ['Strategy', q.config.strategy],
    ['Calls', String(q.entries.length)],
    ['Holdtime', String(q.holdtime)],
    ['TalkTime', String(q.talktime)],
    ['Completed', String(q.completed)],
    ['Abandoned', String(q.abandoned)],
    ['ServiceLevel', '0'],
    ['ServicelevelPerf', sl],
    ['ServicelevelPerf2', sl2],
    ['Weight', '0'],
  ];
}

/** QueueEntry writes a missing caller ID as plain `unknown`, unlike channel events. */
const orUnknown = (v: string) => (v === UNKNOWN ? 'unknown' : v);

export function queueStatus({ session, state, msg, actionId }: ActionContext): void {
  const queueFilter = msg.get('Queue') ?? '';
  const memberFilter = msg.get('Member') ?? '';
  const nowSec = Math.floor(state.now() / 1000);
  session.reply(listAck(actionId, 'Queue status will follow'));
  let items = 0;
  for (const q of state.queues.values()) {
    if (queueFilter && queueFilter.toLowerCase() !== q.name.toLowerCase()) continue;
    session.reply(withTrailingActionId(params(q), actionId));
    items++;
    for (const m of q.members) {
      if (memberFilter && memberFilter !== m.config.interface && memberFilter !== m.config.name) continue;
      const member: AmiPair[] = [
        ['Event', 'QueueMember'],
        ['Queue', q.name],
        ['Name', m.config.name],
        ['Location', m.config.interface],
        ...memberStateFields(m),
        ['Wrapuptime', '0'],
      ];
      session.reply(withTrailingActionId(member, actionId));
      items++;
    }
    q.entries.forEach((e, i) => {
      const entry: AmiPair[] = [
        ['Event', 'QueueEntry'],
        ['Queue', q.name],
        ['Position', String(i + 1)],
        ['Channel', e.caller.name],
        ['Uniqueid', e.caller.uniqueid],
        ['CallerIDNum', orUnknown(e.caller.callerNum)],
        ['CallerIDName', orUnknown(e.caller.callerName)],
        ['ConnectedLineNum', orUnknown(e.caller.connectedNum)],
        ['ConnectedLineName', orUnknown(e.caller.connectedName)],
        ['Wait', String(nowSec - Math.floor(e.joinedAt / 1000))],
        ['Priority', '0'],
      ];
      session.reply(withTrailingActionId(entry, actionId));
      items++;
    });
  }
  session.reply(listComplete('QueueStatusComplete', actionId, items));
}

export function queueSummary({ session, state, msg, actionId }: ActionContext): void {
  const queueFilter = msg.get('Queue') ?? '';
  const now = state.now();
  session.reply(listAck(actionId, 'Queue summary will follow'));
  let items = 0;
  for (const q of state.queues.values()) {
    if (queueFilter && queueFilter.toLowerCase() !== q.name.toLowerCase()) continue;
    const longest = q.entries.reduce((max, e) => Math.max(max, Math.floor((now - e.joinedAt) / 1000)), 0);
    const summary: AmiPair[] = [
      ['Event', 'QueueSummary'],
      ['Queue', q.name],
      ['LoggedIn', String(q.members.length)],
      ['Available', String(q.members.filter((m) => q.isAvailable(m, now)).length)],
      ['Callers', String(q.entries.length)],
      ['HoldTime', String(q.holdtime)],
      ['TalkTime', String(q.talktime)],
      ['LongestHoldTime', String(longest)],
    ];
    session.reply(withTrailingActionId(summary, actionId));
    items++;
  }
  session.reply(listComplete('QueueSummaryComplete', actionId, items));
}
