import type { ObservedOrdering } from './call-script.ts';
import type { Random } from './prng.ts';

/**
 * The order of events within each phase of a queue call, exactly as real Asterisk 22 emitted
 * them in the shared transcripts (a, b, c, e). Asterisk's threads race, so the same phase comes
 * out in different orders; each variant is keyed by the transcripts it was seen in. The steps
 * are named in the phase modules; a conditional step (a device state that did not change) may
 * produce nothing. `ringNoAnswer` has no transcript: it follows app_queue's code path (rna(),
 * DialEnd NOANSWER, then hangupcalls()' DialEnd CANCEL and the member legs' hangup as in c).
 */

export type Phase =
  | 'arrival'
  | 'join'
  | 'ring'
  | 'answer'
  | 'callerHangup'
  | 'agentHangup'
  | 'abandon'
  | 'ringNoAnswer';

const arrivalHead = [
  'ncCust',
  'ncCaller',
  'cidCust',
  'clCust',
  'cidCaller',
  'clCaller',
  'localBridge',
  'dialBegin',
];
const ringHead = [
  'nc1',
  'nc2',
  'cid1',
  'cid2',
  'cl2',
  'localBridge',
  'called',
  'dialBegin',
  'ringing',
  'cl1',
];
const answerTail = ['devQueue', 'leave', 'connect', 'bridgeCreate', 'enter1', 'enterCaller'];

export const ORDERINGS: Readonly<Record<Phase, Readonly<Record<string, readonly string[]>>>> = {
  arrival: {
    a: [...arrivalHead, 'upCaller', 'devIn1', 'upCust', 'dialEnd', 'devIn2'],
    b: [...arrivalHead, 'upCust', 'dialEnd', 'upCaller', 'devIn1', 'devIn2'],
    ce: [...arrivalHead, 'upCaller', 'upCust', 'dialEnd', 'devIn1', 'devIn2'],
  },
  join: { abce: ['devQueue', 'join', 'moh'] },
  ring: {
    a: [...ringHead, 'dialState', 'qms', 'avail', 'devMember'],
    b: [...ringHead, 'dialState', 'devMember', 'qms', 'avail'],
    c: [...ringHead, 'qms', 'avail', 'devMember', 'dialState'],
    e: [...ringHead, 'devMember', 'qms', 'avail', 'dialState'],
  },
  answer: {
    ab: ['up2', 'up1', 'dialEnd', 'mohStop', 'devM1', 'devM2', ...answerTail],
    e: ['up1', 'devM1', 'dialEnd', 'mohStop', 'up2', 'devM2', ...answerTail],
  },
  callerHangup: {
    a: [
      'shrCust',
      'hrCaller',
      'complete',
      'hupCust',
      'leaveCaller',
      'leave1',
      'destroy',
      'hr2',
      'shrCaller',
      'hup1',
      'hupCaller',
      'shr2',
      'hup2',
      'devIn1',
      'qms',
      'avail',
      'devM1',
      'devIn2',
      'devM2',
    ],
    e: [
      'shrCust',
      'hrCaller',
      'hupCust',
      'devIn1',
      'complete',
      'leaveCaller',
      'leave1',
      'shrCaller',
      'hr2',
      'hup1',
      'destroy',
      'shr2',
      'hup2',
      'hupCaller',
      'qms',
      'avail',
      'devM1',
      'devM2',
      'devIn2',
    ],
  },
  agentHangup: {
    b: [
      'shr2',
      'hr1',
      'hup2',
      'complete',
      'leave1',
      'hup1',
      'devM1',
      'qms',
      'avail',
      'leaveCaller',
      'shrCaller',
      'hrCust',
      'hupCaller',
      'destroy',
      'devM2',
      'shrCust',
      'hupCust',
      'devIn1',
      'devIn2',
    ],
  },
  abandon: {
    c: [
      'shrCust',
      'hrCaller',
      'hupCust',
      'mohStop',
      'devIn1',
      'dialEnd1',
      'dialEnd2',
      'hr2',
      'hup1',
      'shr2',
      'hup2',
      'abandon',
      'devQueue',
      'devM1',
      'leave',
      'devM2',
      'qms',
      'avail',
      'shrCaller',
      'hupCaller',
      'devIn2',
    ],
  },
  ringNoAnswer: {
    source: [
      'rna',
      'dialEndNoAnswer',
      'dialEndCancel',
      'hr2',
      'hup1',
      'shr2',
      'hup2',
      'devM1',
      'devM2',
      'qms',
      'avail',
    ],
  },
};

/**
 * The variant a transcript showed for this phase; for a phase that transcript did not have, or
 * with no transcript asked for, a seeded pick among the observed ones.
 */
export function chooseOrdering(
  phase: Phase,
  wanted: ObservedOrdering | undefined,
  random: Random,
): readonly string[] {
  const variants = ORDERINGS[phase];
  const keys = Object.keys(variants);
  const key =
    (wanted && keys.find((k) => k.includes(wanted))) ?? keys[Math.floor(random() * keys.length)] ?? keys[0]!;
  return variants[key]!;
}
