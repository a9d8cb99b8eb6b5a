import type { AmiPair } from '../../pbx/ami-codec.ts';
import { pushSnapshot, type SimChannel, type SnapshotOverrides } from './channels.ts';

/** Builders for the event shapes of the transcripts, field order included. */

export const CALL = 'call,all';
export const AGENT = 'agent,all';
export const SYSTEM = 'system,all';

export const PRES_ALLOWED = '0 (Presentation Allowed, Not Screened)';
export const PRES_PROHIBITED = '35 (Presentation Prohibited, Network Number)';

const CAUSE_TEXT: Record<number, string> = { 0: 'Unknown', 16: 'Normal Clearing' };

export interface SimBridge {
  id: string;
  numChannels: number;
}

/** Event + Privilege + one channel snapshot + extra fields. */
export function channelEvent(
  event: string,
  privilege: string,
  ch: SimChannel,
  extra: AmiPair[] = [],
): AmiPair[] {
  const out: AmiPair[] = [
    ['Event', event],
    ['Privilege', privilege],
  ];
  pushSnapshot(out, ch);
  for (const p of extra) out.push(p);
  return out;
}

/**
 * Caller snapshot, then the member's prefixed `Dest…` (Dial*, Agent* events). Without a caller
 * (the Originate leg's DialBegin/DialEnd) only the Dest part is there.
 */
export function twoChannelEvent(
  event: string,
  privilege: string,
  caller: SimChannel | undefined,
  dest: SimChannel,
  extra: AmiPair[] = [],
  destOverrides?: SnapshotOverrides,
): AmiPair[] {
  const out: AmiPair[] = [
    ['Event', event],
    ['Privilege', privilege],
  ];
  if (caller) pushSnapshot(out, caller);
  pushSnapshot(out, dest, 'Dest', destOverrides);
  for (const p of extra) out.push(p);
  return out;
}

export function localBridgeEvent(one: SimChannel, two: SimChannel): AmiPair[] {
  const out: AmiPair[] = [
    ['Event', 'LocalBridge'],
    ['Privilege', CALL],
  ];
  pushSnapshot(out, one, 'LocalOne');
  pushSnapshot(out, two, 'LocalTwo');
  out.push(['Context', one.context], ['Exten', one.exten], ['LocalOptimization', 'Yes']);
  return out;
}

function pushBridge(out: AmiPair[], bridge: SimBridge): void {
  out.push(
    ['BridgeUniqueid', bridge.id],
    ['BridgeType', 'basic'],
    ['BridgeTechnology', 'simple_bridge'],
    ['BridgeCreator', '<unknown>'],
    ['BridgeName', '<unknown>'],
    ['BridgeNumChannels', String(bridge.numChannels)],
    ['BridgeVideoSourceMode', 'none'],
  );
}

/** BridgeCreate/BridgeDestroy without a channel, BridgeEnter/BridgeLeave with one. */
export function bridgeEvent(event: string, bridge: SimBridge, ch?: SimChannel): AmiPair[] {
  const out: AmiPair[] = [
    ['Event', event],
    ['Privilege', CALL],
  ];
  pushBridge(out, bridge);
  if (ch) pushSnapshot(out, ch);
  return out;
}

export function deviceStateEvent(device: string, state: string): AmiPair[] {
  return [
    ['Event', 'DeviceStateChange'],
    ['Privilege', CALL],
    ['Device', device],
    ['State', state],
  ];
}

export function hangupRequestEvent(
  event: 'HangupRequest' | 'SoftHangupRequest',
  ch: SimChannel,
  cause: number,
) {
  return channelEvent(event, CALL, ch, [['Cause', String(cause)]]);
}

export function hangupEvent(ch: SimChannel, cause: number): AmiPair[] {
  return channelEvent('Hangup', CALL, ch, [
    ['Cause', String(cause)],
    ['Cause-txt', CAUSE_TEXT[cause] ?? 'Unknown'],
  ]);
}
