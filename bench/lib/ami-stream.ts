import { CALL_EVENT_NAMES } from '../../src/pbx/call-events-from-ami.ts';
import { seededRandom } from '../../src/sim/pbx/prng.ts';
import { loadTranscript, receivedEvents } from '../../test/support/ami-transcripts.ts';

/**
 * A long AMI event stream made of the real Asterisk 22 transcripts: their event messages,
 * replicated with Uniqueid/Linkedid values rewritten so that each copy is a distinct call, cut
 * into seeded random chunks. Every client in a benchmark reads exactly these bytes.
 */

/** What a client must hand out for one checked event (found by event name + Uniqueid). */
export interface Expectation {
  name: string;
  uniqueid: string;
  linkedid: string;
  callerIdNum: string;
  callerIdName: string;
  /** Absent on VarSet. */
  queue?: string;
  /** Keys whose value is empty (`AccountCode`, `DestAccountCode`): must come out as ''. */
  emptyKeys: string[];
  /** The copy wrote those keys as `AccountCode:` without the blank. */
  noSpace: boolean;
  /** VarSet only. */
  variable?: string;
  value?: string;
}

export interface RecordedStreamOptions {
  /** Scenario letters of `../shared/fixtures/ami/*.ami`. */
  scenarios: readonly string[];
  /** Copies are added until at least this many events. */
  targetEvents: number;
  seed: number;
  /** Chunk sizes are log-uniform in [minChunk, maxChunk] bytes. */
  minChunk: number;
  maxChunk: number;
  /** Every n-th copy (1-based odd copies for 2) writes empty `AccountCode: ` lines as `AccountCode:`. */
  noSpaceEvery: number;
  /** A synthetic `VarSet` (Variable: BRIDGEPEER) after each AgentConnect, as `read=all` produces. */
  addVarSet: boolean;
}

export interface RecordedStream {
  chunks: Buffer[];
  bytes: number;
  events: number;
  /** Events the translation turns into domain events (CALL_EVENT_NAMES). */
  callEvents: number;
  copies: number;
  eventsPerCopy: number;
  /** Recorded events per copy, by scenario (without the synthetic VarSet). */
  recordedPerCopy: Record<string, number>;
  /** Keyed `${name}|${uniqueid}`: every QueueCallerJoin, AgentConnect and VarSet. */
  expectations: Record<string, Expectation>;
  checkedEvents: number;
  /** Checked events that carry the `Key:` without-blank variant. */
  noSpaceEvents: number;
  varSetEvents: number;
  chunkSizes: { min: number; median: number; max: number; count: number };
}

export const CHECKED_EVENT_NAMES: ReadonlySet<string> = new Set([
  'QueueCallerJoin',
  'AgentConnect',
  'VarSet',
]);

type Line = { key: string; value: string } | { raw: string };
interface Block {
  name: string;
  lines: Line[];
}

const ID_KEY = /(Uniqueid|Linkedid)$/;
const ID_VALUE = /^(\d+)\.(\d+)$/;
/** Caller-side fields a VarSet on the caller's channel carries (Asterisk's channel snapshot). */
const SNAPSHOT_KEYS = [
  'Channel',
  'ChannelState',
  'ChannelStateDesc',
  'CallerIDNum',
  'CallerIDName',
  'ConnectedLineNum',
  'ConnectedLineName',
  'Language',
  'AccountCode',
  'Context',
  'Exten',
  'Priority',
  'Uniqueid',
  'Linkedid',
];

function parseBlock(text: string): Block {
  const lines: Line[] = text.split('\r\n').map((raw) => {
    const sep = raw.indexOf(': ');
    if (sep > 0) return { key: raw.slice(0, sep), value: raw.slice(sep + 2) };
    return { raw };
  });
  const first = lines[0];
  return { name: first && 'key' in first ? first.value : '', lines };
}

function field(block: Block, key: string): string {
  for (const l of block.lines) if ('key' in l && l.key === key) return l.value;
  return '';
}

function varSetFor(agentConnect: Block): Block {
  const lines: Line[] = [
    { key: 'Event', value: 'VarSet' },
    { key: 'Privilege', value: 'dialplan,all' },
  ];
  for (const key of SNAPSHOT_KEYS) lines.push({ key, value: field(agentConnect, key) });
  lines.push(
    { key: 'Variable', value: 'BRIDGEPEER' },
    { key: 'Value', value: field(agentConnect, 'DestChannel') },
  );
  return { name: 'VarSet', lines };
}

/** The event messages of a transcript after the login response, exactly as the socket carried them. */
function recordedEvents(letter: string): { name: string; blocks: Block[] } {
  const t = loadTranscript(letter);
  const text = t.bytes.toString('utf8');
  if (/[^\r]\n/.test(text)) throw new Error(`${t.name}: bare LF in the transcript`);
  const blocks = text
    .split('\r\n\r\n')
    .filter((b) => b.startsWith('Event: '))
    .map(parseBlock);
  const expected = receivedEvents(t).length;
  if (blocks.length !== expected)
    throw new Error(`${t.name}: ${blocks.length} events split, ${expected} recorded`);
  return { name: t.name, blocks };
}

export function buildRecordedStream(o: RecordedStreamOptions): RecordedStream {
  const sources = o.scenarios.map(recordedEvents);
  const round: Block[] = [];
  for (const s of sources) {
    for (const b of s.blocks) {
      round.push(b);
      if (o.addVarSet && b.name === 'AgentConnect') round.push(varSetFor(b));
    }
  }
  // Id rewriting: copy k maps E.S to (E + k·epochSpan).(S + k·seqSpan), distinct for every k.
  let minEpoch = Number.POSITIVE_INFINITY;
  let maxEpoch = 0;
  let maxSeq = 0;
  for (const b of round) {
    for (const l of b.lines) {
      if (!('key' in l) || !ID_KEY.test(l.key)) continue;
      const m = ID_VALUE.exec(l.value);
      if (!m) continue;
      minEpoch = Math.min(minEpoch, Number(m[1]));
      maxEpoch = Math.max(maxEpoch, Number(m[1]));
      maxSeq = Math.max(maxSeq, Number(m[2]));
    }
  }
  const epochSpan = maxEpoch - minEpoch + 1;
  const seqSpan = maxSeq + 1;
  const copies = Math.ceil(o.targetEvents / round.length);
  const parts: string[] = [];
  const expectations: Record<string, Expectation> = {};
  let callEvents = 0;
  let noSpaceEvents = 0;
  let varSetEvents = 0;
  for (let k = 0; k < copies; k++) {
    const noSpace = o.noSpaceEvery > 0 && k % o.noSpaceEvery === o.noSpaceEvery - 1;
    for (const b of round) {
      const values = new Map<string, string>();
      const emptyKeys: string[] = [];
      for (const l of b.lines) {
        if (!('key' in l)) {
          parts.push(l.raw, '\r\n');
          continue;
        }
        let value = l.value;
        const m = ID_KEY.test(l.key) ? ID_VALUE.exec(value) : null;
        if (m) value = `${Number(m[1]) + k * epochSpan}.${Number(m[2]) + k * seqSpan}`;
        values.set(l.key, value);
        if (value === '' && l.key.endsWith('AccountCode')) {
          emptyKeys.push(l.key);
          parts.push(l.key, noSpace ? ':\r\n' : ': \r\n');
        } else {
          parts.push(l.key, ': ', value, '\r\n');
        }
      }
      parts.push('\r\n');
      if (CALL_EVENT_NAMES.has(b.name)) callEvents++;
      if (CHECKED_EVENT_NAMES.has(b.name)) {
        const uniqueid = values.get('Uniqueid') ?? '';
        const e: Expectation = {
          name: b.name,
          uniqueid,
          linkedid: values.get('Linkedid') ?? '',
          callerIdNum: values.get('CallerIDNum') ?? '',
          callerIdName: values.get('CallerIDName') ?? '',
          emptyKeys,
          noSpace: noSpace && emptyKeys.length > 0,
        };
        if (b.name === 'VarSet') {
          e.variable = values.get('Variable') ?? '';
          e.value = values.get('Value') ?? '';
          varSetEvents++;
        } else {
          e.queue = values.get('Queue') ?? '';
        }
        const key = `${b.name}|${uniqueid}`;
        if (expectations[key]) throw new Error(`duplicate checked event ${key}`);
        expectations[key] = e;
        if (e.noSpace) noSpaceEvents++;
      }
    }
  }
  const body = Buffer.from(parts.join(''), 'utf8');
  const rnd = seededRandom(o.seed);
  const chunks: Buffer[] = [];
  const logMin = Math.log(o.minChunk);
  const logSpan = Math.log(o.maxChunk + 1) - logMin;
  for (let at = 0; at < body.length; ) {
    const size = Math.min(o.maxChunk, Math.max(o.minChunk, Math.floor(Math.exp(logMin + rnd() * logSpan))));
    chunks.push(body.subarray(at, at + size));
    at += size;
  }
  const sizes = chunks.map((c) => c.length).sort((a, b) => a - b);
  const recordedPerCopy: Record<string, number> = {};
  for (const s of sources) recordedPerCopy[s.name] = s.blocks.length;
  return {
    chunks,
    bytes: body.length,
    events: copies * round.length,
    callEvents,
    copies,
    eventsPerCopy: round.length,
    recordedPerCopy,
    expectations,
    checkedEvents: Object.keys(expectations).length,
    noSpaceEvents,
    varSetEvents,
    chunkSizes: {
      min: sizes[0] ?? 0,
      median: sizes[sizes.length >> 1] ?? 0,
      max: sizes[sizes.length - 1] ?? 0,
      count: sizes.length,
    },
  };
}
