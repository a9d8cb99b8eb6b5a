import type { CallAnswered, CallEvent } from '../calls/events.ts';
import { memberExtension } from '../directory/member-extension.ts';
import type { Logger } from '../log/logger.ts';
import type { AmiMessage } from './ami-codec.ts';
import { callEventFromAmi } from './call-events-from-ami.ts';
import { type PbxCall, type ResyncAmi, readPbxCalls } from './pbx-calls.ts';

/**
 * After an AMI reconnect: what happened while the link was down is not replayed by Asterisk, so
 * the calls up now are read back (QueueStatus, CoreShowChannels) and compared with what the call
 * handler tracks. The answer is a list of synthetic domain events that bring the handler in line:
 *
 * - a caller waiting in a queue the handler does not know → CallQueued;
 * - a call talking to a queue member that the handler does not know as answered → CallAnswered
 *   (its ticket; `channel` is the queue caller's, where MixMonitor goes);
 * - a call the handler tracked before the reconnect that is no longer waiting nor talking →
 *   CallEnded (reason `unknown`, hold/talk 0: the real AgentComplete was lost).
 *
 * What the real transcripts (../shared/fixtures/ami) show and this relies on: QueueStatus's
 * QueueParams/QueueMember layout (`Queue`, `Name`, `Location`; transcript f); Linkedid = call id
 * on every channel of a call; channel names `<member interface>-<8 hex>;1/;2` for member legs
 * (AgentConnect `DestChannel: Local/101@agents-00000001;1` with `Interface: Local/101@agents`)
 * and the queue caller being AgentConnect's `Channel` (`Local/s@inbound-support-00000000;2`);
 * the 14-field channel snapshot (Channel … Linkedid) of channel events.
 *
 * What no real transcript shows (transcript f was taken on an idle PBX: no QueueEntry, zero
 * CoreShowChannel entries, no Status), taken from Asterisk's documented output and the fake PBX:
 * that a CoreShowChannel entry carries the same 14-field snapshot plus `BridgeId`, `Application`
 * and `ApplicationData`; that QueueEntry carries `Queue` and `Channel` (but no Linkedid, so the
 * call id comes from the caller channel's CoreShowChannel entry). "Answered" here means a member
 * leg sharing a bridge with another channel of the same call.
 *
 * What cannot be derived at all: a call answered *and* hung up while the link was down leaves
 * nothing in any of these lists (only QueueMember's CallsTaken/LastCall counters move, with no
 * call id), so it cannot get its ticket from here; a call the handler knew as queued that is gone
 * is ended without knowing whether it was answered. Hold and talk times of calls that ended while
 * the link was down are unknown (0).
 */

export interface KnownCall {
  callId: string;
  queue: string;
  state: 'queued' | 'answered';
}

/**
 * Call events that arrived live while the resync ran (raw AgentConnect/AgentComplete kept: a live
 * AgentComplete of a call answered while the link was down carries everything its answer needs).
 */
export type LiveCalls = ReadonlyMap<string, ReadonlyArray<AmiMessage>>;

export interface ResyncOptions {
  /** Queues this profile handles: events for others are not made. */
  queues: ReadonlySet<string>;
  now: number;
  logger: Logger;
  /** What the handler knew when the link came up, before any live event (default: known() now). */
  before?: ReadonlyArray<KnownCall>;
  /** Live call events seen since the link came up (see CallResync). */
  live?: LiveCalls;
}

/**
 * Reads the PBX and returns the events that bring the handler in line. The handler's view is
 * taken twice: when the link came up (only calls known then may be ended: a call that joins
 * while the lists are read is absent from them) and after reading (what live events told the
 * handler meanwhile).
 */
export async function resyncCalls(
  ami: ResyncAmi,
  known: () => ReadonlyArray<KnownCall>,
  options: ResyncOptions,
): Promise<CallEvent[]> {
  const before = options.before ?? known();
  const pbx = await readPbxCalls(ami);
  return reconcile({ ...options, pbx, before, after: known() });
}

/** Pure: the PBX now, the handler before and after reading it, live events meanwhile → events. */
export function reconcile(input: {
  pbx: readonly PbxCall[];
  before: ReadonlyArray<KnownCall>;
  after: ReadonlyArray<KnownCall>;
  queues: ReadonlySet<string>;
  now: number;
  logger: Logger;
  live?: LiveCalls;
}): CallEvent[] {
  const { queues, now: at } = input;
  const before = new Map(input.before.map((c) => [c.callId, c]));
  const after = new Map(input.after.map((c) => [c.callId, c]));
  const pbx = new Map(input.pbx.map((c) => [c.callId, c]));
  const live = input.live ?? new Map<string, readonly AmiMessage[]>();
  const events: CallEvent[] = [];

  // Calls with live events since the link came up are the live path's, except one case: an
  // AgentComplete for a call answered while the link was down, which the handler dropped.
  for (const [callId, messages] of live) {
    if (messages.some((m) => m.name === 'AgentConnect')) continue;
    const complete = messages.find((m) => m.name === 'AgentComplete');
    if (!complete || before.get(callId)?.state === 'answered') continue;
    const answered = answeredFromComplete(complete, at);
    const ended = callEventFromAmi(complete, at);
    if (answered && queues.has(answered.queue) && ended && 'event' in ended) {
      events.push(answered, ended.event);
    }
  }

  for (const call of pbx.values()) {
    if (live.has(call.callId)) continue;
    const known = after.get(call.callId);
    if (call.state === 'waiting' && !known && queues.has(call.queue)) {
      events.push({ type: 'CallQueued', callId: call.callId, queue: call.queue, caller: call.caller, at });
    }
    if (call.state === 'answered' && known?.state !== 'answered') {
      const queue = known?.queue ?? before.get(call.callId)?.queue ?? call.queues.find((q) => queues.has(q));
      if (queue === undefined) {
        if (call.queues.length === 0)
          input.logger.warn('call answered while the AMI link was down: its queue is unknown', {
            callId: call.callId,
            agent: call.agent.name,
          });
        continue;
      }
      events.push({
        type: 'CallAnswered',
        callId: call.callId,
        queue,
        caller: call.caller,
        agent: call.agent,
        channel: call.channel,
        holdSec: 0,
        at,
      });
    }
  }

  for (const [callId, was] of before) {
    const still = after.get(callId);
    const state = pbx.get(callId)?.state;
    if (!still || live.has(callId) || state === 'waiting' || state === 'answered') continue;
    // Gone, or up but neither waiting nor talking to a member: its end was lost with the link.
    events.push({
      type: 'CallEnded',
      callId,
      queue: still.queue || was.queue,
      reason: 'unknown',
      holdSec: 0,
      talkSec: 0,
      at,
    });
  }
  return events;
}

/** AgentComplete carries AgentConnect's fields (caller channel, member, queue): the lost answer. */
function answeredFromComplete(message: AmiMessage, at: number): CallAnswered | undefined {
  const callId = message.get('Linkedid') || message.get('Uniqueid');
  const queue = message.get('Queue');
  const channel = message.get('Channel');
  if (!callId || !queue || !channel) return undefined;
  const iface = message.get('Interface') ?? '';
  const hold = Number(message.get('HoldTime'));
  return {
    type: 'CallAnswered',
    callId,
    queue,
    caller: { num: message.get('CallerIDNum') ?? '', name: message.get('CallerIDName') ?? '' },
    agent: { interface: iface, name: message.get('MemberName') || iface, extension: memberExtension(iface) },
    channel,
    holdSec: Number.isFinite(hold) && hold >= 0 ? hold : 0,
    at,
  };
}

/** The four AMI call events (what callEventFromAmi translates): the live window keeps these. */
const LIVE_CALL_EVENTS: ReadonlySet<string> = new Set([
  'QueueCallerJoin',
  'AgentConnect',
  'AgentComplete',
  'QueueCallerAbandon',
]);

export interface CallResyncOptions {
  ami: ResyncAmi & {
    onEvent(listener: (event: AmiMessage) => void): () => void;
    /** The link's state (AmiClient.state): `up` once its up listeners have run. */
    readonly state?: string;
  };
  /** What the call handler tracks now (CallHandler.inProgress). */
  known: () => ReadonlyArray<KnownCall>;
  queues: ReadonlySet<string>;
  /** Where the events go: the same path as live ones. */
  dispatch: (event: CallEvent) => void;
  logger: Logger;
  now?: () => number;
}

interface LiveWindow {
  before: ReadonlyArray<KnownCall>;
  live: Map<string, AmiMessage[]>;
}

/**
 * Runs resyncCalls after a reconnect, one at a time (a reconnect during a run runs it again
 * afterwards). The window of live call events opens at the `FullyBooted` Asterisk sends right
 * after each login's Response, before any call event of the new link, when it is seen before the
 * client reports the link up; the handler's view is taken there too. Otherwise (no FullyBooted, or
 * one that comes after the up listeners ran) it opens at the request.
 */
export class CallResync {
  readonly #o: CallResyncOptions;
  readonly #log: Logger;
  #window: LiveWindow | undefined;
  #freshWindow = false;
  #running: Promise<void> | undefined;
  #again = false;

  constructor(options: CallResyncOptions) {
    this.#o = options;
    this.#log = options.logger.child('calls');
    options.ami.onEvent((event) => {
      const name = event.name;
      if (name === 'FullyBooted') {
        // Asterisk sends it right after the login's Response, often in another TCP segment: then
        // the link is up already and skip() or request() has opened this login's window. Opening
        // another here would take the handler's view before a journal restore and lose its calls.
        if (this.#o.ami.state === 'up') return;
        this.#window = { before: this.#o.known(), live: new Map() };
        this.#freshWindow = true;
        return;
      }
      if (!this.#window || !LIVE_CALL_EVENTS.has(name)) return;
      const callId = event.get('Linkedid') || event.get('Uniqueid');
      const live = this.#window.live;
      if (callId) live.set(callId, [...(live.get(callId) ?? []), event]);
    });
  }

  /** The run in progress, if any (tests wait on it). */
  get running(): Promise<void> | undefined {
    return this.#running;
  }

  /** The link came up but nothing is to be rebuilt (the first login: the start-up sync runs). */
  skip(): void {
    if (!this.#running) this.#window = undefined;
    this.#freshWindow = false;
  }

  /** After a reconnect. */
  request(): void {
    if (this.#running) {
      this.#again = true;
      return;
    }
    if (!this.#freshWindow || !this.#window) this.#window = { before: this.#o.known(), live: new Map() };
    this.#freshWindow = false;
    const window = this.#window;
    this.#running = this.#run(window).finally(() => {
      this.#running = undefined;
      if (this.#window === window) this.#window = undefined;
      if (this.#again) {
        this.#again = false;
        this.request();
      }
    });
  }

  async #run(window: LiveWindow): Promise<void> {
    const started = Date.now();
    let events: CallEvent[];
    try {
      events = await resyncCalls(this.#o.ami, this.#o.known, {
        queues: this.#o.queues,
        now: (this.#o.now ?? Date.now)(),
        logger: this.#o.logger,
        before: window.before,
        live: window.live,
      });
    } catch (error) {
      this.#log.warn('calls not rebuilt after the AMI reconnect; retried on the next one', { err: error });
      return;
    }
    const count = (type: CallEvent['type']) => events.filter((e) => e.type === type).length;
    this.#log.info('calls rebuilt after the AMI reconnect', {
      queued: count('CallQueued'),
      answered: count('CallAnswered'),
      ended: count('CallEnded'),
      ms: Date.now() - started,
    });
    for (const event of events) {
      this.#log.debug(`${event.type} rebuilt`, { callId: event.callId, queue: event.queue });
      this.#o.dispatch(event);
    }
  }
}
