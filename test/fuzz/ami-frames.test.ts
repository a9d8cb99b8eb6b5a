import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import Keyv from 'keyv';
import { type AmiSession, loginResponse, startLoopbackAmi } from '../../bench/lib/ami-server.ts';
import { CallHandler } from '../../src/calls/call-handler.ts';
import { CallerLookup } from '../../src/calls/caller-lookup.ts';
import type { Logger } from '../../src/log/logger.ts';
import { AmiClient } from '../../src/pbx/ami-client.ts';
import { type AmiMessage, AmiParser, type AmiProblem, encodeAmiMessage } from '../../src/pbx/ami-codec.ts';
import { callEventFromAmi } from '../../src/pbx/call-events-from-ami.ts';
import { type Random, randomInt, seededRandom } from '../../src/sim/pbx/prng.ts';
import { Secret } from '../../src/util/secret.ts';
import { type CapturedLogs, captureLogs } from '../support/log-capture.ts';
import { CountingHelpdesk, constantDirectory } from '../support/memory-helpdesk.ts';
import { leakedSecrets, TEST_SECRETS } from '../support/test-secrets.ts';

// Malformed AMI input thrown at the PBX adapter and the call domain: AmiParser → (events only, as
// AmiConnection hands them out) → callEventFromAmi → CallHandler over an in-memory helpdesk.
// FUZZ_SEED=<n> replays a run; FUZZ_SEED=random picks a new one. The seed is in every message.

const SEED =
  process.env.FUZZ_SEED === 'random'
    ? Math.floor(Math.random() * 2 ** 31)
    : Number(process.env.FUZZ_SEED ?? 0x5eed_a111);
const FRAMES_PER_BATCH = 5_000;
const BATCHES = 21;
/** Linkedids come from fixed pools, so what the handler may keep is bounded by them. */
const NOISE_IDS = 300;
const LIFECYCLE_IDS = 300;

/** The file's figures, printed as one line when it ends. */
const totals = { frames: 0, crashes: 0, maxHeapGrowth: 0, maxTracked: 0, neverEnding: '' };
after(() =>
  console.log(
    `fuzz ami-frames: seed ${SEED}, ${totals.frames} generated frames, mostly malformed (parser → translation → handler, and over TCP), ` +
      `${totals.crashes} crashes, max heap growth ${mb(totals.maxHeapGrowth)}, at most ${totals.maxTracked} calls tracked; ` +
      `never-ending calls: ${totals.neverEnding || 'not run'}`,
  ),
);

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as (() => void) | undefined;

function heapUsedAfterGc(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

const MB = 1024 * 1024;
const mb = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;

/** A few turns of the event loop: tickets, lookups and zero-second wrap-ups settle. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
  await delay(2);
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

// ---------------------------------------------------------------------------------------------
// The generator

const CALL_EVENTS = ['QueueCallerJoin', 'AgentConnect', 'AgentComplete', 'QueueCallerAbandon'] as const;
type CallEventName = (typeof CALL_EVENTS)[number];
const QUEUES = ['support', 'sales', 'support', 'sales', 'billing', '', 'SUPPORT', 'support ', 'ü€'];
const CALLER_IDS = [
  '+4930123456',
  '+4930987654',
  '030123456',
  '+12125550100',
  'anonymous',
  '<unknown>',
  '',
  'sip:+4930123456@pbx.example',
  'abc',
  '1'.repeat(40),
  '+49 (0)30 123456',
  '٠٣٠١٢٣٤٥٦',
  'phone:* OR role:admin',
];
const INTERFACES = ['Local/101@agents', 'PJSIP/102', 'PJSIP/999', '', 'garbage', 'SIP/', '/101'];
const REASONS = ['caller', 'agent', 'transfer', 'exit', '', 'CALLER'];
const NUMBERS = ['0', '12', '-5', '1e309', 'NaN', '0x10', '99999999999999999999', ' 7', '3.5', ''];
const UNKNOWN_EVENTS = ['Newchannel', 'VarSet', 'Hangup', 'DialBegin', 'FullyBooted', 'Cdr', 'X-Fuzz', ''];
const EOLS = ['\r\n', '\r\n', '\r\n', '\n', '\r\r\n', '\n\r'];

type Pairs = Array<[string, string]>;

interface FrameStats {
  frames: number;
  byKind: Record<string, number>;
  bytes: number;
}

class FrameGenerator {
  readonly #rnd: Random;
  readonly stats: FrameStats = { frames: 0, byKind: {}, bytes: 0 };
  #lifecycle = 0;

  constructor(seed: number) {
    this.#rnd = seededRandom(seed);
  }

  #int(min: number, max: number): number {
    return randomInt(this.#rnd, min, max);
  }

  #chance(p: number): boolean {
    return this.#rnd() < p;
  }

  #pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.#rnd() * items.length)]!;
  }

  /** A batch of frames as one byte stream. */
  batch(frames: number): Buffer {
    const parts: Buffer[] = [];
    let n = 0;
    while (n < frames) {
      const made = this.#frame();
      for (const frame of made) parts.push(frame);
      n += made.length;
    }
    const out = Buffer.concat(parts);
    this.stats.bytes += out.length;
    return out;
  }

  /** The stream cut at random byte offsets (UTF-8 sequences and CRLF pairs included). */
  *chunks(bytes: Buffer): Generator<Buffer> {
    let at = 0;
    while (at < bytes.length) {
      const size = this.#chance(0.1) ? this.#int(1, 8) : this.#int(1, 16_384);
      yield bytes.subarray(at, at + size);
      at += size;
    }
  }

  #count(kind: string, frames = 1): void {
    this.stats.frames += frames;
    this.stats.byKind[kind] = (this.stats.byKind[kind] ?? 0) + frames;
  }

  #frame(): Buffer[] {
    const r = this.#rnd();
    if (r < 0.3) return [this.#one('call-event', this.#callEvent(this.#pick(CALL_EVENTS), this.#noiseId()))];
    if (r < 0.45) return this.#lifecycleFrames();
    if (r < 0.55) return [this.#one('unknown-event', this.#unknownEvent())];
    if (r < 0.63) return [this.#one('missing-colon', this.#missingColon())];
    if (r < 0.72) return [this.#one('binary', this.#binary())];
    if (r < 0.77) return [this.#one('half-frame', this.#half())];
    if (r < 0.82) return [this.#one('response-or-action', this.#notAnEvent())];
    if (r < 0.85)
      return [this.#one('blank-lines', Buffer.from(this.#pick(['\r\n', '\n', '\r\n\r\n', '\r', ' \r\n'])))];
    if (r < 0.9) return [this.#one('bare-lf-or-cr', this.#oddLineEnds())];
    if (r < 0.9985) return [this.#one('duplicate', this.#duplicate())];
    if (r < 0.9995) return [this.#one('many-keys', this.#manyKeys())];
    return [this.#one('huge-value', this.#huge())];
  }

  #one(kind: string, frame: Buffer): Buffer {
    this.#count(kind);
    return frame;
  }

  #noiseId(): string {
    // Mostly the pool; sometimes an id the handler never saw queued.
    return this.#chance(0.9) ? `1700000000.${this.#int(0, NOISE_IDS - 1)}` : `1799999999.${this.#int(0, 50)}`;
  }

  #callPairs(name: CallEventName, callId: string): Pairs {
    const caller = this.#pick(CALLER_IDS);
    const queue = this.#pick(QUEUES);
    const base: Pairs = [
      ['Event', name],
      ['Privilege', 'agent,all'],
      ['Channel', `PJSIP/trunk-${this.#int(0, 999)}`],
      ['CallerIDNum', caller],
      ['CallerIDName', this.#chance(0.5) ? 'Erika Mustermann' : caller],
      ['Uniqueid', callId],
      ['Linkedid', callId],
      ['Queue', queue],
    ];
    switch (name) {
      case 'QueueCallerJoin':
        base.push(['Position', '1'], ['Count', '1']);
        break;
      case 'AgentConnect':
        base.push(
          ['Interface', this.#pick(INTERFACES)],
          ['MemberName', this.#pick(['Anna Agent', '', 'Ben'])],
          ['HoldTime', this.#pick(NUMBERS)],
          ['RingTime', '2'],
        );
        break;
      case 'AgentComplete':
        base.push(
          ['Interface', this.#pick(INTERFACES)],
          ['HoldTime', this.#pick(NUMBERS)],
          ['TalkTime', this.#pick(NUMBERS)],
          ['Reason', this.#pick(REASONS)],
        );
        break;
      case 'QueueCallerAbandon':
        base.push(['Position', '1'], ['OriginalPosition', '1'], ['HoldTime', this.#pick(NUMBERS)]);
        break;
    }
    return base;
  }

  /** A call event, mutated: fields dropped, repeated, renamed, or given odd values. */
  #callEvent(name: CallEventName, callId: string): Buffer {
    const pairs = this.#callPairs(name, callId);
    for (let m = this.#int(0, 3); m > 0; m--) this.#mutate(pairs);
    return this.#render(pairs, this.#pick(EOLS), true);
  }

  #mutate(pairs: Pairs): void {
    const i = this.#int(1, Math.max(1, pairs.length - 1));
    const pair = pairs[i];
    if (!pair) return;
    switch (this.#int(0, 5)) {
      case 0:
        pairs.splice(i, 1);
        break;
      case 1:
        pairs.push([pair[0], this.#garbageText(20)]);
        break;
      case 2:
        pair[1] = this.#garbageText(40);
        break;
      case 3:
        pair[0] = pair[0].toLowerCase();
        break;
      case 4:
        pair[0] = `${pair[0]} `;
        break;
      default:
        pairs.splice(i, 0, [this.#garbageText(8), this.#garbageText(8)]);
    }
  }

  /** Text with control characters, NUL, odd Unicode and separators; never a line break. */
  #garbageText(max: number): string {
    const alphabet = [
      'a',
      'Z',
      '0',
      '9',
      ':',
      ' ',
      '\t',
      '\0',
      '\u0007',
      'ü',
      '€',
      '😀',
      '\uFFFD',
      '\uD800',
      '"',
      '\\',
      ';',
      '@',
    ];
    let out = '';
    for (let n = this.#int(0, max); n > 0; n--) out += this.#pick(alphabet);
    return out.replace(/[\r\n]/g, '');
  }

  #render(pairs: Pairs, eol: string, terminated: boolean): Buffer {
    let text = '';
    for (const [k, v] of pairs) text += `${k}: ${v}${this.#chance(0.05) ? this.#pick(EOLS) : eol}`;
    return Buffer.from(terminated ? text + eol : text);
  }

  /** A coherent call join → connect → complete, then duplicated, reordered or cut. */
  #lifecycleFrames(): Buffer[] {
    const callId = `1710000000.${this.#lifecycle++ % LIFECYCLE_IDS}`;
    const names: CallEventName[] = ['QueueCallerJoin', 'AgentConnect', 'AgentComplete'];
    switch (this.#int(0, 7)) {
      case 0: // complete before connect
        names.splice(1, 2, 'AgentComplete', 'AgentConnect');
        break;
      case 1: // connect twice
        names.splice(2, 0, 'AgentConnect');
        break;
      case 2: // complete twice
        names.push('AgentComplete');
        break;
      case 3: // never ends
        names.pop();
        break;
      case 4: // abandoned instead
        names.splice(1, 2, 'QueueCallerAbandon');
        break;
      case 5: // join missed
        names.shift();
        break;
      case 6: // joined twice
        names.unshift('QueueCallerJoin');
        break;
      default:
        break;
    }
    const pairsFor = this.#callPairs('QueueCallerJoin', callId);
    const queue = pairsFor.find(([k]) => k === 'Queue')![1];
    const caller = pairsFor.find(([k]) => k === 'CallerIDNum')![1];
    const frames = names.map((name) => {
      const pairs = this.#callPairs(name, callId).map(([k, v]): [string, string] => [
        k,
        k === 'Queue' ? queue : k === 'CallerIDNum' ? caller : v,
      ]);
      if (this.#chance(0.2)) this.#mutate(pairs);
      return this.#render(pairs, this.#pick(EOLS), true);
    });
    this.#count('lifecycle', frames.length);
    return frames;
  }

  #unknownEvent(): Buffer {
    const pairs: Pairs = [['Event', this.#pick(UNKNOWN_EVENTS)]];
    for (let n = this.#int(0, 12); n > 0; n--)
      pairs.push([this.#garbageText(10) || 'K', this.#garbageText(30)]);
    return this.#render(pairs, this.#pick(EOLS), true);
  }

  #missingColon(): Buffer {
    const lines = [`Event: ${this.#pick(CALL_EVENTS)}`];
    for (let n = this.#int(1, 6); n > 0; n--) {
      lines.push(
        this.#chance(0.5)
          ? `Linkedid 1700000000.${this.#int(0, 9)}`
          : this.#garbageText(30).replace(/:/g, ''),
      );
    }
    if (this.#chance(0.3)) lines.unshift('no colon at the start');
    const eol = this.#pick(EOLS);
    return Buffer.from(`${lines.join(eol)}${eol}${eol}`);
  }

  /** Raw bytes: NUL, 0xFF, truncated and lone UTF-8 sequences, stray CR/LF and colons. */
  #binary(): Buffer {
    const bytes = [
      0x00, 0xff, 0xfe, 0xc3, 0x80, 0xbf, 0xe2, 0x82, 0xf0, 0x9f, 0x0d, 0x0a, 0x3a, 0x20, 0x41, 0x7f,
    ];
    const length = this.#int(1, 400);
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i++) out[i] = this.#chance(0.6) ? this.#pick(bytes) : this.#int(0, 255);
    if (this.#chance(0.5)) {
      // binary inside an otherwise plausible call event
      const head = Buffer.from(
        `Event: AgentConnect\r\nLinkedid: ${this.#noiseId()}\r\nQueue: support\r\nCallerIDNum: `,
      );
      return Buffer.concat([head, out, Buffer.from('\r\nChannel: PJSIP/x\r\n\r\n')]);
    }
    return out;
  }

  /** A frame without its closing blank line: it runs into whatever follows. */
  #half(): Buffer {
    const frame = this.#callEvent(this.#pick(CALL_EVENTS), this.#noiseId());
    const cut = this.#chance(0.5) ? frame.length - 2 : this.#int(1, frame.length - 1);
    return frame.subarray(0, cut);
  }

  #notAnEvent(): Buffer {
    const lead = this.#pick(['Response', 'Action', 'ActionID', 'Linkedid', 'event', 'EVENT', 'Message']);
    const pairs: Pairs = [
      [lead, this.#pick([...CALL_EVENTS, 'Success', 'Error', 'Goodbye'])],
      ['ActionID', this.#pick(['cti-1', 'cti-99999', this.#garbageText(10)])],
      ['Linkedid', this.#noiseId()],
      ['Queue', 'support'],
      ['Channel', 'PJSIP/x'],
    ];
    return this.#render(pairs, this.#pick(EOLS), true);
  }

  /** Bare `\n`, lone `\r` and `\n\r` inside an event. */
  #oddLineEnds(): Buffer {
    const pairs = this.#callPairs(this.#pick(CALL_EVENTS), this.#noiseId());
    let text = '';
    for (const [k, v] of pairs) text += `${k}: ${v}${this.#pick(['\n', '\r', '\n\r', '\r\r', '\r\n'])}`;
    return Buffer.from(`${text}${this.#pick(['\n', '\r\n', '\n\r\n', '\r\r\n\r\n'])}`);
  }

  /** The same event again, up to a few times: what a flapping PBX or a replay sends. */
  #duplicate(): Buffer {
    const frame = this.#callEvent(this.#pick(CALL_EVENTS), this.#noiseId());
    const times = this.#int(2, 5);
    this.#count('duplicate', times - 1);
    return Buffer.concat(Array.from({ length: times }, () => frame));
  }

  /** Hundreds to tens of thousands of keys: below and above the parser's message limit. */
  #manyKeys(): Buffer {
    const name = this.#chance(0.5) ? this.#pick(CALL_EVENTS) : 'X-ManyKeys';
    const keys = this.#chance(0.5) ? this.#int(500, 4_000) : this.#int(10_000, 40_000);
    const lines = [`Event: ${name}`];
    for (let i = 0; i < keys; i++) lines.push(`K${i}: v`);
    if (this.#chance(0.5)) lines.push(`Linkedid: ${this.#noiseId()}`, 'Queue: support', 'Channel: PJSIP/x');
    return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`);
  }

  /** A value of 0.5–3 MB; sometimes the line never ends until the next frames arrive. */
  #huge(): Buffer {
    const size = this.#int(512 * 1024, 3 * 1024 * 1024);
    const value = Buffer.alloc(size, this.#pick(['a', '9', ' ', ':']));
    const head = Buffer.from(
      `Event: ${this.#pick(CALL_EVENTS)}\r\nLinkedid: ${this.#noiseId()}\r\nCallerIDNum: `,
    );
    const tail = this.#chance(0.7) ? '\r\nQueue: support\r\n\r\n' : '';
    return Buffer.concat([head, value, Buffer.from(tail)]);
  }
}

// ---------------------------------------------------------------------------------------------
// The pipeline under test

interface Harness {
  parser: AmiParser;
  handler: CallHandler;
  helpdesk: CountingHelpdesk;
  logs: CapturedLogs;
  figures: {
    messages: number;
    events: number;
    skipped: number;
    handled: number;
    problems: Record<AmiProblem['kind'], number>;
  };
  crashes: string[];
  /** Feeds bytes through parser → translation → handler; returns the messages parsed. */
  feed(chunk: Buffer | string): AmiMessage[];
  /** Tickets opened per call id. */
  ticketsByCall: Map<string, number>;
}

function harness(logs: CapturedLogs): Harness {
  const helpdesk = new CountingHelpdesk();
  helpdesk.addUser('+4930123456', 'Erika Mustermann');
  const ticketsByCall = new Map<string, number>();
  helpdesk.onTicket = (ticket) =>
    ticketsByCall.set(ticket.callId, (ticketsByCall.get(ticket.callId) ?? 0) + 1);
  const lookup = new CallerLookup({
    helpdesk,
    cache: new Keyv(),
    positiveTtlMs: 60_000,
    negativeTtlMs: 60_000,
    logger: logs.logger,
  });
  const handler = new CallHandler({
    helpdesk,
    lookup,
    directory: constantDirectory(),
    queues: new Set(['support', 'sales']),
    defaultCountry: 'DE',
    strategy: 'defaultUser',
    answerWaitMs: 1_000,
    wrapUpSeconds: 0,
    templates: { subject: 'Call from {callerNumber}', comment: 'Answered by {agent}', tags: ['cti'] },
    logger: logs.logger,
  });
  const figures: Harness['figures'] = {
    messages: 0,
    events: 0,
    skipped: 0,
    handled: 0,
    problems: { 'malformed-line': 0, 'oversized-message': 0 },
  };
  const crashes: string[] = [];
  const amiLog: Logger = logs.logger.child('ami');
  const parser = new AmiParser({
    onProblem: (problem) => {
      figures.problems[problem.kind]++;
    },
  });
  const guard = <T>(what: string, fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (error) {
      if (crashes.length < 20) crashes.push(`${what}: ${(error as Error).stack ?? String(error)}`);
      else crashes.length++;
      return undefined;
    }
  };
  const now = Date.now();
  return {
    parser,
    handler,
    helpdesk,
    logs,
    figures,
    crashes,
    ticketsByCall,
    feed(chunk) {
      const messages = guard('AmiParser.feed', () => parser.feed(chunk)) ?? [];
      for (const message of messages) {
        figures.messages++;
        // AmiConnection hands only `event` messages to listeners; responses go to their actions.
        if (message.kind !== 'event') continue;
        const translated = guard(`callEventFromAmi(${JSON.stringify(message.name).slice(0, 40)})`, () =>
          callEventFromAmi(message, now),
        );
        if (!translated) continue;
        if ('skip' in translated) {
          figures.skipped++;
          // as CallIntegration logs it
          amiLog.debug('AMI event skipped', { reason: translated.skip, callId: translated.callId });
          continue;
        }
        figures.events++;
        guard(`CallHandler.handle(${translated.event.type})`, () => handler.handle(translated.event));
        figures.handled++;
      }
      return messages;
    },
  };
}

interface LogTally {
  lines: number;
  byLevel: Record<string, number>;
  /** `level|msg` → call id → count, for warn and error lines. */
  loud: Map<string, Map<string, number>>;
  withoutCallId: Map<string, number>;
  leaks: string[];
}

function newTally(): LogTally {
  return { lines: 0, byLevel: {}, loud: new Map(), withoutCallId: new Map(), leaks: [] };
}

/** Reads and empties the captured lines (a 100 000-frame run must not keep them all). */
function drainLogs(logs: CapturedLogs, tally: LogTally): void {
  const lines = logs.lines.splice(0);
  tally.leaks.push(...leakedSecrets(lines.join('\n')));
  for (const line of lines) {
    const record = JSON.parse(line) as {
      level: string;
      ns?: string;
      msg: string;
      callId?: unknown;
      reason?: unknown;
    };
    tally.lines++;
    tally.byLevel[record.level] = (tally.byLevel[record.level] ?? 0) + 1;
    const callId = typeof record.callId === 'string' && record.callId !== '' ? record.callId : undefined;
    // A skipped event names its call, unless it carries no id at all.
    const aboutACall =
      record.ns === 'calls' ||
      (record.msg === 'AMI event skipped' && !/without Linkedid/.test(String(record.reason)));
    if (aboutACall && callId === undefined) {
      tally.withoutCallId.set(record.msg, (tally.withoutCallId.get(record.msg) ?? 0) + 1);
    }
    if (record.level === 'warn' || record.level === 'error') {
      const key = `${record.level}|${record.msg}`;
      const perCall = tally.loud.get(key) ?? new Map<string, number>();
      perCall.set(callId ?? '(none)', (perCall.get(callId ?? '(none)') ?? 0) + 1);
      tally.loud.set(key, perCall);
    }
  }
}

/** After garbage: blank lines end whatever was half read, and the next message comes out whole. */
function assertResyncs(h: Harness, seq: number, context: string): void {
  const sentinel = encodeAmiMessage([
    ['Event', 'FuzzSentinel'],
    ['Seq', String(seq)],
    ['Text', 'Grüße'],
  ]);
  h.feed('\r\n\r\n\r\n');
  const out = h.feed(sentinel);
  assert.deepEqual(
    out.at(-1)?.pairs,
    [
      ['Event', 'FuzzSentinel'],
      ['Seq', String(seq)],
      ['Text', 'Grüße'],
    ],
    `the parser did not resynchronise after ${context} (seed ${SEED})`,
  );
}

// ---------------------------------------------------------------------------------------------

test(`100 000+ malformed frames through parser, translation and call handler (seed ${SEED})`, async (t) => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  t.after(() => process.off('unhandledRejection', onUnhandled));

  const logs = captureLogs();
  const h = harness(logs);
  t.after(() => h.handler.stop(Date.now() + 500));
  const gen = new FrameGenerator(SEED);
  const tally = newTally();
  const heap: number[] = [];
  const started = performance.now();

  for (let batch = 0; batch < BATCHES; batch++) {
    const bytes = gen.batch(FRAMES_PER_BATCH);
    for (const chunk of gen.chunks(bytes)) h.feed(chunk);
    assertResyncs(h, batch, `batch ${batch}`);
    await settle();
    drainLogs(logs, tally);
    heap.push(heapUsedAfterGc());
    totals.maxTracked = Math.max(totals.maxTracked, h.handler.activeCalls);
    assert.deepEqual(h.crashes, [], `seed ${SEED}, batch ${batch}`);
    assert.ok(
      h.handler.activeCalls <= NOISE_IDS + 51 + LIFECYCLE_IDS,
      `${h.handler.activeCalls} calls tracked from ${NOISE_IDS + 51 + LIFECYCLE_IDS} call ids (seed ${SEED})`,
    );
  }
  await h.handler.stop(Date.now() + 2_000);
  await settle();
  drainLogs(logs, tally);

  totals.frames += gen.stats.frames;
  totals.crashes += h.crashes.length + unhandled.length;
  const seconds = (performance.now() - started) / 1000;
  // The first batches warm caches, JIT and the lookup cache up; growth is measured from there.
  const base = Math.min(...heap.slice(1, 4));
  const maxGrowth = Math.max(...heap.slice(4)) - base;
  const third = Math.floor(heap.length / 3);
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const trend = avg(heap.slice(-third)) - avg(heap.slice(third, 2 * third));
  totals.maxHeapGrowth = Math.max(totals.maxHeapGrowth, maxGrowth);

  t.diagnostic(
    `ami-frames: seed ${SEED}, ${gen.stats.frames} frames (${mb(gen.stats.bytes)}) in ${seconds.toFixed(1)} s, ` +
      `${h.crashes.length} crashes, ${unhandled.length} unhandled rejections; ${h.figures.messages} messages, ` +
      `${h.figures.events} call events (${h.figures.skipped} skipped), ${h.helpdesk.counts.tickets} tickets; ` +
      `parser problems ${JSON.stringify(h.figures.problems)}; log lines ${JSON.stringify(tally.byLevel)}; ` +
      `heap max growth ${mb(maxGrowth)}, late-vs-middle trend ${mb(trend)}${gc ? '' : ' (no gc)'}; ` +
      `frames by kind ${JSON.stringify(gen.stats.byKind)}`,
  );

  assert.ok(gen.stats.frames >= 100_000, `${gen.stats.frames} frames`);
  assert.deepEqual(h.crashes, [], `seed ${SEED}`);
  assert.deepEqual(unhandled, [], `seed ${SEED}`);
  assert.deepEqual(tally.leaks, []);
  // Every kind of garbage really reached the parser and the handler.
  assert.ok(h.figures.problems['malformed-line'] > 1_000, JSON.stringify(h.figures.problems));
  assert.ok(h.figures.problems['oversized-message'] > 0, JSON.stringify(h.figures.problems));
  assert.ok(h.helpdesk.counts.tickets > 100 && h.figures.skipped > 100, `seed ${SEED}`);
  assert.equal(tally.byLevel.error ?? 0, 0, `error lines (seed ${SEED})`);

  // Bounded memory: no growth beyond a margin once warm, and no upward trend.
  assert.ok(maxGrowth < 48 * MB, `heap grew ${mb(maxGrowth)}: ${heap.map(mb).join(', ')} (seed ${SEED})`);
  assert.ok(trend < 12 * MB, `heap trend ${mb(trend)}: ${heap.map(mb).join(', ')} (seed ${SEED})`);

  // Every line about a call names it; loud lines come at most once per ticket of that call.
  assert.deepEqual(Object.fromEntries(tally.withoutCallId), {}, 'call lines without a callId');
  for (const [key, perCall] of tally.loud) {
    for (const [callId, count] of perCall) {
      const tickets = h.ticketsByCall.get(callId) ?? 0;
      assert.ok(
        count <= Math.max(1, tickets),
        `"${key}" logged ${count} times for call ${callId}, which got ${tickets} tickets (seed ${SEED})`,
      );
    }
  }
});

test('a frame that never ends keeps the parser buffer bounded, and the parser recovers', async (t) => {
  const logs = captureLogs();
  const h = harness(logs);
  t.after(() => h.handler.stop(Date.now() + 500));
  const chunk = Buffer.alloc(64 * 1024, 'a');
  // One endless line, then one endless message of short lines: 32 MB each.
  const before = heapUsedAfterGc();
  for (let i = 0; i < 512; i++) h.feed(chunk);
  const afterLine = heapUsedAfterGc();
  const line = Buffer.from('K: v\r\n'.repeat(10_000));
  h.feed('\r\n\r\nEvent: AgentConnect\r\n');
  for (let i = 0; i < 512; i++) h.feed(line);
  const afterMessage = heapUsedAfterGc();
  assertResyncs(h, 1, 'an endless line and an endless message');
  t.diagnostic(
    `never-ending frames: heap ${mb(afterLine - before)} after a 32 MB line, ` +
      `${mb(afterMessage - before)} after a 29 MB message; problems ${JSON.stringify(h.figures.problems)}`,
  );
  assert.ok(afterLine - before < 4 * MB, `the endless line cost ${mb(afterLine - before)}`);
  assert.ok(afterMessage - before < 4 * MB, `the endless message cost ${mb(afterMessage - before)}`);
  assert.equal(h.figures.problems['oversized-message'], 2);
  assert.deepEqual(h.crashes, []);
  drainLogs(logs, newTally());
});

/** One call id, one oddity, ten thousand times: what the logs say about it. */
async function flood(
  t: { after(fn: () => unknown): void },
  setup: string[],
  repeated: string,
  times = 10_000,
): Promise<{ h: Harness; byLevel: Record<string, number>; debugWithoutCallId: number }> {
  const logs = captureLogs();
  const h = harness(logs);
  t.after(() => h.handler.stop(Date.now() + 500));
  for (const frame of setup) {
    h.feed(frame);
    await settle();
  }
  logs.lines.splice(0);
  const bytes = Buffer.from(repeated.repeat(times));
  for (let at = 0; at < bytes.length; at += 4096) h.feed(bytes.subarray(at, at + 4096));
  await settle();
  const records = logs.records();
  logs.lines.splice(0);
  const byLevel: Record<string, number> = {};
  for (const r of records) byLevel[String(r.level)] = (byLevel[String(r.level)] ?? 0) + 1;
  const debugWithoutCallId = records.filter(
    (r) => r.level === 'debug' && typeof r.callId !== 'string',
  ).length;
  assert.deepEqual(h.crashes, []);
  return { h, byLevel, debugWithoutCallId };
}

const CALL = '1720000000.1';
function amiEvent(name: string, fields: Record<string, string> = {}): string {
  return encodeAmiMessage({
    Event: name,
    Channel: 'PJSIP/trunk-00000001',
    CallerIDNum: '+4930123456',
    CallerIDName: 'Erika Mustermann',
    Uniqueid: CALL,
    Linkedid: CALL,
    Queue: 'support',
    ...fields,
  });
}
const JOIN = amiEvent('QueueCallerJoin', { Position: '1' });
/** PJSIP/999 is no Zendesk agent: the ticket's one WARN. */
const CONNECT = amiEvent('AgentConnect', { Interface: 'PJSIP/999', MemberName: 'Nobody', HoldTime: '3' });
const COMPLETE = amiEvent('AgentComplete', { Interface: 'PJSIP/999', TalkTime: '20', Reason: 'agent' });
const ABANDON = amiEvent('QueueCallerAbandon', { HoldTime: '9' });

test('floods of one oddity: logged once per call at INFO/WARN, repeats at DEBUG with the call id', async (t) => {
  const cases: Array<{ name: string; setup: string[]; repeated: string; maxInfo: number; maxWarn: number }> =
    [
      { name: 'QueueCallerJoin again and again', setup: [], repeated: JOIN, maxInfo: 2, maxWarn: 0 },
      { name: 'AgentConnect again and again', setup: [JOIN], repeated: CONNECT, maxInfo: 1, maxWarn: 1 },
      { name: 'AgentComplete for a call never seen', setup: [], repeated: COMPLETE, maxInfo: 0, maxWarn: 0 },
      {
        name: 'AgentComplete after the call ended',
        setup: [JOIN, CONNECT, COMPLETE],
        repeated: COMPLETE,
        maxInfo: 0,
        maxWarn: 0,
      },
      {
        name: 'QueueCallerAbandon for a call never seen',
        setup: [],
        repeated: ABANDON,
        maxInfo: 0,
        maxWarn: 0,
      },
      {
        name: 'QueueCallerAbandon again and again',
        setup: [JOIN],
        repeated: ABANDON,
        maxInfo: 1,
        maxWarn: 0,
      },
      {
        name: 'events of a queue the profile does not handle',
        setup: [],
        repeated: amiEvent('QueueCallerJoin', { Queue: 'billing' }),
        maxInfo: 0,
        maxWarn: 0,
      },
      {
        name: 'AgentConnect without Channel',
        setup: [JOIN],
        repeated: amiEvent('AgentConnect', { Channel: '', Interface: 'PJSIP/101' }),
        maxInfo: 0,
        maxWarn: 0,
      },
    ];
  const summary: string[] = [];
  for (const c of cases) {
    const { h, byLevel, debugWithoutCallId } = await flood(t, c.setup, c.repeated);
    summary.push(`${c.name}: ${JSON.stringify(byLevel)}`);
    assert.ok((byLevel.info ?? 0) <= c.maxInfo, `${c.name}: ${JSON.stringify(byLevel)}`);
    assert.ok((byLevel.warn ?? 0) <= c.maxWarn, `${c.name}: ${JSON.stringify(byLevel)}`);
    assert.equal(byLevel.error ?? 0, 0, c.name);
    assert.equal(debugWithoutCallId, 0, `${c.name}: debug lines without the call id`);
    assert.ok((byLevel.debug ?? 0) >= 1, `${c.name}: the oddity is logged at debug`);
    assert.ok(h.helpdesk.counts.tickets <= 1, `${c.name}: ${h.helpdesk.counts.tickets} tickets`);
  }
  t.diagnostic(`floods of 10 000 identical frames: ${summary.join('; ')}`);
});

test('out-of-order AgentConnect/AgentComplete: one ticket per call, no crash', async (t) => {
  // complete before connect: the early AgentComplete ends a call without a ticket; the late
  // AgentConnect opens one, and the call then waits for an end that already came.
  const early = await flood(t, [JOIN, COMPLETE], CONNECT, 1);
  assert.equal(early.h.helpdesk.counts.tickets, 1);
  // connect twice, then complete: one ticket, one wrap-up.
  const twice = await flood(t, [JOIN, CONNECT, CONNECT], COMPLETE, 1);
  assert.equal(twice.h.helpdesk.counts.tickets, 1);
  assert.equal(twice.h.helpdesk.counts.comments, 1);
  assert.equal(twice.h.handler.activeCalls, 0);
  t.diagnostic(
    `complete-before-connect leaves ${early.h.handler.activeCalls} call tracked; connect-twice leaves ${twice.h.handler.activeCalls}`,
  );
});

// Ends lost while the link stays up (an AgentConnect after its AgentComplete, a lost AgentComplete):
// the handler bounds what it tracks and takes the oldest as over.
test('calls that never end do not pile up in the handler', async (t) => {
  const logs = captureLogs({ level: 'warn' });
  const h = harness(logs);
  t.after(() => h.handler.stop(Date.now() + 500));
  for (let i = 0; i < 20_000; i++) {
    h.feed(
      encodeAmiMessage({
        Event: 'AgentConnect',
        Channel: 'PJSIP/trunk',
        CallerIDNum: 'anonymous',
        Linkedid: `1730000000.${i}`,
        Queue: 'support',
        Interface: 'PJSIP/101',
      }),
    );
    if (i % 1_000 === 0) await settle();
  }
  await settle();
  logs.lines.splice(0);
  t.diagnostic(`20 000 answered calls that never end: ${h.handler.activeCalls} still tracked`);
  totals.neverEnding = `${h.handler.activeCalls} of 20 000 still tracked (bound 10 000)`;
  assert.ok(h.handler.activeCalls <= 10_000, `${h.handler.activeCalls} calls tracked`);
});

// ---------------------------------------------------------------------------------------------
// Over a real socket

test(`a few thousand malformed frames over TCP: the AMI link stays up (seed ${SEED})`, async (t) => {
  const server = await startLoopbackAmi({
    onAction(session, action) {
      const name = action.name.toLowerCase();
      if (name === 'login') session.send(loginResponse(action, true));
      else if (name === 'ping' || name === 'logoff') {
        session.send({ Response: 'Success', ActionID: action.get('ActionID') ?? '', Ping: 'Pong' });
      }
    },
  });
  t.after(() => server.close());
  const logs = captureLogs();
  const h = harness(logs);
  t.after(() => h.handler.stop(Date.now() + 500));
  const ami = new AmiClient({
    host: '127.0.0.1',
    port: server.port,
    username: 'bridge',
    secret: new Secret(TEST_SECRETS.amiSecret, 'test'),
    logger: logs.logger,
    firstRetryMs: 50,
    maxRetryMs: 200,
    actionTimeoutMs: 2_000,
  });
  let events = 0;
  ami.onEvent((message) => {
    events++;
    // the same translation and handler as above, fed whole messages
    const translated = callEventFromAmi(message, Date.now());
    if (translated && 'event' in translated) h.handler.handle(translated.event);
  });
  ami.start();
  t.after(() => ami.stop());
  const deadline = Date.now() + 5_000;
  while (ami.state !== 'up' && Date.now() < deadline) await delay(10);
  assert.equal(ami.state, 'up');
  const session = server.sessions[0] as AmiSession;

  const gen = new FrameGenerator(SEED ^ 0x7c9);
  let frames = 0;
  const pings: number[] = [];
  for (let round = 0; round < 6; round++) {
    const bytes = gen.batch(600);
    frames = gen.stats.frames;
    assert.ok(await session.stream(gen.chunks(bytes)), 'the server could write');
    // Whatever was half sent ends with blank lines, as every real AMI message does.
    session.send('\r\n\r\n\r\n');
    const started = performance.now();
    const pong = await ami.action({ Action: 'Ping' });
    pings.push(performance.now() - started);
    assert.equal(pong.name, 'Success', `round ${round} (seed ${SEED})`);
  }
  // Beyond the parser's limit: a 6 MB line that never ends, then the stream goes on.
  session.send(Buffer.alloc(6 * MB, 'x'));
  session.send('\r\n\r\n');
  assert.equal((await ami.action({ Action: 'Ping' })).name, 'Success', 'after an oversized frame');

  await settle();
  const lines = logs.records();
  logs.lines.splice(0);
  const lost = lines.filter((r) => /link lost|cannot connect|keepalive/.test(String(r.msg)));
  totals.frames += frames;
  t.diagnostic(
    `tcp: ${frames} frames + a 6 MB line over one connection, ${events} events delivered, ` +
      `logins ${server.logins}, link ${ami.state}, ping after each round ${pings.map((p) => p.toFixed(0)).join('/')} ms, ` +
      `${lines.filter((r) => r.msg === 'malformed AMI input skipped').length} malformed-input debug lines`,
  );
  assert.ok(frames >= 3_000, `${frames} frames`);
  assert.equal(server.logins, 1, 'the client never reconnected');
  assert.equal(ami.state, 'up');
  assert.deepEqual(lost, [], 'no link loss');
  assert.ok(events > 1_000, `${events} events`);
});
