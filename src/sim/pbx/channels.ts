import type { AmiPair } from '../../pbx/ami-codec.ts';

/**
 * The live channel table: what CoreShowChannels, Status, Getvar and MixMonitor look up, and the
 * source of every channel snapshot in events.
 */

export const UNKNOWN = '<unknown>';

const STATE_DESC: Record<number, string> = {
  0: 'Down',
  4: 'Ring',
  5: 'Ringing',
  6: 'Up',
};

export interface SimChannel {
  name: string;
  uniqueid: string;
  linkedid: string;
  state: 0 | 4 | 5 | 6;
  callerNum: string;
  callerName: string;
  connectedNum: string;
  connectedName: string;
  language: string;
  accountCode: string;
  context: string;
  exten: string;
  priority: number;
  /** Epoch ms, for Duration/Seconds. */
  createdAt: number;
  bridgeId: string;
  application: string;
  appData: string;
  /** What `CALLERID(num-pres)` reads. */
  presentation: 'allowed' | 'prohib';
  /** Dialplan variables Getvar and Status can read. */
  vars: Map<string, string>;
}

export function newChannel(
  fields: Pick<SimChannel, 'name' | 'uniqueid' | 'linkedid' | 'state' | 'context' | 'exten' | 'createdAt'>,
): SimChannel {
  return {
    ...fields,
    callerNum: UNKNOWN,
    callerName: UNKNOWN,
    connectedNum: UNKNOWN,
    connectedName: UNKNOWN,
    language: 'en',
    accountCode: '',
    priority: 1,
    bridgeId: '',
    application: '',
    appData: '',
    presentation: 'allowed',
    vars: new Map(),
  };
}

export function stateDesc(state: number): string {
  return STATE_DESC[state] ?? 'Unknown';
}

/** Values that differ from the channel's present ones: snapshots Asterisk took a moment earlier. */
export type SnapshotOverrides = Partial<
  Pick<SimChannel, 'exten' | 'connectedNum' | 'connectedName' | 'context' | 'priority' | 'state'>
>;

/** The 14 snapshot fields Asterisk puts in channel events, optionally prefixed (`Dest`, `LocalOne`). */
export function pushSnapshot(out: AmiPair[], ch: SimChannel, prefix = '', o?: SnapshotOverrides): void {
  const state = o?.state ?? ch.state;
  out.push(
    [`${prefix}Channel`, ch.name],
    [`${prefix}ChannelState`, String(state)],
    [`${prefix}ChannelStateDesc`, stateDesc(state)],
    [`${prefix}CallerIDNum`, ch.callerNum],
    [`${prefix}CallerIDName`, ch.callerName],
    [`${prefix}ConnectedLineNum`, o?.connectedNum ?? ch.connectedNum],
    [`${prefix}ConnectedLineName`, o?.connectedName ?? ch.connectedName],
    [`${prefix}Language`, ch.language],
    [`${prefix}AccountCode`, ch.accountCode],
    [`${prefix}Context`, o?.context ?? ch.context],
    [`${prefix}Exten`, o?.exten ?? ch.exten],
    [`${prefix}Priority`, String(o?.priority ?? ch.priority)],
    [`${prefix}Uniqueid`, ch.uniqueid],
    [`${prefix}Linkedid`, ch.linkedid],
  );
}

export class ChannelTable {
  readonly #byName = new Map<string, SimChannel>();

  add(ch: SimChannel): void {
    this.#byName.set(ch.name.toLowerCase(), ch);
  }

  remove(ch: SimChannel): void {
    this.#byName.delete(ch.name.toLowerCase());
  }

  /** By name, case-insensitive like ast_channel_get_by_name. */
  get(name: string): SimChannel | undefined {
    return this.#byName.get(name.toLowerCase());
  }

  /** In creation order. */
  list(): SimChannel[] {
    return [...this.#byName.values()];
  }

  get size(): number {
    return this.#byName.size;
  }
}
