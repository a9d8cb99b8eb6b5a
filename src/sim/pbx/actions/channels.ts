import type { AmiPair } from '../../../pbx/ami-codec.ts';
import { pushSnapshot, type SimChannel } from '../channels.ts';
import { listAck, listComplete, response } from '../responses.ts';
import type { ActionContext } from './types.ts';
import { readVariable } from './variables.ts';

/** CoreShowChannels and Status: the channels up now, what a reconnecting client rebuilds from. */

function hms(totalSec: number): string {
  const h = Math.floor(totalSec / 3600);
  const m = Math.floor((totalSec % 3600) / 60);
  const s = totalSec % 60;
  return [h, m, s].map((n) => String(n).padStart(2, '0')).join(':');
}

export function coreShowChannels({ session, state, actionId }: ActionContext): void {
  const channels = state.channels.list();
  session.reply(listAck(actionId, 'Channels will follow'));
  for (const ch of channels) {
    const out: AmiPair[] = [['Event', 'CoreShowChannel']];
    if (actionId) out.push(['ActionID', actionId]);
    pushSnapshot(out, ch);
    out.push(
      ['BridgeId', ch.bridgeId],
      ['Application', ch.application],
      ['ApplicationData', ch.appData],
      ['Duration', hms(Math.floor((state.now() - ch.createdAt) / 1000))],
    );
    session.reply(out);
  }
  session.reply(listComplete('CoreShowChannelsComplete', actionId, channels.length));
}

function statusEntry(ch: SimChannel, nowMs: number, variables: string[], actionId: string | undefined) {
  const out: AmiPair[] = [
    ['Event', 'Status'],
    ['Privilege', 'Call'],
  ];
  pushSnapshot(out, ch);
  out.push(
    ['Type', 'Local'],
    ['DNID', ''],
    ['EffectiveConnectedLineNum', ch.connectedNum],
    ['EffectiveConnectedLineName', ch.connectedName],
    ['TimeToHangup', '0'],
    ['BridgeID', ch.bridgeId],
    ['Application', ch.application],
    ['Data', ch.appData],
    ['Nativeformats', '(slin)'],
    ['Readformat', 'slin'],
    ['Readtrans', ''],
    ['Writeformat', 'slin'],
    ['Writetrans', ''],
    ['Callgroup', '0'],
    ['Pickupgroup', '0'],
    ['Seconds', String(Math.floor((nowMs - ch.createdAt) / 1000))],
  );
  for (const name of variables) out.push(['Variable', `${name}=${readVariable(ch, name)}`]);
  if (actionId) out.push(['ActionID', actionId]);
  return out;
}

export function status({ session, state, msg, actionId }: ActionContext): void {
  const name = msg.get('Channel') ?? '';
  const variables = (msg.get('Variables') ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
  let channels = state.channels.list();
  if (name) {
    const ch = state.channels.get(name);
    if (!ch) {
      session.reply(response('Error', actionId, 'No such channel'));
      return;
    }
    channels = [ch];
  }
  session.reply(listAck(actionId, 'Channel status will follow'));
  const now = state.now();
  for (const ch of channels) session.reply(statusEntry(ch, now, variables, actionId));
  const complete = listComplete('StatusComplete', actionId, channels.length);
  complete.push(['Items', String(channels.length)]);
  session.reply(complete);
}
