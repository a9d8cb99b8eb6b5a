/**
 * Issue 6, benchmark 3: the daemon's own time at an answer — from the moment the AgentConnect
 * bytes reach its AMI socket to the moment the first byte of the pop request leaves it — at 10
 * and 50 answered calls per second with 200 more calls in progress.
 *
 * Three processes, so that nothing the simulators or the measuring do runs on the daemon's loop:
 *
 * - this process: two loopback relays and nothing else. The AMI relay sits between the daemon
 *   and the fake PBX and notes `performance.now()` just before it writes a chunk that completes an
 *   AgentConnect to the daemon's socket; the HTTP relay sits between the daemon and the fake
 *   Zendesk and notes `performance.now()` when the first chunk of each request arrives, then
 *   reads the request (external_id `cti-bridge:<Linkedid>`) to pair it with its answer. Both
 *   times come from one clock; the difference is the daemon's overhead plus two loopback hops
 *   and this process's reaction time (the "floor" run measures those);
 * - a child with the simulators: the fake PBX (AMI over TCP) placing the calls, the fake Zendesk;
 * - a child with the daemon: Daemon + CallIntegration as `cti-bridge run` builds them, journal on
 *   disk, JSON logging at info into a sink.
 *
 * Then the floor: the daemon is replaced by a minimal client that writes a prepared pop request
 * the moment its socket delivers an AgentConnect, under the same load.
 *
 *   node bench/answer-overhead.ts [--low-seconds=25] [--high-seconds=10] [--floor-seconds=8] [--cpu-prof]
 */
import { type ChildProcess, fork } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { CallJournal } from '../src/calls/call-journal.ts';
import { startFakePbx } from '../src/sim/pbx/fake-pbx.ts';
import { startFakeZendesk } from '../src/sim/zendesk/index.ts';
import {
  chunkArrival,
  type DaemonMarks,
  gcWithin,
  monoNow,
  recordDaemonMarks,
  toMono,
} from './lib/answer-marks.ts';
import {
  AMI_USERS,
  addCustomers,
  BENCH_ZENDESK_CREDENTIALS,
  startDaemon,
  TEST_SECRETS,
} from './lib/bridge.ts';
import { describeMachine, machineFacts } from './lib/machine.ts';
import { writeResults } from './lib/results.ts';
import { numberArg, percentile, round, sleep } from './lib/stats.ts';
import { printTable } from './lib/table.ts';

const SELF = fileURLToPath(import.meta.url);
const GOAL_P99_MS = 2;
const LONG_CALLS = 200;
const CUSTOMERS = 200;
const RING_MS = 200;
const TALK_MS = 2_000;
const WRAP_UP_SECONDS = 5;

type Msg = Record<string, unknown> & { type: string };

function request<T extends Msg>(child: ChildProcess, message: Msg, reply: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: Msg) => {
      if (m.type !== reply) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(m as T);
    };
    const onExit = (code: number | null) => reject(new Error(`child exited (${code}) before ${reply}`));
    child.on('message', onMessage);
    child.once('exit', onExit);
    if (message.type !== 'none') child.send(message);
  });
}

/** Sets this process's nice value; returns it, or 0 when not allowed. */
function setNice(value: number): number {
  try {
    os.setPriority(value);
    return value;
  } catch {
    return 0;
  }
}

// ---------------------------------------------------------------------------------------------
// Child: the simulators.

async function simulators(): Promise<void> {
  // The load generator yields to the daemon and the relays: Asterisk does this work in C, at a
  // fraction of the fake PBX's CPU.
  const nice = setNice(10);
  const pbx = await startFakePbx({ users: AMI_USERS });
  const zd = await startFakeZendesk({ credentials: BENCH_ZENDESK_CREDENTIALS, rateLimitPerMinute: 1e9 });
  const numbers = addCustomers(zd, CUSTOMERS, '31').map((c) => c.e164);
  let placed = 0;
  const place = (num: string, spec: Partial<Parameters<typeof pbx.placeCall>[0]>) => {
    placed++;
    pbx.placeCall({
      queue: 'support',
      callerNum: num,
      callerName: 'Bench Caller',
      script: [{ ring: placed % 2 === 0 ? '101' : '102', ms: RING_MS, outcome: 'answer' }],
      talkMs: TALK_MS,
      ...spec,
    });
  };
  process.on('message', async (m: Msg) => {
    if (m.type === 'setup') {
      // The calls in progress: half talking for the whole run, half waiting in the queue.
      for (let i = 0; i < LONG_CALLS; i++) {
        const num = numbers[i % numbers.length]!;
        if (i % 2 === 0)
          place(num, { talkMs: 900_000, script: [{ ring: '101', ms: 100, outcome: 'answer' }] });
        else
          place(num, {
            script: [{ ring: '102', ms: 900_000, outcome: 'noanswer' }],
            abandonAfterMs: 900_000,
          });
        await sleep(10);
      }
      process.send!({ type: 'setup-done' });
    } else if (m.type === 'phase') {
      const rate = Number(m.rate);
      const seconds = Number(m.seconds);
      const total = Math.round(rate * seconds);
      const start = performance.now();
      for (let i = 0; i < total; i++) {
        // A fixed schedule: late timers do not slow the rate down.
        const wait = start + (i * 1000) / rate - performance.now();
        if (wait > 0) await sleep(wait);
        place(numbers[i % numbers.length]!, {});
      }
      await sleep(RING_MS + 500);
      process.send!({ type: 'phase-done', placed: total });
    } else if (m.type === 'stop') {
      await pbx.close();
      await zd.close();
      process.exit(0);
    }
  });
  process.send!({ type: 'ready', pbxPort: pbx.port, zendeskPort: Number(new URL(zd.url).port), nice });
}

// ---------------------------------------------------------------------------------------------
// Child: the daemon.

async function daemonChild(
  amiPort: number,
  httpPort: number,
  stateDirectory: string | undefined,
): Promise<void> {
  const marks = recordDaemonMarks(amiPort, httpPort);
  const running = await startDaemon({
    amiPort,
    zendeskUrl: `http://127.0.0.1:${httpPort}`,
    profile: {
      queues: { support: {} },
      wrapUpSeconds: WRAP_UP_SECONDS,
      ...(stateDirectory ? { stateDirectory } : {}),
    },
  });
  process.on('message', async (m: Msg) => {
    if (m.type === 'cpu') {
      const c = process.cpuUsage();
      process.send!({ type: 'cpu', us: c.user + c.system, at: performance.now() });
    } else if (m.type === 'stop') {
      // The OAuth tokens as this daemon left them: the refresh token rotates, and the next daemon
      // (another state directory) must start from these, not from the profile's spent ones.
      const tokenFile = path.join(stateDirectory ?? path.join(running.workDir, 'state'), 'main.oauth.json');
      const oauthTokens = existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8') : undefined;
      // Warnings and errors by message, before the stop and from it (which cuts wrap-ups short).
      const problems = { ...running.logs.problems };
      await running.close();
      for (const [k, n] of Object.entries(running.logs.problems)) {
        const during = n - (problems[k] ?? 0);
        if (during > 0) problems[`${k} (during the stop)`] = during;
      }
      // Large (every AMI chunk's mark): exit once it is sent.
      process.send!(
        { type: 'stopped', logCounts: running.logs.counts, problems, marks: marks(), oauthTokens },
        () => process.exit(0),
      );
    }
  });
  process.send!({ type: 'ready' });
}

// ---------------------------------------------------------------------------------------------
// Child: the floor — reacts to AgentConnect with a prepared request, nothing else.

async function nullChild(amiPort: number, httpPort: number): Promise<void> {
  let http = connect(httpPort, '127.0.0.1');
  http.setNoDelay(true);
  const reconnect = () => {
    http = connect(httpPort, '127.0.0.1');
    http.setNoDelay(true);
    http.on('data', () => {});
    http.on('close', reconnect);
    http.on('error', () => {});
  };
  http.on('data', () => {});
  http.on('close', reconnect);
  http.on('error', () => {});
  const ami = connect(amiPort, '127.0.0.1');
  ami.setNoDelay(true);
  let text = '';
  let loggedIn = false;
  ami.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
    if (!loggedIn) {
      loggedIn = true;
      ami.write(
        `Action: Login\r\nUsername: bridge\r\nSecret: ${TEST_SECRETS.amiSecret}\r\nEvents: on\r\n\r\n`,
      );
    }
    let end = text.indexOf('\r\n\r\n');
    while (end >= 0) {
      const message = text.slice(0, end);
      text = text.slice(end + 4);
      if (message.startsWith('Event: AgentConnect')) {
        const id = /\r\nLinkedid: ([^\r]*)/.exec(message)?.[1] ?? '';
        const body = JSON.stringify({ ticket: { external_id: `cti-bridge:${id}`, via_id: 45 } });
        http.write(
          `POST /api/v2/channels/voice/tickets.json HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${TEST_SECRETS.zendeskAccessToken}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
        );
      }
      end = text.indexOf('\r\n\r\n');
    }
  });
  process.on('message', (m: Msg) => {
    if (m.type === 'stop') {
      ami.destroy();
      http.removeAllListeners('close');
      http.destroy();
      process.send!({ type: 'stopped' });
      process.exit(0);
    }
  });
  process.send!({ type: 'ready' });
}

// ---------------------------------------------------------------------------------------------
// This process: the relays and the figures.

interface Relays {
  amiPort: number;
  httpPort: number;
  /**
   * Linkedid → when its AgentConnect was written to the daemon, in which phase, on which AMI
   * connection (one per daemon) and where it ends in that connection's stream.
   */
  answers: Map<string, { at: number; phase: string; connection: number; endOffset: number }>;
  /** Linkedid → when the first byte of its pop request arrived. */
  pops: Map<string, number>;
  phase: string;
  popRequests: number;
  otherRequests: number;
  unparsed: number;
  close(): void;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
  });
}

async function startRelays(pbxPort: number, zendeskPort: number): Promise<Relays> {
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.setNoDelay(true);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  };
  const relays: Relays = {
    amiPort: 0,
    httpPort: 0,
    answers: new Map(),
    pops: new Map(),
    phase: 'setup',
    popRequests: 0,
    otherRequests: 0,
    unparsed: 0,
    close() {
      for (const s of sockets) s.destroy();
      ami.close();
      http.close();
    },
  };
  let connections = 0;
  const ami = createServer((daemon) => {
    track(daemon);
    const connection = connections++;
    /** Bytes of the stream before `text`. */
    let consumed = 0;
    const pbx = connect(pbxPort, '127.0.0.1');
    track(pbx);
    daemon.pipe(pbx);
    daemon.on('close', () => pbx.destroy());
    pbx.on('close', () => daemon.destroy());
    let text = '';
    pbx.on('data', (chunk: Buffer) => {
      // Which AgentConnect messages does this chunk complete?
      text += chunk.toString('latin1');
      const completed: Array<{ id: string; endOffset: number }> = [];
      let end = text.indexOf('\r\n\r\n');
      while (end >= 0) {
        if (text.startsWith('Event: AgentConnect')) {
          const id = /\r\nLinkedid: ([^\r]*)/.exec(text.slice(0, end))?.[1];
          if (id) completed.push({ id, endOffset: consumed + end + 4 });
        }
        consumed += end + 4;
        text = text.slice(end + 4);
        end = text.indexOf('\r\n\r\n');
      }
      const at = performance.now();
      daemon.write(chunk);
      for (const { id, endOffset } of completed)
        relays.answers.set(id, { at, phase: relays.phase, connection, endOffset });
    });
  });
  const http = createServer((client) => {
    track(client);
    const zendesk = connect(zendeskPort, '127.0.0.1');
    track(zendesk);
    zendesk.pipe(client);
    client.on('close', () => zendesk.destroy());
    zendesk.on('close', () => client.destroy());
    let buffer: Buffer = Buffer.alloc(0);
    let startedAt = -1;
    client.on('data', (chunk: Buffer) => {
      const at = performance.now();
      zendesk.write(chunk);
      if (buffer.length === 0 && startedAt < 0) startedAt = at;
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      for (;;) {
        const headEnd = buffer.indexOf('\r\n\r\n');
        if (headEnd < 0) return;
        const head = buffer.subarray(0, headEnd).toString('latin1');
        if (/\r\ntransfer-encoding:/i.test(head)) {
          // Not expected (JSON bodies carry a length); counted, and the connection is not read further.
          relays.unparsed++;
          buffer = Buffer.alloc(0);
          startedAt = -1;
          return;
        }
        const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
        if (buffer.length < headEnd + 4 + length) return;
        const body = buffer.subarray(headEnd + 4, headEnd + 4 + length).toString('utf8');
        if (head.startsWith('POST /api/v2/channels/voice/tickets')) {
          relays.popRequests++;
          const id = /"external_id":"cti-bridge:([^"]+)"/.exec(body)?.[1];
          if (id && !relays.pops.has(id)) relays.pops.set(id, startedAt);
        } else relays.otherRequests++;
        buffer = buffer.subarray(headEnd + 4 + length);
        startedAt = buffer.length > 0 ? at : -1;
        if (buffer.length === 0) return;
      }
    });
  });
  relays.amiPort = await listen(ami);
  relays.httpPort = await listen(http);
  return relays;
}

/**
 * The journal write the daemon makes synchronously between AgentConnect and the pop request
 * (CallHandler → CallJournal.answered: SQLite WAL, synchronous=FULL), timed alone on the disk the
 * daemon's journal is on.
 */
function journalAlone(): { writes: number; p50Ms: number; p99Ms: number; maxMs: number } {
  const dir = mkdtempSync(path.join(tmpdir(), 'answer-overhead-journal-'));
  const journal = CallJournal.open(CallJournal.fileFor(dir, 'bench'));
  const times: number[] = [];
  for (let i = 0; i < 300; i++) {
    const t = performance.now();
    journal.answered({
      type: 'CallAnswered',
      callId: `bench.${i}`,
      queue: 'support',
      caller: { num: '+4930310000001', name: 'Bench Caller' },
      agent: { interface: 'Local/101@agents', name: 'Anna Agent', extension: '101' },
      channel: `Local/support-${i};2`,
      holdSec: 0,
      at: Date.now(),
    });
    times.push(performance.now() - t);
  }
  journal.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    writes: times.length,
    p50Ms: round(percentile(times, 50), 3),
    p99Ms: round(percentile(times, 99), 3),
    maxMs: round(Math.max(...times), 3),
  };
}

interface PhaseFigures {
  phase: string;
  ratePerSec: number;
  answers: number;
  paired: number;
  missing: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  over2Ms: number;
  daemonCpuPercent?: number;
  relayLoopDelayP99Ms: number;
  relayLoopDelayMaxMs: number;
}

function figures(
  relays: Relays,
  phase: string,
  rate: number,
  loop: ReturnType<typeof monitorEventLoopDelay>,
): PhaseFigures & { samples: number[] } {
  const samples: number[] = [];
  let answers = 0;
  let missing = 0;
  for (const [id, a] of relays.answers) {
    if (a.phase !== phase) continue;
    answers++;
    const pop = relays.pops.get(id);
    if (pop === undefined) missing++;
    else samples.push(pop - a.at);
  }
  return {
    phase,
    ratePerSec: rate,
    answers,
    paired: samples.length,
    missing,
    p50Ms: round(percentile(samples, 50), 3),
    p90Ms: round(percentile(samples, 90), 3),
    p99Ms: round(percentile(samples, 99), 3),
    maxMs: round(Math.max(...samples), 3),
    over2Ms: samples.filter((s) => s > GOAL_P99_MS).length,
    relayLoopDelayP99Ms: round(loop.percentile(99) / 1e6, 2),
    relayLoopDelayMaxMs: round(loop.max / 1e6, 2),
    samples,
  };
}

/** Where the time of each measured call went (ms): percentiles per segment, and what the slow ones had. */
interface Breakdown {
  phase: string;
  samples: number;
  /** Relay wrote the chunk → it reached the daemon's JavaScript: wake-up, and the loop busy with other work. */
  amiIn: { p50: number; p99: number; max: number };
  /**
   * → the daemon had parsed and dispatched the whole chunk: every event in it, the AgentConnect's
   * synchronous part (translation, the call handler up to its first await, the journal write).
   */
  dispatch: { p50: number; p99: number; max: number };
  /** → node:http created the pop request: promise continuations (requester, lanes, rate gate, other work's). */
  toRequest: { p50: number; p99: number; max: number };
  /** → its first bytes went to the socket: node:http (and got's request code, before it was replaced). */
  requestToSocket: { p50: number; p99: number; max: number };
  /** → the first bytes reached the HTTP relay. */
  socketOut: { p50: number; p99: number; max: number };
  /** Calls over the goal, and how their time split (mean ms per segment); how many overlapped a GC. */
  over2Ms: {
    count: number;
    amiIn: number;
    dispatch: number;
    toRequest: number;
    requestToSocket: number;
    socketOut: number;
    withGc: number;
    gcMs: number;
  };
  /** The AMI read that completed the AgentConnect, and its bytes after it: all dispatched before the pop. */
  chunkBytes: { p50: number; p99: number };
  bytesAfter: { p50: number; p99: number };
  /** GC pauses in the daemon during the phase. */
  gcPauses: number;
  gcPausesP99Ms: number;
  gcPausesMaxMs: number;
}

function breakdown(
  relays: Relays,
  phase: string,
  connection: number,
  marks: DaemonMarks,
  window: { from: number; to: number },
): Breakdown | undefined {
  const bytesAfter: number[] = [];
  const chunkBytes: number[] = [];
  const rows: Array<{
    amiIn: number;
    dispatch: number;
    toRequest: number;
    requestToSocket: number;
    socketOut: number;
    total: number;
    gc: number;
  }> = [];
  for (const [id, a] of relays.answers) {
    if (a.phase !== phase || a.connection !== connection) continue;
    const pop = relays.pops.get(id);
    const chunk = chunkArrival(marks.amiChunks, a.endOffset);
    const requestAt = marks.requestCreated[id];
    const writtenAt = marks.written[id];
    if (pop === undefined || chunk === undefined || requestAt === undefined || writtenAt === undefined)
      continue;
    const inAt = chunk.at;
    bytesAfter.push(chunk.end - a.endOffset);
    chunkBytes.push(chunk.end - chunk.start);
    const t0 = toMono(a.at);
    const t1 = toMono(pop);
    rows.push({
      amiIn: inAt - t0,
      dispatch: chunk.dispatchedAt - inAt,
      toRequest: requestAt - chunk.dispatchedAt,
      requestToSocket: writtenAt - requestAt,
      socketOut: t1 - writtenAt,
      total: t1 - t0,
      gc: gcWithin(marks.gc, t0, t1),
    });
  }
  if (rows.length === 0) return undefined;
  const stat = (k: 'amiIn' | 'dispatch' | 'toRequest' | 'requestToSocket' | 'socketOut') => {
    const v = rows.map((r) => r[k]);
    return {
      p50: round(percentile(v, 50), 3),
      p99: round(percentile(v, 99), 3),
      max: round(Math.max(...v), 3),
    };
  };
  const slow = rows.filter((r) => r.total > GOAL_P99_MS);
  const meanOf = (k: 'amiIn' | 'dispatch' | 'toRequest' | 'requestToSocket' | 'socketOut' | 'gc') =>
    slow.length === 0 ? 0 : round(slow.reduce((sum, r) => sum + r[k], 0) / slow.length, 3);
  const pauses: number[] = [];
  for (let i = 0; i < marks.gc.length; i += 2)
    if (marks.gc[i]! >= window.from && marks.gc[i]! <= window.to) pauses.push(marks.gc[i + 1]!);
  return {
    phase,
    samples: rows.length,
    amiIn: stat('amiIn'),
    dispatch: stat('dispatch'),
    toRequest: stat('toRequest'),
    requestToSocket: stat('requestToSocket'),
    socketOut: stat('socketOut'),
    over2Ms: {
      count: slow.length,
      amiIn: meanOf('amiIn'),
      dispatch: meanOf('dispatch'),
      toRequest: meanOf('toRequest'),
      requestToSocket: meanOf('requestToSocket'),
      socketOut: meanOf('socketOut'),
      withGc: slow.filter((r) => r.gc > 0).length,
      gcMs: meanOf('gc'),
    },
    chunkBytes: { p50: percentile(chunkBytes, 50), p99: percentile(chunkBytes, 99) },
    bytesAfter: { p50: percentile(bytesAfter, 50), p99: percentile(bytesAfter, 99) },
    gcPauses: pauses.length,
    gcPausesP99Ms: round(percentile(pauses, 99), 3),
    gcPausesMaxMs: round(Math.max(...pauses), 3),
  };
}

async function main(): Promise<void> {
  const started = performance.now();
  const lowSeconds = numberArg('low-seconds', 20);
  const highSeconds = numberArg('high-seconds', 10);
  const floorSeconds = numberArg('floor-seconds', 8);
  const cpuProf = process.argv.includes('--cpu-prof');
  // The measuring instrument first (root only; otherwise everything runs at the same priority).
  const relayNice = setNice(-10);
  process.stdout.write('daemon overhead at answer: AgentConnect in → first byte of the pop request out\n');
  process.stdout.write(`machine: ${describeMachine()}\n`);

  const sims = fork(SELF, ['--role=sims'], { stdio: 'inherit' });
  const simsReady = await request<Msg & { pbxPort: number; zendeskPort: number; nice: number }>(
    sims,
    { type: 'none' },
    'ready',
  );
  const relays = await startRelays(simsReady.pbxPort, simsReady.zendeskPort);
  const profDir = cpuProf ? mkdtempSync(path.join(tmpdir(), 'answer-overhead-prof-')) : undefined;
  const loop = monitorEventLoopDelay({ resolution: 1 });
  const results: Array<PhaseFigures & { samples: number[] }> = [];
  const problems: Record<string, number> = {};
  const breakdowns: Breakdown[] = [];
  const logLines: Record<string, number> = {};

  /** Starts a daemon child; `journalDir` overrides the state directory (tmpfs variant). */
  let daemons = 0;
  /** The OAuth token file the last daemon left (its refresh token rotated). */
  let oauthTokens: string | undefined;
  async function daemon(journalDir?: string) {
    // The relay numbers AMI connections in order: one per daemon, and this one's is next.
    const connection = daemons++;
    if (journalDir && oauthTokens)
      writeFileSync(path.join(journalDir, 'main.oauth.json'), oauthTokens, { mode: 0o600 });
    const measured: Array<{ phase: string; from: number; to: number }> = [];
    const child = fork(
      SELF,
      [
        '--role=daemon',
        `--ami=${relays.amiPort}`,
        `--http=${relays.httpPort}`,
        ...(journalDir ? [`--state=${journalDir}`] : []),
      ],
      { stdio: 'inherit', execArgv: profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [] },
    );
    await request(child, { type: 'none' }, 'ready');
    const cpu = () => request<Msg & { us: number; at: number }>(child, { type: 'cpu' }, 'cpu');
    return {
      async phase(label: string, rate: number, seconds: number, isMeasured: boolean) {
        relays.phase = isMeasured ? label : `warm-up ${label}`;
        loop.reset();
        loop.enable();
        const before = await cpu();
        const from = monoNow();
        await request(sims, { type: 'phase', rate, seconds }, 'phase-done');
        const to = monoNow();
        const after = await cpu();
        loop.disable();
        if (!isMeasured) return;
        measured.push({ phase: label, from, to });
        const f = figures(relays, label, rate, loop);
        f.daemonCpuPercent = round(((after.us - before.us) / 1000 / (after.at - before.at)) * 100, 1);
        results.push(f);
      },
      async stop() {
        relays.phase = 'between';
        const stopped = await request<
          Msg & {
            logCounts: Record<string, number>;
            problems: Record<string, number>;
            marks: DaemonMarks;
            oauthTokens?: string;
          }
        >(child, { type: 'stop' }, 'stopped');
        oauthTokens = stopped.oauthTokens;
        for (const m of measured) {
          const b = breakdown(relays, m.phase, connection, stopped.marks, m);
          if (b) breakdowns.push(b);
        }
        for (const [k, n] of Object.entries(stopped.problems)) problems[k] = (problems[k] ?? 0) + n;
        for (const [k, n] of Object.entries(stopped.logCounts)) logLines[k] = (logLines[k] ?? 0) + n;
      },
    };
  }

  // The journal on disk, as in production (/var/lib/cti-bridge).
  const onDisk = await daemon();
  // 200 calls in progress for the whole run; their callers' lookups fill the cache.
  await request(sims, { type: 'setup' }, 'setup-done');
  const settle = performance.now();
  while (relays.popRequests < LONG_CALLS / 2 && performance.now() - settle < 20_000) await sleep(50);
  await sleep(1_000);
  await onDisk.phase('10/s', 10, lowSeconds, true);
  await onDisk.phase('50/s', 50, highSeconds, true);
  await onDisk.stop();

  // The same with the journal on tmpfs: what the fsync'd journal write costs at the answer.
  const shm = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/answer-overhead-') : undefined;
  if (shm) {
    const onTmpfs = await daemon(shm);
    // A new daemon: the resync tickets the talking calls, the warm-up caches every caller again.
    await onTmpfs.phase('warm-up', 50, 4, false);
    await onTmpfs.phase('50/s, journal on tmpfs', 50, highSeconds, true);
    await onTmpfs.stop();
    rmSync(shm, { recursive: true, force: true });
  }

  // The floor: the same load, the same relays, a client that does nothing but react.
  const nullClient = fork(SELF, ['--role=null', `--ami=${relays.amiPort}`, `--http=${relays.httpPort}`], {
    stdio: 'inherit',
  });
  await request(nullClient, { type: 'none' }, 'ready');
  await sleep(300);
  relays.phase = 'floor';
  loop.reset();
  loop.enable();
  await request(sims, { type: 'phase', rate: 50, seconds: floorSeconds }, 'phase-done');
  loop.disable();
  const floor = figures(relays, 'floor', 50, loop);
  await request(nullClient, { type: 'stop' }, 'stopped');
  sims.send({ type: 'stop' });
  await new Promise((resolve) => sims.once('exit', resolve));
  relays.close();

  process.stdout.write(
    `\n${LONG_CALLS} calls in progress besides the measured ones (${LONG_CALLS / 2} talking, ${LONG_CALLS / 2} waiting); measured calls ring ${RING_MS} ms, talk ${TALK_MS / 1000} s, wrap-up ${WRAP_UP_SECONDS} s; callers cached\n\n`,
  );
  const row = (label: string, f: PhaseFigures, note?: string) => [
    label,
    String(f.paired),
    String(f.missing),
    f.p50Ms.toFixed(2),
    f.p90Ms.toFixed(2),
    f.p99Ms.toFixed(2),
    f.maxMs.toFixed(2),
    String(f.over2Ms),
    note ?? `p99 < ${GOAL_P99_MS} ms: ${f.p99Ms < GOAL_P99_MS ? 'met' : 'MISSED'}`,
    f.daemonCpuPercent === undefined ? '—' : `${f.daemonCpuPercent} %`,
    `${f.relayLoopDelayP99Ms}/${f.relayLoopDelayMaxMs}`,
  ];
  printTable(
    [
      { header: 'answered calls/s' },
      { header: 'samples', align: 'right' },
      { header: 'no pop', align: 'right' },
      { header: 'p50 ms', align: 'right' },
      { header: 'p90 ms', align: 'right' },
      { header: 'p99 ms', align: 'right' },
      { header: 'max ms', align: 'right' },
      { header: '> 2 ms', align: 'right' },
      { header: 'goal' },
      { header: 'daemon CPU', align: 'right' },
      { header: 'relay loop delay p99/max ms', align: 'right' },
    ],
    [
      ...results.map((f) =>
        row(`daemon, ${f.phase}`, f, f.phase.includes('tmpfs') ? '(diagnosis: no fsync)' : undefined),
      ),
      row('floor (react-only client), 50/s', floor, '(measurement floor)'),
    ],
  );
  if (breakdowns.length > 0) {
    process.stdout.write(
      '\nwhere the time went (ms, one machine-wide clock): relay wrote the AgentConnect → daemon JS got its chunk (amiIn) → the chunk was parsed and dispatched (dispatch) → node:http created the pop request (toRequest) → its bytes went to the socket (requestToSocket) → they reached the relay (socketOut)\n\n',
    );
    const seg = (x: { p50: number; p99: number }) => `${x.p50.toFixed(2)} / ${x.p99.toFixed(2)}`;
    printTable(
      [
        { header: 'daemon phase' },
        { header: 'amiIn p50/p99', align: 'right' },
        { header: 'dispatch p50/p99', align: 'right' },
        { header: 'toRequest p50/p99', align: 'right' },
        { header: 'requestToSocket p50/p99', align: 'right' },
        { header: 'socketOut p50/p99', align: 'right' },
        { header: '> 2 ms: n, mean of each', align: 'right' },
        { header: 'of them with GC (mean GC ms)', align: 'right' },
        { header: 'GC pauses n, p99/max ms', align: 'right' },
        { header: 'AMI read bytes p50/p99, after it p50/p99', align: 'right' },
      ],
      breakdowns.map((b) => [
        b.phase,
        seg(b.amiIn),
        seg(b.dispatch),
        seg(b.toRequest),
        seg(b.requestToSocket),
        seg(b.socketOut),
        `${b.over2Ms.count}: ${[b.over2Ms.amiIn, b.over2Ms.dispatch, b.over2Ms.toRequest, b.over2Ms.requestToSocket, b.over2Ms.socketOut].map((v) => v.toFixed(2)).join('/')}`,
        `${b.over2Ms.withGc} (${b.over2Ms.gcMs.toFixed(2)})`,
        b.gcPauses === 0 ? '0' : `${b.gcPauses}, ${b.gcPausesP99Ms.toFixed(2)}/${b.gcPausesMaxMs.toFixed(2)}`,
        `${b.chunkBytes.p50}/${b.chunkBytes.p99}, ${b.bytesAfter.p50}/${b.bytesAfter.p99}`,
      ]),
    );
  }
  process.stdout.write(
    `\nrelays saw ${relays.popRequests} pop requests and ${relays.otherRequests} others (${relays.unparsed} unparsed); daemon log lines: ${JSON.stringify(logLines)}\n`,
  );
  for (const [msg, n] of Object.entries(problems)) process.stdout.write(`  ${n} × ${msg}\n`);
  const journal = journalAlone();
  process.stdout.write(
    `CallJournal.answered() alone on the same disk (synchronous, before the pop request): p50 ${journal.p50Ms} ms, p99 ${journal.p99Ms} ms, max ${journal.maxMs} ms over ${journal.writes} writes\n`,
  );
  process.stdout.write(`nice: relays ${relayNice}, simulators ${simsReady.nice}, daemon 0\n`);
  if (profDir) process.stdout.write(`daemon CPU profiles: ${profDir}\n`);

  const durationS = round((performance.now() - started) / 1000, 1);
  const file = writeResults('answer-overhead', {
    bench: 'answer-overhead',
    date: new Date().toISOString(),
    durationS,
    machine: machineFacts(),
    config: {
      longCalls: LONG_CALLS,
      customers: CUSTOMERS,
      ringMs: RING_MS,
      talkMs: TALK_MS,
      wrapUpSeconds: WRAP_UP_SECONDS,
      phases: [
        { rate: 10, seconds: lowSeconds },
        { rate: 50, seconds: highSeconds },
        { journal: 'tmpfs', rate: 50, seconds: highSeconds },
        { floor: true, rate: 50, seconds: floorSeconds },
      ],
      method:
        'three processes: relays (this), simulators (fake PBX + fake Zendesk), daemon (Daemon + CallIntegration, journal on disk, JSON logs at info into a sink). t0 = performance.now() in the AMI relay just before writing the chunk that completes an AgentConnect to the daemon; t1 = performance.now() when the first chunk of the pop request (POST /api/v2/channels/voice/tickets with external_id cti-bridge:<Linkedid>) reaches the HTTP relay. Floor: a client that writes a prepared request on AgentConnect, same relays and load.',
    },
    results: results.map(({ samples: _s, ...f }) => f),
    floor: (({ samples: _s, ...f }) => f)(floor),
    goalP99Ms: GOAL_P99_MS,
    relays: {
      popRequests: relays.popRequests,
      otherRequests: relays.otherRequests,
      unparsed: relays.unparsed,
    },
    daemonLogLines: logLines,
    breakdown: breakdowns,
    daemonProblems: problems,
    journalAnsweredAlone: journal,
    nice: { relays: relayNice, simulators: simsReady.nice, daemon: 0 },
  });
  process.stdout.write(`\n${file} (${durationS} s)\n`);
}

const role = /^--role=(\w+)$/.exec(process.argv[2] ?? '')?.[1];
const portArg = (name: string) => numberArg(name, 0);
if (role === 'sims') await simulators();
else if (role === 'daemon')
  await daemonChild(
    portArg('ami'),
    portArg('http'),
    process.argv.find((a) => a.startsWith('--state='))?.slice('--state='.length),
  );
else if (role === 'null') await nullChild(portArg('ami'), portArg('http'));
else await main();
