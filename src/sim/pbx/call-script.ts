import { UNKNOWN } from './channels.ts';
import type { MemberRuntime, QueueRuntime } from './queue-state.ts';

/** What a scripted queue call does, as given to `placeCall`, and its validated form. */

/** The transcripts whose event orderings can be asked for (see orderings.ts). */
export type ObservedOrdering = 'a' | 'b' | 'c' | 'e';

export interface RingStep {
  /** Member interface (`Local/101@agents`) or extension (`101`). */
  ring: string;
  /** How long the member rings: until answer, or the ring timeout (AgentRingNoAnswer RingTime). */
  ms: number;
  outcome: 'answer' | 'noanswer';
}

export interface CallSpec {
  queue: string;
  /** `anonymous` = withheld (presentation prohibited); absent or `<unknown>` = no caller ID. */
  callerNum?: string;
  callerName?: string;
  /** Members rung one after the other; default: the queue's first member answers after 50 ms. */
  script?: RingStep[];
  /** Talk time after the answer (default 100 ms). */
  talkMs?: number;
  /** Who ends an answered call (default `caller`). */
  hangup?: 'caller' | 'agent';
  /** The caller gives up this long after joining the queue unless answered before. */
  abandonAfterMs?: number;
  /** Arrival to queue join (default 20 ms, about what the lab took). */
  joinMs?: number;
  /** Pause between a member that did not answer and the next (queues.conf `retry`, default 20 ms). */
  retryMs?: number;
  /** Reproduce the event order of one transcript; default: a seeded choice among all observed. */
  ordering?: ObservedOrdering;
}

export interface CallerIdentity {
  kind: 'known' | 'withheld' | 'unknown';
  num: string;
  name: string;
}

export interface PlannedRing {
  member: MemberRuntime;
  ms: number;
  outcome: 'answer' | 'noanswer';
}

export interface CallPlan {
  queue: QueueRuntime;
  caller: CallerIdentity;
  rings: PlannedRing[];
  talkMs: number;
  hangup: 'caller' | 'agent';
  abandonAfterMs: number | undefined;
  joinMs: number;
  retryMs: number;
  ordering: ObservedOrdering | undefined;
}

export function callerIdentity(num: string | undefined, name: string | undefined): CallerIdentity {
  if (!num || num === UNKNOWN) return { kind: 'unknown', num: UNKNOWN, name: UNKNOWN };
  if (num.toLowerCase() === 'anonymous') return { kind: 'withheld', num, name: name || 'Anonymous' };
  return { kind: 'known', num, name: name || UNKNOWN };
}

const nonNegative = (label: string, v: number | undefined, fallback: number): number => {
  const value = v ?? fallback;
  if (!Number.isFinite(value) || value < 0) throw new Error(`placeCall: ${label} must be a number >= 0`);
  return value;
};

export function planCall(spec: CallSpec, queues: ReadonlyMap<string, QueueRuntime>): CallPlan {
  const queue = queues.get(spec.queue);
  if (!queue) throw new Error(`placeCall: no queue named ${spec.queue}`);
  const steps = spec.script ?? [
    { ring: queue.members[0]?.config.interface ?? '', ms: 50, outcome: 'answer' },
  ];
  const rings = steps.map((s, i): PlannedRing => {
    const member = queue.member(s.ring);
    if (!member) throw new Error(`placeCall: ${s.ring} is not a member of queue ${queue.name}`);
    if (s.outcome !== 'answer' && s.outcome !== 'noanswer')
      throw new Error(`placeCall: bad outcome in step ${i}`);
    return { member, ms: nonNegative(`script[${i}].ms`, s.ms, 0), outcome: s.outcome };
  });
  const answerAt = rings.findIndex((r) => r.outcome === 'answer');
  if (answerAt >= 0 && answerAt < rings.length - 1) {
    throw new Error('placeCall: no ring step may follow the one that answers');
  }
  if (answerAt < 0 && spec.abandonAfterMs === undefined) {
    throw new Error('placeCall: a call nobody answers needs abandonAfterMs');
  }
  return {
    queue,
    caller: callerIdentity(spec.callerNum, spec.callerName),
    rings,
    talkMs: nonNegative('talkMs', spec.talkMs, 100),
    hangup: spec.hangup ?? 'caller',
    abandonAfterMs:
      spec.abandonAfterMs === undefined ? undefined : nonNegative('abandonAfterMs', spec.abandonAfterMs, 0),
    joinMs: nonNegative('joinMs', spec.joinMs, 20),
    retryMs: nonNegative('retryMs', spec.retryMs, 20),
    ordering: spec.ordering,
  };
}
