import type { Logger } from '../../log/logger.ts';
import type { AmiPair } from '../../pbx/ami-codec.ts';
import { ChannelTable } from './channels.ts';
import { IdAllocator } from './ids.ts';
import type { Lab } from './lab.ts';
import type { Random } from './prng.ts';
import { QueueRuntime } from './queue-state.ts';
import { Recordings } from './recordings.ts';

/** Everything the actions and the call model share: one per fake PBX, no module state. */
export interface PbxState {
  readonly lab: Lab;
  readonly users: Readonly<Record<string, string>>;
  readonly now: () => number;
  /** Epoch ms the PBX "booted": FullyBooted Uptime, QueueMember LoginTime. */
  readonly startedAt: number;
  readonly channels: ChannelTable;
  readonly queues: ReadonlyMap<string, QueueRuntime>;
  readonly ids: IdAllocator;
  readonly recordings: Recordings;
  /** Picks among the event orderings real Asterisk produced when a call does not name one. */
  readonly random: Random;
  readonly logger: Logger;
  /** Sends an event to every logged-in session that has events on. */
  emit(event: AmiPair[]): void;
}

export interface PbxStateOptions {
  lab: Lab;
  users: Record<string, string>;
  now: () => number;
  random: Random;
  logger: Logger;
  recordingBlockMs: number;
  emit: (event: AmiPair[]) => void;
}

export function createPbxState(o: PbxStateOptions): PbxState {
  const startedAt = o.now();
  const loginTime = Math.floor(startedAt / 1000);
  return {
    lab: o.lab,
    users: o.users,
    now: o.now,
    startedAt,
    channels: new ChannelTable(),
    queues: new Map(o.lab.queues.map((q) => [q.name, new QueueRuntime(q, loginTime)])),
    ids: new IdAllocator(o.now),
    recordings: new Recordings({ now: o.now, blockMs: o.recordingBlockMs, logger: o.logger }),
    random: o.random,
    logger: o.logger,
    emit: o.emit,
  };
}
