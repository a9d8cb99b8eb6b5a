/**
 * AMI clients on the same recorded stream: asterisk-manager 0.2.0 against our own client
 * (AmiClient → AmiConnection → AmiParser), each also with the translation to domain events the
 * daemon runs. Every measured run is a fresh child process (its own heap, RSS and CPU clock)
 * reading the same bytes, in the same chunks, from a loopback server in this process. Then the
 * qualitative checks: asterisk-manager (and ours) exercised against sockets that drop, stay
 * silent or refuse the login.
 *
 *   node bench/ami-clients.ts [--events=200000] [--runs=5]
 */
import { type ChildProcess, fork } from 'node:child_process';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import AsteriskManager from 'asterisk-manager';
import { createLogger } from '../src/log/logger.ts';
import { AmiClient } from '../src/pbx/ami-client.ts';
import { AmiMessage, type AmiPair, AmiParser } from '../src/pbx/ami-codec.ts';
import type { AmiError } from '../src/pbx/ami-errors.ts';
import { callEventFromAmi, type Translation } from '../src/pbx/call-events-from-ami.ts';
import { Secret } from '../src/util/secret.ts';
import { type AmiSession, loginResponse, startLoopbackAmi } from './lib/ami-server.ts';
import { buildRecordedStream, CHECKED_EVENT_NAMES, type Expectation } from './lib/ami-stream.ts';
import { describeMachine, machineFacts } from './lib/machine.ts';
import { writeResults } from './lib/results.ts';
import { median, round, sleep } from './lib/stats.ts';
import { formatNumber, printTable } from './lib/table.ts';

const SELF = fileURLToPath(import.meta.url);
const HOST = '127.0.0.1';

const CLIENTS = [
  { id: 'asterisk-manager', label: 'asterisk-manager 0.2.0 (managerevent)' },
  { id: 'ours', label: 'ours: AmiClient/AmiConnection/AmiParser' },
  { id: 'ours+translate', label: 'ours + translation to domain events' },
  { id: 'asterisk-manager+wrap', label: 'asterisk-manager + wrapper + translation' },
] as const;
type ClientId = (typeof CLIENTS)[number]['id'];

// ---------------------------------------------------------------------------------------------
// Worker: one client, one run, in its own process.

interface RunRequest {
  type: 'run';
  client: ClientId;
  port: number;
  events: number;
  callEvents: number;
  checkedEvents: number;
  expectations: Record<string, Expectation>;
  /** No new event for this long (after the first) ends a run that lost events. */
  idleMs: number;
}

interface Mismatch {
  event: string;
  key: string;
  got: unknown;
  want: unknown;
}

interface RunResult {
  client: ClientId;
  /** Every expected event arrived. */
  complete: boolean;
  events: number;
  expected: number;
  lost: number;
  totalMs: number;
  eventsPerSec: number;
  cpuUserMs: number;
  cpuSystemMs: number;
  cpuMs: number;
  cpuUsPerEvent: number;
  /** RSS after start-up and a full GC, before connecting. */
  rssBaseMiB: number;
  /** The process's RSS high-water mark (getrusage maxrss). */
  peakRssMiB: number;
  peakRssDeltaMiB: number;
  /** Highest sampled heapUsed (every 20 ms) minus heapUsed before connecting. */
  heapPeakDeltaMiB: number;
  /** QueueCallerJoin, AgentConnect and VarSet events compared field by field with the source. */
  checked: number;
  checkedExpected: number;
  /** Checked events with any wrong field. */
  corrupted: number;
  /** Wrong Uniqueid, Linkedid, CallerIDNum, CallerIDName or Queue (or not found at all). */
  corruptedCore: number;
  /** Empty `AccountCode:` (without the blank) not handed out as AccountCode = ''. */
  corruptedAccountCode: number;
  /** VarSet's `Variable: BRIDGEPEER` / `Value:` not handed out as such. */
  corruptedVariable: number;
  firstMismatches: Mismatch[];
  /** Translating clients only. */
  domainEvents?: number;
  domainExpected?: number;
  domainCorrupted?: number;
  /** Whatever the child printed (the library's console output): filled in by the parent. */
  output?: string;
}

const MiB = 2 ** 20;

class Tally {
  events = 0;
  checked = 0;
  corrupted = 0;
  core = 0;
  accountCode = 0;
  variable = 0;
  domainEvents = 0;
  domainCorrupted = 0;
  readonly firstMismatches: Mismatch[] = [];
  readonly #expect: Record<string, Expectation>;
  readonly #total: number;
  readonly #onComplete: () => void;

  constructor(request: RunRequest, onComplete: () => void) {
    this.#expect = request.expectations;
    this.#total = request.events;
    this.#onComplete = onComplete;
  }

  count(): void {
    if (++this.events === this.#total) this.#onComplete();
  }

  #mismatch(event: string, key: string, got: unknown, want: unknown): void {
    if (this.firstMismatches.length < 6 && !this.firstMismatches.some((m) => m.key === key)) {
      this.firstMismatches.push({ event, key, got: got === undefined ? '(missing)' : got, want });
    }
  }

  #same(event: string, key: string, got: unknown, want: unknown): boolean {
    if (got === want) return true;
    this.#mismatch(event, key, got, want);
    return false;
  }

  /** Compares one checked event with the source; `get` reads a field the client's way. */
  check(name: string, get: (key: string) => unknown): void {
    this.checked++;
    const uniqueid = get('Uniqueid');
    const e = typeof uniqueid === 'string' ? this.#expect[`${name}|${uniqueid}`] : undefined;
    if (!e) {
      this.#mismatch(name, 'Uniqueid', uniqueid, '(an id of the source)');
      this.core++;
      this.corrupted++;
      return;
    }
    let core = this.#same(name, 'Linkedid', get('Linkedid'), e.linkedid);
    core = this.#same(name, 'CallerIDNum', get('CallerIDNum'), e.callerIdNum) && core;
    core = this.#same(name, 'CallerIDName', get('CallerIDName'), e.callerIdName) && core;
    if (e.queue !== undefined) core = this.#same(name, 'Queue', get('Queue'), e.queue) && core;
    let account = true;
    for (const key of e.emptyKeys) account = this.#same(name, key, get(key), '') && account;
    let variable = true;
    if (e.variable !== undefined) {
      variable = this.#same(name, 'Variable', get('Variable'), e.variable);
      variable = this.#same(name, 'Value', get('Value'), e.value) && variable;
    }
    if (!core) this.core++;
    if (!account) this.accountCode++;
    if (!variable) this.variable++;
    if (!core || !account || !variable) this.corrupted++;
  }

  /** The domain event must carry the source's Linkedid, Queue and caller. */
  translated(message: AmiMessage, translation: Translation): void {
    if (!translation) return;
    if ('skip' in translation) {
      this.domainCorrupted++;
      return;
    }
    this.domainEvents++;
    const event = translation.event;
    if (event.type !== 'CallQueued' && event.type !== 'CallAnswered') return;
    const e = this.#expect[`${message.name}|${message.get('Uniqueid')}`];
    const ok =
      e !== undefined &&
      event.callId === e.linkedid &&
      event.queue === e.queue &&
      event.caller.num === e.callerIdNum &&
      event.caller.name === e.callerIdName;
    if (!ok) this.domainCorrupted++;
  }
}

/**
 * What a wrapper around asterisk-manager has to do to hand the daemon the same typed messages:
 * turn its object back into ordered pairs, undoing `accountcode:` keys (a `Key:` line without
 * the blank) and the `variable` sub-object (`Variable: BRIDGEPEER` → `{ BRIDGEPEER: '' }`).
 */
function adaptManagerEvent(event: AsteriskManager.ManagerEvent): AmiMessage {
  const pairs: AmiPair[] = [];
  for (const key in event) {
    const value = event[key];
    const k = key.endsWith(':') ? key.slice(0, -1) : key;
    if (typeof value === 'string') pairs.push([k, value]);
    else if (Array.isArray(value)) for (const v of value) pairs.push([k, v]);
    else if (value !== undefined) {
      for (const name in value) pairs.push([k, value[name] === '' ? name : `${name}=${value[name]}`]);
    }
  }
  return new AmiMessage(pairs);
}

function silentLogger(level: 'info' | 'debug' = 'info', lines?: string[]) {
  const stream = new Writable({
    write(chunk, _encoding, done) {
      if (lines) for (const line of String(chunk).split('\n')) if (line) lines.push(line);
      done();
    },
  });
  return createLogger({ level, format: 'json', stream });
}

/** Connects the client, counts and checks every event; returns how to stop it. */
function startClient(request: RunRequest, tally: Tally): () => Promise<void> {
  const { client, port } = request;
  if (client === 'asterisk-manager' || client === 'asterisk-manager+wrap') {
    const ami = AsteriskManager(port, HOST, 'bench', 'bench-secret', true);
    if (client === 'asterisk-manager') {
      ami.on('managerevent', (event) => {
        tally.count();
        const name = event.event;
        if (typeof name === 'string' && CHECKED_EVENT_NAMES.has(name)) {
          tally.check(name, (key) => event[key.toLowerCase()]);
        }
      });
    } else {
      ami.on('managerevent', (event) => {
        const message = adaptManagerEvent(event);
        tally.count();
        if (CHECKED_EVENT_NAMES.has(message.name)) tally.check(message.name, (key) => message.get(key));
        tally.translated(message, callEventFromAmi(message, Date.now()));
      });
    }
    return async () => {
      await new Promise<void>((resolve) => ami.disconnect(resolve));
    };
  }
  const ami = new AmiClient({
    host: HOST,
    port,
    username: 'bench',
    secret: new Secret('bench-secret', 'bench'),
    logger: silentLogger(),
  });
  if (client === 'ours') {
    ami.onEvent((message) => {
      tally.count();
      if (CHECKED_EVENT_NAMES.has(message.name)) tally.check(message.name, (key) => message.get(key));
    });
  } else {
    // What the daemon does (src/integration/call-integration.ts): every event through the translation.
    ami.onEvent((message) => {
      tally.count();
      if (CHECKED_EVENT_NAMES.has(message.name)) tally.check(message.name, (key) => message.get(key));
      tally.translated(message, callEventFromAmi(message, Date.now()));
    });
  }
  ami.start();
  return () => ami.stop();
}

async function workerRun(request: RunRequest): Promise<RunResult> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const base = process.memoryUsage();
  let peakHeap = base.heapUsed;
  const sampler = setInterval(() => {
    const heap = process.memoryUsage().heapUsed;
    if (heap > peakHeap) peakHeap = heap;
  }, 20);
  let endAt = 0;
  let cpu: NodeJS.CpuUsage = { user: 0, system: 0 };
  let complete = false;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const tally = new Tally(request, () => {
    endAt = performance.now();
    cpu = process.cpuUsage(cpu0);
    complete = true;
    finish();
  });
  const stop = startClient(request, tally);
  // Lost events: end when nothing arrives for idleMs (or after a hard cap).
  let seen = -1;
  let quietSince = performance.now();
  const watchdog = setInterval(() => {
    const now = performance.now();
    if (tally.events !== seen) {
      seen = tally.events;
      quietSince = now;
    } else if ((tally.events > 0 && now - quietSince > request.idleMs) || now - t0 > 60_000) {
      endAt = quietSince;
      cpu = process.cpuUsage(cpu0);
      finish();
    }
  }, 100);
  await finished;
  clearInterval(watchdog);
  clearInterval(sampler);
  const heapAtEnd = process.memoryUsage().heapUsed;
  if (heapAtEnd > peakHeap) peakHeap = heapAtEnd;
  const maxRss = process.resourceUsage().maxRSS * 1024;
  await stop();
  const totalMs = endAt - t0;
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return {
    client: request.client,
    complete,
    events: tally.events,
    expected: request.events,
    lost: Math.max(0, request.events - tally.events),
    totalMs: round(totalMs, 1),
    eventsPerSec: Math.round(tally.events / (totalMs / 1000)),
    cpuUserMs: Math.round(cpu.user / 1000),
    cpuSystemMs: Math.round(cpu.system / 1000),
    cpuMs: Math.round(cpuMs),
    cpuUsPerEvent: round((cpuMs * 1000) / Math.max(1, tally.events), 2),
    rssBaseMiB: round(base.rss / MiB, 1),
    peakRssMiB: round(maxRss / MiB, 1),
    peakRssDeltaMiB: round((maxRss - base.rss) / MiB, 1),
    heapPeakDeltaMiB: round((peakHeap - base.heapUsed) / MiB, 1),
    checked: tally.checked,
    checkedExpected: request.checkedEvents,
    corrupted: tally.corrupted,
    corruptedCore: tally.core,
    corruptedAccountCode: tally.accountCode,
    corruptedVariable: tally.variable,
    firstMismatches: tally.firstMismatches,
    ...(request.client.endsWith('translate') || request.client.endsWith('wrap')
      ? {
          domainEvents: tally.domainEvents,
          domainExpected: request.callEvents,
          domainCorrupted: tally.domainCorrupted,
        }
      : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Qualitative checks, in their own child process (they patch console and, once, the clock).

interface Finding {
  id: string;
  question: string;
  asteriskManager: string;
  ours: string;
  details: { asteriskManager: Record<string, unknown>; ours: Record<string, unknown> };
}

function captureConsole(): { lines: string[]; restore(): void } {
  const lines: string[] = [];
  const out = process.stdout.write;
  const err = process.stderr.write;
  const grab = ((chunk: unknown) => {
    for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(line);
    return true;
  }) as typeof process.stdout.write;
  process.stdout.write = grab;
  process.stderr.write = grab;
  return {
    lines,
    restore() {
      process.stdout.write = out;
      process.stderr.write = err;
      // A printed Error brings its stack: keep the message, count the frames.
      const kept: string[] = [];
      let frames = 0;
      for (const line of lines) {
        if (/^\s+at /.test(line)) {
          frames++;
          continue;
        }
        if (frames > 0) kept.push(`(${frames} stack-trace lines)`);
        frames = 0;
        kept.push(line);
      }
      if (frames > 0) kept.push(`(${frames} stack-trace lines)`);
      lines.splice(0, lines.length, ...kept);
    },
  };
}

const realSetTimeout = globalThis.setTimeout;
/** A sleep that compressClock() does not shorten. */
const realSleep = (ms: number) => new Promise<void>((resolve) => realSetTimeout(resolve, ms));

/** Runs timers of ≥ 1 s `factor` times sooner, recording what was asked for. */
function compressClock(factor: number): { requested: number[]; restore(): void } {
  const real = globalThis.setTimeout;
  const requested: number[] = [];
  const fast = (fn: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    let delay = ms ?? 0;
    if (delay >= 1_000) {
      requested.push(delay);
      delay /= factor;
    }
    return real(fn, delay, ...args);
  };
  globalThis.setTimeout = fast as unknown as typeof setTimeout;
  return {
    requested,
    restore() {
      globalThis.setTimeout = real;
    },
  };
}

/** Polls until `check` holds or `timeoutMs` passes; says which. */
async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) return false;
    await sleep(10);
  }
  return true;
}

const PARSE_PROBE =
  'Event: ParseProbe\r\nAccountCode:\r\nCallerIDName:Erika Mustermann\r\nVariable: BRIDGEPEER\r\n' +
  'Value: PJSIP/101-00000001\r\nChanVariable: A=1\r\nChanVariable: B=2\r\nMessage: Channel: x\r\n' +
  'Foo: 1\r\nFoo: 2\r\n\r\n';

function queueStatusList(actionId: string): string {
  const m = (lines: string[]) => `${lines.join('\r\n')}\r\n\r\n`;
  return (
    m([
      'Response: Success',
      `ActionID: ${actionId}`,
      'EventList: start',
      'Message: Queue status will follow',
    ]) +
    m(['Event: QueueParams', 'Queue: support', 'Max: 0', 'Calls: 0', `ActionID: ${actionId}`]) +
    m([
      'Event: QueueMember',
      'Queue: support',
      'Name: Anna Agent',
      'Location: Local/101@agents',
      `ActionID: ${actionId}`,
    ]) +
    m([
      'Event: QueueMember',
      'Queue: support',
      'Name: Ben Agent',
      'Location: Local/102@agents',
      `ActionID: ${actionId}`,
    ]) +
    m(['Event: QueueStatusComplete', `ActionID: ${actionId}`, 'EventList: Complete', 'ListItems: 3'])
  );
}

type Behaviour = 'accept' | 'reject' | 'probe';

/** Login accepted (or refused like Asterisk: ~delay, Error, close); Ping/QueueStatus answered if asked. */
function pbx(behaviour: Behaviour, options: { answerPing?: boolean } = {}) {
  return startLoopbackAmi({
    onAction(session: AmiSession, action: AmiMessage) {
      const name = action.name.toLowerCase();
      const id = action.get('ActionID') ?? '';
      if (name === 'login') {
        if (behaviour === 'reject') {
          setTimeout(() => {
            session.send(loginResponse(action, false));
            session.socket.end();
          }, 200);
          return;
        }
        session.send(loginResponse(action, true));
        if (behaviour === 'probe') session.send(PARSE_PROBE);
      } else if (name === 'ping' && options.answerPing) {
        session.send({ Response: 'Success', ActionID: id, Ping: 'Pong', Timestamp: '1795305910.000000' });
      } else if (name === 'queuestatus') {
        session.send(queueStatusList(id));
      } else if (name === 'logoff') {
        session.send({ Response: 'Goodbye', ActionID: id, Message: 'Thanks for all the fish.' });
        session.socket.end();
      }
    },
  });
}

function managerConnected(port: number) {
  const ami = AsteriskManager(port, HOST, 'bench', 'bench-secret', true);
  let loggedIn = false;
  ami.on('response', (r) => {
    if (r.message === 'Authentication accepted') loggedIn = true;
  });
  return { ami, loggedIn: () => loggedIn };
}

async function asteriskManagerChecks(): Promise<Record<string, Record<string, unknown>>> {
  const out: Record<string, Record<string, unknown>> = {};

  {
    // keepConnected() once the link is up, then the PBX goes away.
    const server = await pbx('accept');
    const clock = compressClock(50);
    const con = captureConsole();
    const { ami, loggedIn } = managerConnected(server.port);
    await until(loggedIn, 2_000);
    ami.keepConnected();
    const registered = ami.reconnect !== undefined;
    server.dropAll();
    const reconnected = await until(() => server.logins >= 2, 1_500);
    ami.disconnect();
    con.restore();
    clock.restore();
    await server.close();
    out.reconnectAfterConnect = {
      keepConnectedRegistered: registered,
      reconnected,
      waitedMs: 1_500,
      nominalWaitS: 75,
      requestedTimersMs: clock.requested,
      console: con.lines,
    };
  }

  {
    // The README's order: keepConnected() right after the constructor, before the link is up.
    // Then the PBX stays down for a while: how do the retries space out?
    const server = await pbx('accept');
    const clock = compressClock(50);
    const con = captureConsole();
    const { ami, loggedIn } = managerConnected(server.port);
    ami.keepConnected();
    await until(loggedIn, 2_000);
    server.dropAll();
    const reconnected = await until(() => server.logins >= 2, 2_000);
    const firstDelays = [...clock.requested];
    await server.close();
    await realSleep(1_500);
    ami.disconnect();
    con.restore();
    clock.restore();
    out.reconnectReadmeOrder = {
      reconnected,
      requestedDelayMs: firstDelays,
      pbxDownFor: '1.5 s real = 75 s nominal',
      retryDelaysWhilePbxDownMs: clock.requested.slice(firstDelays.length),
      console: con.lines,
    };
  }

  {
    // An action the PBX never answers: timeout? And once the link drops?
    const server = await pbx('accept');
    const con = captureConsole();
    const { ami, loggedIn } = managerConnected(server.port);
    await until(loggedIn, 2_000);
    let calls = 0;
    const id = ami.action({ action: 'Ping' }, () => {
      calls++;
    });
    await sleep(1_000);
    const callsWithoutAnswer = calls;
    server.dropAll();
    await sleep(1_000);
    const listenersLeft = ami.listeners(id).length;
    ami.disconnect();
    con.restore();
    await server.close();
    out.actionInFlight = {
      callbacksDuring1sWithoutAnswer: callsWithoutAnswer,
      callbacksWithin1sAfterDrop: calls - callsWithoutAnswer,
      listenersLeftForActionId: listenersLeft,
      console: con.lines,
    };
  }

  {
    // Wrong secret through the constructor (its documented use).
    const server = await pbx('reject');
    const con = captureConsole();
    const ami = AsteriskManager(server.port, HOST, 'bench', 'wrong', true);
    const errors: string[] = [];
    const responses: string[] = [];
    let closed = false;
    ami.on('error', (e) => errors.push(String(e)));
    ami.on('response', (r) => responses.push(`${String(r.response)}: ${String(r.message)}`));
    ami.on('close', () => {
      closed = true;
    });
    await until(() => closed, 2_000);
    await sleep(100);
    ami.disconnect();
    con.restore();
    await server.close();
    out.loginErrorConstructor = {
      errorEvents: errors,
      responseEvents: responses,
      closed,
      console: con.lines,
    };
  }

  {
    // Wrong secret through an explicit login(callback).
    const server = await pbx('reject');
    const con = captureConsole();
    const ami = AsteriskManager(server.port, HOST);
    await until(() => ami.isConnected(), 2_000);
    ami.options.username = 'bench';
    ami.options.password = 'wrong';
    let callbackError: unknown;
    let called = false;
    ami.login((error) => {
      called = true;
      callbackError = error;
    });
    await until(() => called, 2_000);
    ami.disconnect();
    con.restore();
    await server.close();
    const e = callbackError as AsteriskManager.ManagerEvent | undefined;
    out.loginErrorCallback = {
      callbackCalled: called,
      error: e ? `${String(e.response)}: ${String(e.message)}` : null,
      console: con.lines,
    };
  }

  {
    // An action after the link is gone.
    const server = await pbx('accept');
    const con = captureConsole();
    const { ami, loggedIn } = managerConnected(server.port);
    await until(loggedIn, 2_000);
    ami.disconnect();
    let called = false;
    ami.action({ action: 'Ping' }, () => {
      called = true;
    });
    await sleep(500);
    con.restore();
    await server.close();
    out.actionWhileDisconnected = { callbackWithin500ms: called, console: con.lines };
  }

  {
    // An EventList action (QueueStatus): what the callback gets, where the entries go.
    const server = await pbx('accept');
    const con = captureConsole();
    const { ami, loggedIn } = managerConnected(server.port);
    await until(loggedIn, 2_000);
    const entries: string[] = [];
    let response: AsteriskManager.ManagerEvent | undefined;
    let entriesWhenCalled = -1;
    const id = ami.action({ action: 'QueueStatus' }, (_e, r) => {
      response = r;
      entriesWhenCalled = entries.length;
    });
    ami.on('managerevent', (e) => {
      if (e.actionid === id) entries.push(String(e.event));
    });
    await until(() => entries.length >= 4, 1_000);
    ami.disconnect();
    con.restore();
    await server.close();
    out.eventList = {
      callbackGot: response ? `${String(response.response)} (${String(response.eventlist)})` : null,
      entriesSeenWhenCallbackRan: entriesWhenCalled,
      entriesAsPlainEvents: entries,
      console: con.lines,
    };
  }

  {
    // Field parsing of a crafted event.
    const server = await pbx('probe');
    const con = captureConsole();
    const ami = AsteriskManager(server.port, HOST, 'bench', 'bench-secret', true);
    let probe: AsteriskManager.ManagerEvent | undefined;
    ami.on('managerevent', (e) => {
      if (e.event === 'ParseProbe') probe = e;
    });
    await until(() => probe !== undefined, 2_000);
    ami.disconnect();
    con.restore();
    await server.close();
    out.parseProbe = { parsed: probe ?? null, console: con.lines };
  }
  return out;
}

async function oursChecks(): Promise<Record<string, Record<string, unknown>>> {
  const out: Record<string, Record<string, unknown>> = {};
  const client = (port: number, lines: string[], secret = 'bench-secret', actionTimeoutMs = 10_000) =>
    new AmiClient({
      host: HOST,
      port,
      username: 'bench',
      secret: new Secret(secret, 'bench'),
      logger: silentLogger('info', lines),
      firstRetryMs: 100,
      maxRetryMs: 1_000,
      loginRetryMs: 30_000,
      actionTimeoutMs,
    });

  {
    const server = await pbx('accept', { answerPing: true });
    const con = captureConsole();
    const logs: string[] = [];
    const ami = client(server.port, logs);
    ami.start();
    await until(() => ami.state === 'up', 2_000);
    server.dropAll();
    const dropped = performance.now();
    const reconnected = await until(() => server.logins >= 2 && ami.state === 'up', 2_000);
    const afterMs = Math.round(performance.now() - dropped);
    await ami.stop();
    con.restore();
    await server.close();
    out.reconnect = { reconnected, afterMs, log: logs.map(logMsg), console: con.lines };
  }

  {
    const server = await pbx('accept');
    const con = captureConsole();
    const logs: string[] = [];
    const ami = client(server.port, logs, 'bench-secret', 500);
    ami.start();
    await until(() => ami.state === 'up', 2_000);
    const t0 = performance.now();
    let dropAt = 0;
    const timeout = await ami.action({ Action: 'Ping' }).then(
      () => 'answered',
      (e: AmiError) => `${e.kind} after ${Math.round(performance.now() - t0)} ms`,
    );
    const pending = ami.action({ Action: 'Ping' }, 5_000).then(
      () => 'answered',
      (e: AmiError) => `${e.kind} ${Math.round(performance.now() - dropAt)} ms after the drop`,
    );
    await sleep(300);
    dropAt = performance.now();
    server.dropAll();
    const inFlight = await pending;
    await until(() => ami.state !== 'up', 1_000);
    const whileDown = await ami.action({ Action: 'Ping' }).then(
      () => 'answered',
      (e: AmiError) => e.kind,
    );
    await ami.stop();
    con.restore();
    await server.close();
    out.actionInFlight = { unanswered500msTimeout: timeout, inFlight, whileDown, console: con.lines };
  }

  {
    const server = await pbx('reject');
    const con = captureConsole();
    const logs: string[] = [];
    const ami = client(server.port, logs, 'wrong');
    ami.start();
    await until(() => logs.some((l) => l.includes('refused')), 2_000);
    const state = ami.state;
    await ami.stop();
    con.restore();
    await server.close();
    out.loginError = { state, log: logs.map(logMsg), console: con.lines };
  }

  {
    const server = await pbx('accept');
    const con = captureConsole();
    const ami = client(server.port, []);
    ami.start();
    await until(() => ami.state === 'up', 2_000);
    const list = await ami.list({ Action: 'QueueStatus' });
    await ami.stop();
    con.restore();
    await server.close();
    out.eventList = {
      response: list.response.name,
      items: list.items.map((m) => m.name),
      complete: list.complete?.name ?? null,
      console: con.lines,
    };
  }

  {
    const parser = new AmiParser();
    const [probe] = parser.feed(PARSE_PROBE);
    out.parseProbe = { parsed: probe?.toObject() ?? null };
  }
  return out;
}

function logMsg(line: string): string {
  try {
    const r = JSON.parse(line) as { level?: string; msg?: string };
    return `${r.level}: ${r.msg}`;
  } catch {
    return line;
  }
}

function seconds(delays: unknown): string {
  const list = Array.isArray(delays) ? (delays as number[]) : [];
  return list.length ? `${list.map((ms) => ms / 1000).join(', ')} s` : '(none)';
}

function consoleOf(group: Record<string, Record<string, unknown>>): string[] {
  return Object.values(group).flatMap((g) => (Array.isArray(g.console) ? (g.console as string[]) : []));
}

function findings(
  am: Record<string, Record<string, unknown>>,
  ours: Record<string, Record<string, unknown>>,
): Finding[] {
  const a = (k: string) => am[k] ?? {};
  const o = (k: string) => ours[k] ?? {};
  const amConsole = consoleOf(am);
  const oursConsole = consoleOf(ours);
  const probe = (a('parseProbe').parsed ?? {}) as Record<string, unknown>;
  return [
    {
      id: 'reconnect',
      question: 'Reconnects after the PBX drops the link?',
      asteriskManager:
        `keepConnected() after connect: ${a('reconnectAfterConnect').reconnected ? 'yes' : 'no, never'}; ` +
        `before connect (README order): ${a('reconnectReadmeOrder').reconnected ? `yes, after ${seconds(a('reconnectReadmeOrder').requestedDelayMs)}; PBX down: retries after ${seconds(a('reconnectReadmeOrder').retryDelaysWhilePbxDownMs)}` : 'no'}`,
      ours: o('reconnect').reconnected
        ? `yes, after ${String(o('reconnect').afterMs)} ms (first retry ≤ 100 ms as configured here)`
        : 'no',
      details: {
        asteriskManager: { ...a('reconnectAfterConnect'), readmeOrder: a('reconnectReadmeOrder') },
        ours: o('reconnect'),
      },
    },
    {
      id: 'action-in-flight',
      question: 'Action in flight when the link drops: callback / timeout?',
      asteriskManager:
        `no timeout (${String(a('actionInFlight').callbacksDuring1sWithoutAnswer)} callbacks in 1 s unanswered); ` +
        `after the drop: ${String(a('actionInFlight').callbacksWithin1sAfterDrop)} callbacks, ` +
        `${String(a('actionInFlight').listenersLeftForActionId)} listener left (leak)`,
      ours: `timeout: ${String(o('actionInFlight').unanswered500msTimeout)}; in flight: ${String(o('actionInFlight').inFlight)}; while down: ${String(o('actionInFlight').whileDown)} at once`,
      details: { asteriskManager: a('actionInFlight'), ours: o('actionInFlight') },
    },
    {
      id: 'login-error',
      question: 'Login errors reported?',
      asteriskManager: (() => {
        const c = a('loginErrorConstructor');
        const errors = (c.errorEvents as string[] | undefined) ?? [];
        const responses = (c.responseEvents as string[] | undefined) ?? [];
        const e = a('loginErrorCallback');
        return (
          `constructor login: ${errors.length ? `error event ${errors.join(', ')}` : 'no error event, no callback'}; ` +
          `only a generic 'response' event (${responses.join(', ') || 'none'})${c.closed ? ' and close' : ''}; ` +
          `explicit login(cb): ${e.callbackCalled ? `cb(${String(e.error)})` : 'no callback'}`
        );
      })(),
      ours: `logged "${String((o('loginError').log as string[] | undefined)?.find((l) => l.includes('refused')) ?? 'nothing')}", state ${String(o('loginError').state)}, retry after loginRetryMs`,
      details: {
        asteriskManager: { ...a('loginErrorConstructor'), explicit: a('loginErrorCallback') },
        ours: o('loginError'),
      },
    },
    {
      id: 'console',
      question: 'Prints to the console?',
      asteriskManager: amConsole.length
        ? `yes (console.log): ${[...new Set(amConsole)].map((l) => JSON.stringify(l.trim())).join(', ')}`
        : 'no',
      ours: oursConsole.length ? `yes: ${oursConsole.join(' | ')}` : 'no (everything goes to the logger)',
      details: {
        asteriskManager: { lines: amConsole, actionWhileDisconnected: a('actionWhileDisconnected') },
        ours: { lines: oursConsole },
      },
    },
    {
      id: 'event-list',
      question: 'EventList actions (QueueStatus) collected?',
      asteriskManager: `no: callback gets "${String(a('eventList').callbackGot)}" with ${String(a('eventList').entriesSeenWhenCallbackRan)} entries; ${(a('eventList').entriesAsPlainEvents as string[] | undefined)?.length ?? 0} entries arrive as plain events`,
      ours: `yes: ${(o('eventList').items as string[] | undefined)?.length ?? 0} items + ${String(o('eventList').complete)}`,
      details: { asteriskManager: a('eventList'), ours: o('eventList') },
    },
    {
      id: 'parsing',
      question: '`AccountCode:` / `Key:Value` without blank, `Variable:`, repeated keys',
      asteriskManager: `keys ${Object.keys(probe)
        .filter((k) => k !== 'event' && k !== 'value')
        .map((k) => `${k}=${JSON.stringify(probe[k])}`)
        .join(', ')}`,
      ours: `${Object.entries((o('parseProbe').parsed ?? {}) as Record<string, unknown>)
        .filter(([k]) => k !== 'Event' && k !== 'Value')
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(', ')}`,
      details: { asteriskManager: a('parseProbe'), ours: o('parseProbe') },
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Parent: the stream, the server, the runs, the report.

function argNumber(name: string, fallback: number): number {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  const n = arg ? Number(arg.slice(name.length + 3)) : fallback;
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer`);
  return n;
}

function child(role: string): { proc: ChildProcess; output: () => string } {
  const proc = fork(SELF, [role], {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  proc.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  proc.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  return { proc, output: () => output };
}

function ask<T>(role: string, message: unknown, timeoutMs: number): Promise<{ result: T; output: string }> {
  const { proc, output } = child(role);
  return new Promise((resolve, reject) => {
    let result: T | undefined;
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${role} gave no result within ${timeoutMs} ms`));
    }, timeoutMs);
    proc.on('message', (m) => {
      result = m as T;
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      if (result === undefined) reject(new Error(`${role} exited (${code}) without a result:\n${output()}`));
      else resolve({ result, output: output() });
    });
    proc.send(message as object);
  });
}

function* withFirst(first: Buffer, chunks: readonly Buffer[]): Generator<Buffer> {
  if (chunks.length === 0) {
    yield first;
    return;
  }
  yield Buffer.concat([first, chunks[0]!]);
  for (let i = 1; i < chunks.length; i++) yield chunks[i]!;
}

type Numeric = Exclude<
  {
    [K in keyof RunResult]: RunResult[K] extends number | undefined ? K : never;
  }[keyof RunResult],
  undefined
>;

const MEDIAN_FIELDS: Numeric[] = [
  'eventsPerSec',
  'totalMs',
  'lost',
  'corrupted',
  'corruptedCore',
  'corruptedAccountCode',
  'corruptedVariable',
  'cpuMs',
  'cpuUserMs',
  'cpuSystemMs',
  'cpuUsPerEvent',
  'peakRssMiB',
  'peakRssDeltaMiB',
  'heapPeakDeltaMiB',
  'domainEvents',
  'domainCorrupted',
];

function medians(runs: RunResult[]): Partial<Record<Numeric, number>> {
  const out: Partial<Record<Numeric, number>> = {};
  for (const f of MEDIAN_FIELDS) {
    const values = runs.map((r) => r[f]).filter((v): v is number => typeof v === 'number');
    if (values.length > 0) out[f] = round(median(values), 2);
  }
  return out;
}

async function main(): Promise<void> {
  const started = performance.now();
  const targetEvents = argNumber('events', 200_000);
  const runs = argNumber('runs', 5);
  const machine = machineFacts();
  const streamOptions = {
    scenarios: ['a', 'b', 'c', 'e'],
    targetEvents,
    seed: 0x5eed,
    minChunk: 1,
    maxChunk: 64 * 1024,
    noSpaceEvery: 2,
    addVarSet: true,
  };
  const t0 = performance.now();
  const stream = buildRecordedStream(streamOptions);
  const buildMs = performance.now() - t0;
  const log = (line: string) => process.stdout.write(`${line}\n`);
  log(`AMI clients on one recorded stream — ${describeMachine(machine)}`);
  log(
    `stream: ${formatNumber(stream.events)} events (${stream.copies} copies of ${stream.eventsPerCopy}: transcripts ` +
      `a, b, c, e + a VarSet per AgentConnect), ${formatNumber(stream.bytes / MiB, 1)} MiB in ` +
      `${formatNumber(stream.chunkSizes.count)} chunks of 1 B–64 KiB (median ${stream.chunkSizes.median} B), ` +
      `built in ${Math.round(buildMs)} ms`,
  );

  const server = await startLoopbackAmi({
    onAction(session, action) {
      const name = action.name.toLowerCase();
      if (name === 'login') {
        void session.stream(withFirst(Buffer.from(loginResponse(action, true)), stream.chunks));
      } else if (name === 'logoff') {
        session.send({ Response: 'Goodbye', ActionID: action.get('ActionID') ?? '', Message: 'Bye' });
        session.socket.end();
      }
    },
  });

  const all = new Map<ClientId, RunResult[]>(CLIENTS.map((c) => [c.id, []]));
  const perRun: Array<Partial<Record<ClientId, RunResult>>> = [];
  try {
    for (let r = 0; r < runs; r++) {
      const order = r % 2 === 0 ? [...CLIENTS] : [...CLIENTS].reverse();
      const thisRun: Partial<Record<ClientId, RunResult>> = {};
      for (const c of order) {
        const request: RunRequest = {
          type: 'run',
          client: c.id,
          port: server.port,
          events: stream.events,
          callEvents: stream.callEvents,
          checkedEvents: stream.checkedEvents,
          expectations: stream.expectations,
          idleMs: 2_000,
        };
        const { result, output } = await ask<RunResult>('--worker', request, 90_000);
        if (output.trim()) result.output = output;
        all.get(c.id)!.push(result);
        thisRun[c.id] = result;
        log(
          `run ${r + 1}/${runs}  ${c.id.padEnd(22)} ${formatNumber(result.eventsPerSec).padStart(8)} ev/s  ` +
            `${formatNumber(result.totalMs / 1000, 2)} s  lost ${result.lost}  corrupted ${result.corrupted}  ` +
            `cpu ${formatNumber(result.cpuMs)} ms  peak RSS ${result.peakRssMiB} MiB`,
        );
      }
      perRun.push(thisRun);
    }
  } finally {
    await server.close();
  }

  log('qualitative checks (asterisk-manager and ours against sockets that drop, stay silent, refuse)…');
  const checks = await ask<{
    asteriskManager: Record<string, Record<string, unknown>>;
    ours: Record<string, Record<string, unknown>>;
  }>('--checks', { type: 'checks' }, 60_000);
  const qualitative = findings(checks.result.asteriskManager, checks.result.ours);

  const summary = CLIENTS.map((c) => {
    const runsOf = all.get(c.id)!;
    const eps = runsOf.map((r) => r.eventsPerSec);
    return {
      id: c.id,
      label: c.label,
      median: medians(runsOf),
      eventsPerSecRange: [Math.min(...eps), Math.max(...eps)],
      runs: runsOf,
    };
  });
  const ratio = (num: ClientId, den: ClientId) => {
    const values = perRun
      .map((run) => (run[num] && run[den] ? run[num].eventsPerSec / run[den].eventsPerSec : Number.NaN))
      .filter((v) => Number.isFinite(v));
    return { median: round(median(values), 2), perRun: values.map((v) => round(v, 2)) };
  };
  const ratios = {
    'ours / asterisk-manager': ratio('ours', 'asterisk-manager'),
    'ours+translate / asterisk-manager+wrap': ratio('ours+translate', 'asterisk-manager+wrap'),
    'ours+translate / asterisk-manager': ratio('ours+translate', 'asterisk-manager'),
  };
  const cpuRatio = round(
    median(
      perRun
        .map((run) =>
          run.ours && run['asterisk-manager'] ? run['asterisk-manager'].cpuMs / run.ours.cpuMs : Number.NaN,
        )
        .filter((v) => Number.isFinite(v)),
    ),
    2,
  );

  log('');
  log(`medians of ${runs} runs (each a fresh process; order alternated) — ${describeMachine(machine)}`);
  printTable(
    [
      { header: 'client' },
      { header: 'events/s', align: 'right' },
      { header: '(min–max)', align: 'right' },
      { header: 'time s', align: 'right' },
      { header: 'lost', align: 'right' },
      { header: 'corrupted (core/AccountCode:/Variable)', align: 'right' },
      { header: 'CPU ms', align: 'right' },
      { header: 'µs/event', align: 'right' },
      { header: 'peak RSS MiB (Δ)', align: 'right' },
      { header: 'heap Δ MiB', align: 'right' },
      { header: 'domain events (bad)', align: 'right' },
    ],
    summary.map(({ id, median: m, eventsPerSecRange: [lo, hi] }) => [
      id,
      formatNumber(m.eventsPerSec ?? 0),
      `${formatNumber(lo ?? 0)}–${formatNumber(hi ?? 0)}`,
      formatNumber((m.totalMs ?? 0) / 1000, 2),
      formatNumber(m.lost ?? 0),
      `${formatNumber(m.corrupted ?? 0)} (${formatNumber(m.corruptedCore ?? 0)}/${formatNumber(m.corruptedAccountCode ?? 0)}/${formatNumber(m.corruptedVariable ?? 0)})`,
      formatNumber(m.cpuMs ?? 0),
      formatNumber(m.cpuUsPerEvent ?? 0, 2),
      `${formatNumber(m.peakRssMiB ?? 0, 1)} (${formatNumber(m.peakRssDeltaMiB ?? 0, 1)})`,
      formatNumber(m.heapPeakDeltaMiB ?? 0, 1),
      m.domainEvents === undefined
        ? '–'
        : `${formatNumber(m.domainEvents)} (${formatNumber(m.domainCorrupted ?? 0)})`,
    ]),
  );
  log(
    `of ${formatNumber(stream.events)} events; ${formatNumber(stream.checkedEvents)} checked field by field ` +
      `(${formatNumber(stream.noSpaceEvents)} with \`AccountCode:\` without blank, ${formatNumber(stream.varSetEvents)} VarSet); ` +
      `${formatNumber(stream.callEvents)} domain events expected`,
  );
  for (const [name, r] of Object.entries(ratios)) {
    log(`events/s ${name}: ${r.median}× (per run: ${r.perRun.join(', ')})`);
  }
  log(`CPU time asterisk-manager / ours: ${cpuRatio}×`);
  // Issue 6, item 4: the whole adapter (parse, filter, translate) against asterisk-manager parsing.
  const whole = ratios['ours+translate / asterisk-manager'].median;
  const intact = all.get('ours+translate')!.every((r) => r.lost === 0 && r.corrupted === 0);
  log(
    `goal ≥ 4× with 0 lost or corrupted: ${whole}×, ${intact ? '0 lost, 0 corrupted' : 'events LOST or CORRUPTED'}: ` +
      `${whole >= 4 && intact ? 'met' : 'MISSED'}`,
  );
  log('');
  log('qualitative (exercised against loopback sockets; asterisk-manager reconnect timers run 50× faster):');
  for (const f of qualitative) {
    log(`- ${f.question}`);
    log(`    asterisk-manager 0.2.0: ${f.asteriskManager}`);
    log(`    ours (AmiClient):       ${f.ours}`);
  }

  const durationS = round((performance.now() - started) / 1000, 1);
  const file = writeResults('ami-clients', {
    bench: 'ami-clients',
    date: new Date().toISOString(),
    durationS,
    machine,
    config: {
      ...streamOptions,
      runs,
      chunking: 'log-uniform sizes in [minChunk, maxChunk], seeded; login response shares the first write',
      measurement:
        'each run a fresh child process (--expose-gc): time and CPU from connect to the last event; peak RSS = getrusage maxrss; heap Δ = peak sampled heapUsed − heapUsed before connecting',
    },
    stream: {
      bytes: stream.bytes,
      events: stream.events,
      callEvents: stream.callEvents,
      copies: stream.copies,
      eventsPerCopy: stream.eventsPerCopy,
      recordedPerCopy: stream.recordedPerCopy,
      checkedEvents: stream.checkedEvents,
      noSpaceEvents: stream.noSpaceEvents,
      varSetEvents: stream.varSetEvents,
      chunkSizes: stream.chunkSizes,
      buildMs: Math.round(buildMs),
    },
    clients: summary,
    ratios: { eventsPerSec: ratios, cpuAsteriskManagerOverOurs: cpuRatio },
    qualitative,
  });
  log(`\nwritten ${file} — bench took ${durationS} s`);
}

// ---------------------------------------------------------------------------------------------

const role = process.argv[2];
if (role === '--worker') {
  process.once('message', (request: RunRequest) => {
    void workerRun(request).then((result) => process.send!(result, () => process.exit(0)));
  });
} else if (role === '--checks') {
  process.once('message', () => {
    void (async () => {
      const asteriskManager = await asteriskManagerChecks();
      const ours = await oursChecks();
      process.send!({ asteriskManager, ours }, () => process.exit(0));
    })();
  });
} else {
  await main();
}
