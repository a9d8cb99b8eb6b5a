/**
 * Issue 6, benchmark 5: the rate budget under overload. The fake Zendesk allows 200 requests a
 * minute; calls arrive at twice what that budget serves; in one run 5,000 background jobs
 * (backfill reads, phone identities, uploads) are queued at the start, in the other none. Goals:
 * no 429 after the first minute, pop latency p99 within ±10 % of the run without background jobs,
 * and no background request sent while a pop waits.
 *
 * What can be measured in a minute of wall time: Zendesk's budget is per minute, and "after the
 * first minute" needs several. Time is compressed: the fake Zendesk's clock (rate windows,
 * Retry-After, ratelimit-reset) and the client's rate clock (RateGate, retry waits) run SPEED
 * times faster than the wall clock, and every timer of the run (arrivals, rings, talk, wrap-up,
 * answer wait, retries, the fake's 80 ms latency) is divided by SPEED. Latencies are reported in
 * simulated milliseconds, so the client's own processing counts SPEED times (a 2 ms request shows
 * as ~30 ms at SPEED 15) — the same in both runs, which are compared with each other.
 *
 * The pieces are the daemon's (CallHandler, CallerLookup, ZendeskHelpdesk, ZendeskHttp with its
 * lanes and RateGate), driven with call events directly (no AMI: this is about the Zendesk side),
 * against the fake Zendesk over HTTP in the same process. Each run is a fresh child process.
 *
 * The machine's own noise (event-loop lag from other processes, SPEED times larger in simulated
 * time) moves a single p99 by tens of percent: `--runs=N` repeats the pair N times and judges the
 * goals on the medians.
 *
 *   node bench/rate-budget.ts [--minutes=4] [--speed=15] [--jobs=5000] [--calls-per-min=N] [--runs=1]
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import Keyv from 'keyv';
import { CallHandler } from '../src/calls/call-handler.ts';
import { CallerLookup } from '../src/calls/caller-lookup.ts';
import type { CallEvent } from '../src/calls/events.ts';
import { silentLogger } from '../src/log/logger.ts';
import { seededRandom } from '../src/sim/pbx/prng.ts';
import { type Clock, type FakeZendesk, startFakeZendesk } from '../src/sim/zendesk/index.ts';
import { Secret } from '../src/util/secret.ts';
import { apiTokenAuth } from '../src/zendesk/auth.ts';
import type { RateClock } from '../src/zendesk/rate-gate.ts';
import { ZendeskHelpdesk } from '../src/zendesk/zendesk-helpdesk.ts';
import { ZendeskHttp } from '../src/zendesk/zendesk-http.ts';
import { BENCH_ZENDESK_CREDENTIALS, customerNumber, TEST_SECRETS } from './lib/bridge.ts';
import { describeMachine, machineFacts } from './lib/machine.ts';
import { writeResults } from './lib/results.ts';
import { mean, median, numberArg, percentile, round } from './lib/stats.ts';
import { printTable } from './lib/table.ts';

const SELF = fileURLToPath(import.meta.url);
const BUDGET = 200;
const LATENCY_SIM_MS = 80;
const REGULARS = 300;
const TEMPLATES = {
  subject: 'Call from {callerNumber}',
  comment: 'Inbound call from {callerName} <{callerNumber}> in queue {queue}, answered by {agent} at {time}.',
  tags: ['cti-bridge', 'phone'],
};

type Lane = 'pop' | 'lookup' | 'background';
function laneOf(endpoint: string): Lane {
  if (endpoint === 'POST /api/v2/channels/voice/tickets' || endpoint === 'POST /api/v2/users') return 'pop';
  if (endpoint === 'GET /api/v2/search') return 'lookup';
  return 'background';
}

interface RunOptions {
  /** Per-minute budget of the fake; 0: none (the calibration). */
  budget: number;
  speed: number;
  minutes: number;
  callsPerMin: number;
  jobs: number;
  seed: number;
}

interface RunResult {
  background: boolean;
  calls: number;
  answered: number;
  popped: number;
  unpopped: number;
  popMs: { p50: number; p95: number; p99: number; max: number; mean: number };
  requests: number;
  requestsPerCall: number;
  byLane: Record<Lane, number>;
  callRequests: number;
  status429: number;
  status429AfterFirstMinute: number;
  backgroundSentWhilePopWaited: number;
  jobsDone: number;
  jobsFailed: number;
  /** Why jobs failed: HTTP status, or `cleared` (still queued when the run ended). */
  jobFailures: Record<string, number>;
  /** Known callers the cache did not know: tickets, and those that got the default user (lookup too late). */
  firstTimeKnown: { answered: number; defaultRequester: number };
  /** How late the run's event loop was (wall ms): the machine's share in the latencies. */
  loopLagMs: { p99: number; max: number };
  perMinute: Array<{
    minute: number;
    pop: number;
    lookup: number;
    background: number;
    status429: number;
    pops: number;
    popP99Ms: number;
  }>;
}

// ---------------------------------------------------------------------------------------------
// One run, in its own process.

/**
 * Simulated time: stands at a minute boundary until `start()`, then runs `speed` times faster than
 * the wall clock. Started when the calls begin, so that the set-up (seeding users, queueing 5,000
 * jobs: a few hundred wall milliseconds, seconds of simulated time) does not shift the calls
 * against the rate windows differently in the two runs.
 */
function compressedClock(speed: number): Clock & RateClock & { start(): void } {
  const simStart = Date.parse('2026-11-23T09:00:00.000Z');
  let wallStart: number | undefined;
  return {
    now: () =>
      wallStart === undefined ? simStart : Math.floor(simStart + (performance.now() - wallStart) * speed),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms / speed)),
    start: () => {
      wallStart = performance.now();
    },
  };
}

async function runOnce(o: RunOptions, background: boolean): Promise<RunResult> {
  // Every wall millisecond the loop is late counts `speed` times in simulated latency.
  const lag = monitorEventLoopDelay({ resolution: 5 });
  lag.enable();
  const speed = o.speed;
  const clock = compressedClock(speed);
  const zd: FakeZendesk = await startFakeZendesk({
    clock,
    credentials: BENCH_ZENDESK_CREDENTIALS,
    rateLimitPerMinute: o.budget > 0 ? o.budget : 1e9,
    latencyMs: o.budget > 0 ? LATENCY_SIM_MS / speed : 0,
    searchLagMs: 0,
  });
  const calls = Math.round(o.callsPerMin * o.minutes);
  const regulars: Array<{ id: number; name: string; e164: string }> = [];
  for (let i = 0; i < REGULARS; i++) {
    const e164 = customerNumber('51', i);
    const u = zd.addUser({ name: `Regular ${i}`, role: 'end-user', phone: e164 });
    regulars.push({ id: u.id, name: u.name, e164 });
  }
  const newKnown: string[] = [];
  for (let i = 0; i < Math.ceil(calls * 0.25) + 10; i++) {
    const e164 = customerNumber('52', i);
    zd.addUser({ name: `New ${i}`, role: 'end-user', phone: e164 });
    newKnown.push(e164);
  }
  const logger = silentLogger();
  const http = new ZendeskHttp({
    baseUrl: zd.url,
    auth: apiTokenAuth('admin@example.com', new Secret(TEST_SECRETS.zendeskApiToken, 'bench')),
    logger,
    clock,
  });
  const helpdesk = new ZendeskHelpdesk({ http, talkPartnerEdition: true, logger });
  const lookup = new CallerLookup({
    helpdesk,
    cache: new Keyv({ throwOnErrors: true }) as never,
    positiveTtlMs: 86_400_000,
    negativeTtlMs: 300_000,
    logger,
  });
  // Repeat callers: in the cache already, as after earlier calls.
  for (const r of regulars) await lookup.remember(r.e164, r);
  const anna = zd.state.userByEmail('anna.agent@example.com')!.id;
  const defaultUser = zd.state.userByEmail('unknown.caller@example.com')!.id;
  const answeredAt = new Map<string, number>();
  const handler = new CallHandler({
    helpdesk,
    lookup,
    directory: {
      agentFor: () => anna,
      groupFor: () => undefined,
      defaultUserId: () => defaultUser,
      isProtectedUser: (id) => id === anna || id === defaultUser,
    },
    queues: new Set(['support']),
    defaultCountry: 'DE',
    strategy: 'defaultUser',
    answerWaitMs: 1_500 / speed,
    wrapUpSeconds: Math.max(0, Math.round(30 / speed)),
    templates: TEMPLATES,
    logger,
    now: () => clock.now(),
    retry: { firstMs: 2_000 / speed, maxMs: 300_000 / speed },
  });

  // Background work: queued at once, through the same client and lanes.
  let jobsDone = 0;
  let jobsFailed = 0;
  const jobFailures: Record<string, number> = {};
  const jobs: Promise<unknown>[] = [];
  const dir = mkdtempSync(path.join(tmpdir(), 'rate-budget-'));
  if (background) {
    const file = path.join(dir, 'recording.wav');
    writeFileSync(file, Buffer.alloc(16 * 1024, 1));
    for (let j = 0; j < o.jobs; j++) {
      const user = regulars[j % regulars.length]!;
      const job =
        j % 3 === 0
          ? helpdesk.getUser(user.id)
          : j % 3 === 1
            ? helpdesk.addPhoneIdentity(user.id, customerNumber('58', j))
            : helpdesk.uploadFile({
                path: file,
                name: `call-${j}.wav`,
                contentType: 'audio/wav',
                size: 16 * 1024,
              });
      jobs.push(
        job.then(
          () => jobsDone++,
          (error: { status?: number; name?: string }) => {
            jobsFailed++;
            const why = error.status
              ? `HTTP ${error.status}`
              : error.name === 'AbortError'
                ? 'cleared'
                : 'other';
            jobFailures[why] = (jobFailures[why] ?? 0) + 1;
          },
        ),
      );
    }
  }

  // The calls: seeded arrivals (exponential gaps), ring 3–15 s, talk 30–240 s (simulated);
  // 70 % repeat callers, 20 % known callers calling for the first time, 5 % unknown numbers,
  // 5 % withheld.
  const random = seededRandom(o.seed);
  clock.start();
  const wall = (simMs: number) => simMs / speed;
  const timers = new Set<NodeJS.Timeout>();
  const at = (simMs: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, wall(simMs));
    timers.add(t);
  };
  const send = (event: CallEvent) => handler.handle(event);
  let nextNew = 0;
  let arrival = 0;
  /** Calls from numbers Zendesk knows and the cache does not: their requester needs a lookup. */
  const firstTimeKnown = new Set<string>();
  const meanGap = 60_000 / o.callsPerMin;
  for (let i = 0; i < calls; i++) {
    const r = random();
    const num =
      r < 0.7
        ? regulars[Math.floor(random() * regulars.length)]!.e164
        : r < 0.9
          ? newKnown[nextNew++]!
          : r < 0.95
            ? customerNumber('59', i)
            : 'anonymous';
    const callId = `1795400000.${i}`;
    if (r >= 0.7 && r < 0.9) firstTimeKnown.add(callId);
    const ring = 3_000 + random() * 12_000;
    const talk = 30_000 + random() * 210_000;
    const caller = { num, name: 'Caller' };
    const agent = { interface: 'Local/101@agents', name: 'Anna Agent', extension: '101' };
    at(arrival, () => send({ type: 'CallQueued', callId, queue: 'support', caller, at: clock.now() }));
    at(arrival + ring, () => {
      answeredAt.set(callId, clock.now());
      send({
        type: 'CallAnswered',
        callId,
        queue: 'support',
        caller,
        agent,
        channel: `Local/support-${i};2`,
        holdSec: Math.round(ring / 1000),
        at: clock.now(),
      });
    });
    at(arrival + ring + talk, () =>
      send({
        type: 'CallEnded',
        callId,
        queue: 'support',
        reason: 'caller',
        holdSec: Math.round(ring / 1000),
        talkSec: Math.round(talk / 1000),
        at: clock.now(),
      }),
    );
    arrival += -Math.log(1 - random()) * meanGap;
  }
  const runMs = o.minutes * 60_000;
  // The run: the planned minutes, then up to one more for the last pops.
  await new Promise((resolve) => setTimeout(resolve, wall(runMs)));
  const popTicket = () => new Set(zd.pops.filter((p) => p.kind === 'ticket').map((p) => p.id));
  const deadline = performance.now() + wall(60_000);
  while (performance.now() < deadline) {
    const popped = popTicket().size;
    if (popped >= answeredAt.size) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  if (o.budget === 0) {
    // The calibration counts whole calls: every wrap-up included.
    const drained = performance.now() + 30_000;
    while ((timers.size > 0 || handler.activeCalls > 0) && performance.now() < drained)
      await new Promise((resolve) => setTimeout(resolve, 20));
  }
  for (const t of timers) clearTimeout(t);
  const endedAt = clock.now();
  await handler.stop(Date.now());
  http.lanes.clear();
  await Promise.allSettled(jobs);
  await zd.close();
  rmSync(dir, { recursive: true, force: true });

  lag.disable();
  return {
    ...measure(zd, answeredAt, calls, background, jobsDone, jobsFailed, endedAt),
    firstTimeKnown: requestersOf(zd, answeredAt, firstTimeKnown, defaultUser),
    jobFailures,
    loopLagMs: { p99: round(lag.percentile(99) / 1e6, 1), max: round(lag.max / 1e6, 1) },
  };
}

/** Answered calls from known first-time callers, and how many of their tickets went to the default user. */
function requestersOf(
  zd: FakeZendesk,
  answeredAt: Map<string, number>,
  firstTimeKnown: Set<string>,
  defaultUser: number,
): RunResult['firstTimeKnown'] {
  let answered = 0;
  let defaultRequester = 0;
  for (const t of zd.state.tickets()) {
    const callId = t.external_id?.startsWith('cti-bridge:') ? t.external_id.slice(11) : undefined;
    if (callId === undefined || !firstTimeKnown.has(callId) || !answeredAt.has(callId)) continue;
    answered++;
    if (t.requester_id === defaultUser) defaultRequester++;
  }
  return { answered, defaultRequester };
}

function measure(
  zd: FakeZendesk,
  answeredAt: Map<string, number>,
  calls: number,
  background: boolean,
  jobsDone: number,
  jobsFailed: number,
  endedAt: number,
): Omit<RunResult, 'jobFailures' | 'firstTimeKnown' | 'loopLagMs'> {
  const start = Date.parse('2026-11-23T09:00:00.000Z');
  const ticketCall = new Map<number, string>();
  for (const t of zd.state.tickets())
    if (t.external_id?.startsWith('cti-bridge:')) ticketCall.set(t.id, t.external_id.slice(11));
  const poppedAt = new Map<string, number>();
  for (const p of zd.pops) {
    const callId = p.kind === 'ticket' ? ticketCall.get(p.id) : undefined;
    if (callId && !poppedAt.has(callId)) poppedAt.set(callId, p.at);
  }
  const latencies: Array<{ answered: number; ms: number }> = [];
  for (const [callId, answered] of answeredAt) {
    const popped = poppedAt.get(callId);
    if (popped !== undefined) latencies.push({ answered, ms: popped - answered });
  }
  const ms = latencies.map((l) => l.ms);
  // Requests the client sent (the fake's log: arrival time in simulated ms).
  const log = zd.requests.filter((r) => r.at <= endedAt);
  const byLane: Record<Lane, number> = { pop: 0, lookup: 0, background: 0 };
  for (const r of log) byLane[laneOf(r.endpoint)]++;
  const minutes = Math.ceil((endedAt - start) / 60_000);
  const perMinute: RunResult['perMinute'] = [];
  for (let m = 0; m < minutes; m++) {
    const inMinute = log.filter((r) => Math.floor((r.at - start) / 60_000) === m);
    const popsIn = latencies.filter((l) => Math.floor((l.answered - start) / 60_000) === m).map((l) => l.ms);
    perMinute.push({
      minute: m + 1,
      pop: inMinute.filter((r) => laneOf(r.endpoint) === 'pop').length,
      lookup: inMinute.filter((r) => laneOf(r.endpoint) === 'lookup').length,
      background: inMinute.filter((r) => laneOf(r.endpoint) === 'background').length,
      status429: inMinute.filter((r) => r.status === 429).length,
      pops: popsIn.length,
      popP99Ms: percentile(popsIn, 99),
    });
  }
  // A pop waits from its answer until its request reaches Zendesk. Background requests reaching
  // Zendesk while some pop has waited more than 100 ms (simulated) went ahead of it.
  const popArrival = new Map<string, number>();
  for (const r of log) {
    if (r.endpoint !== 'POST /api/v2/channels/voice/tickets') continue;
    const ext = (r.body as { ticket?: { external_id?: string } })?.ticket?.external_id ?? '';
    const callId = ext.slice(11);
    if (!popArrival.has(callId)) popArrival.set(callId, r.at);
  }
  const waits = [...answeredAt].map(([callId, a]) => [a + 100, popArrival.get(callId) ?? Infinity] as const);
  let ahead = 0;
  for (const r of log) {
    if (laneOf(r.endpoint) !== 'background') continue;
    if (waits.some(([from, to]) => from < r.at && to > r.at)) ahead++;
  }
  const calls429 = log.filter((r) => r.status === 429);
  if (process.env.RATE_DEBUG)
    for (const r of calls429) {
      const sec = ((r.at - start) / 1000).toFixed(2);
      const before = log.filter((x) => x.at > r.at - 3000 && x.at <= r.at);
      process.stderr.write(
        `429 at ${sec}s ${r.endpoint}; in the 3 s before: ${before.length} (${before.filter((x) => x.status === 429).length} 429s)\n`,
      );
    }
  const callRequests = log.filter(
    (r) => laneOf(r.endpoint) !== 'background' || r.endpoint === 'PUT /api/v2/tickets/{id}',
  ).length;
  return {
    background,
    calls,
    answered: answeredAt.size,
    popped: latencies.length,
    unpopped: answeredAt.size - latencies.length,
    popMs: {
      p50: percentile(ms, 50),
      p95: percentile(ms, 95),
      p99: percentile(ms, 99),
      max: Math.max(...ms),
      mean: round(mean(ms)),
    },
    requests: log.length,
    requestsPerCall: round(callRequests / Math.max(1, answeredAt.size), 3),
    byLane,
    callRequests,
    status429: calls429.length,
    status429AfterFirstMinute: calls429.filter((r) => r.at - start >= 60_000).length,
    backgroundSentWhilePopWaited: ahead,
    jobsDone,
    jobsFailed,
    perMinute,
  };
}

async function worker(): Promise<void> {
  const o = JSON.parse(process.argv[3]!) as RunOptions & { background: boolean };
  const result = await runOnce(o, o.background);
  process.send!(result, () => process.exit(0));
}

// ---------------------------------------------------------------------------------------------

function child(options: RunOptions & { background: boolean }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const c = fork(SELF, ['--role=worker', JSON.stringify(options)], { stdio: 'inherit' });
    c.once('message', (m) => resolve(m as RunResult));
    c.once('exit', (code) => {
      if (code !== 0) reject(new Error(`run exited with ${code}`));
    });
  });
}

async function main(): Promise<void> {
  const started = performance.now();
  const minutes = numberArg('minutes', 4);
  const speed = numberArg('speed', 15);
  const jobs = numberArg('jobs', 5_000);
  const seed = numberArg('seed', 6005);
  const runs = Math.max(1, numberArg('runs', 1));
  process.stdout.write(
    `rate budget under overload: ${BUDGET}/min, ${minutes} simulated minutes at ${speed}× speed, ${jobs} background jobs, ${runs} run(s) of each\n`,
  );
  process.stdout.write(`machine: ${describeMachine()}\n`);

  // What the budget serves: the mix's requests per call, measured on this code without a budget.
  const calibration = await child({
    budget: 0,
    speed: 60,
    minutes: 1,
    callsPerMin: 300,
    jobs: 0,
    seed,
    background: false,
  });
  const perCall = calibration.requestsPerCall;
  const callsPerMin = numberArg('calls-per-min', Math.round((2 * BUDGET) / perCall));
  const essential = (calibration.byLane.pop + calibration.byLane.lookup) / calibration.answered;
  process.stdout.write(
    `calibration: ${perCall} requests per call for this mix → the budget serves ${round(BUDGET / perCall, 1)} calls/min; calls arrive at ${callsPerMin}/min\n`,
  );
  process.stdout.write(
    `  of which pops and lookups: ${round(essential, 2)} per call → ${Math.round(essential * callsPerMin)}/min against the budget of ${BUDGET}/min\n`,
  );

  const options: RunOptions = { budget: BUDGET, speed, minutes, callsPerMin, jobs, seed };
  const pairs: Array<{ without: RunResult; withJobs: RunResult }> = [];
  for (let run = 0; run < runs; run++) {
    const without = await child({ ...options, background: false });
    const withJobs = await child({ ...options, background: true });
    pairs.push({ without, withJobs });
  }
  const { without, withJobs } = pairs[0]!;

  process.stdout.write(runs > 1 ? '\nrun 1:\n' : '\n');
  printTable(
    [
      { header: 'run' },
      { header: 'answered', align: 'right' },
      { header: 'popped', align: 'right' },
      { header: 'pop p50 ms', align: 'right' },
      { header: 'p95', align: 'right' },
      { header: 'p99', align: 'right' },
      { header: 'max', align: 'right' },
      { header: '429s', align: 'right' },
      { header: '429s after min 1', align: 'right' },
      { header: 'bg requests', align: 'right' },
      { header: 'bg sent while a pop waited', align: 'right' },
      { header: 'first-time known callers → default user', align: 'right' },
      { header: 'loop lag p99/max ms', align: 'right' },
      { header: 'jobs done/failed', align: 'right' },
    ],
    [without, withJobs].map((r) => [
      r.background ? `with ${jobs} background jobs` : 'without background jobs',
      String(r.answered),
      String(r.popped),
      String(r.popMs.p50),
      String(r.popMs.p95),
      String(r.popMs.p99),
      String(r.popMs.max),
      String(r.status429),
      String(r.status429AfterFirstMinute),
      String(r.byLane.background),
      String(r.backgroundSentWhilePopWaited),
      `${r.firstTimeKnown.defaultRequester}/${r.firstTimeKnown.answered}`,
      `${r.loopLagMs.p99}/${r.loopLagMs.max}`,
      r.background
        ? `${r.jobsDone}/${r.jobsFailed} (${Object.entries(r.jobFailures)
            .map(([k, n]) => `${k} ${n}`)
            .join(', ')})`
        : '—',
    ]),
  );
  process.stdout.write('\nper simulated minute, with background jobs (requests reaching Zendesk by lane):\n');
  printPerMinute(withJobs.perMinute);
  process.stdout.write('\nthe same without background jobs:\n');
  printPerMinute(without.perMinute);
  const perRun = pairs.map(({ without: a, withJobs: b }) => ({
    p99Without: a.popMs.p99,
    p99With: b.popMs.p99,
    ratio: round(b.popMs.p99 / a.popMs.p99, 3),
    status429AfterFirstMinute: a.status429AfterFirstMinute + b.status429AfterFirstMinute,
    backgroundSentWhilePopWaited: b.backgroundSentWhilePopWaited,
    loopLagMaxMs: [a.loopLagMs.max, b.loopLagMs.max] as const,
  }));
  if (runs > 1) {
    process.stdout.write('\neach run (pop p99 in simulated ms):\n');
    printTable(
      [
        { header: 'run', align: 'right' },
        { header: 'p99 without', align: 'right' },
        { header: 'p99 with jobs', align: 'right' },
        { header: 'with / without', align: 'right' },
        { header: '429s after min 1', align: 'right' },
        { header: 'bg sent while a pop waited', align: 'right' },
        { header: 'loop lag max ms (without / with)', align: 'right' },
      ],
      perRun.map((r, i) => [
        String(i + 1),
        String(r.p99Without),
        String(r.p99With),
        `${r.ratio}×`,
        String(r.status429AfterFirstMinute),
        String(r.backgroundSentWhilePopWaited),
        `${r.loopLagMaxMs[0]} / ${r.loopLagMaxMs[1]}`,
      ]),
    );
  }
  // The goals, on the medians of the runs.
  const p99Without = median(perRun.map((r) => r.p99Without));
  const p99With = median(perRun.map((r) => r.p99With));
  const ratio = p99With / p99Without;
  const after429 = Math.max(...perRun.map((r) => r.status429AfterFirstMinute));
  const ahead = Math.max(...perRun.map((r) => r.backgroundSentWhilePopWaited));
  const no429 = after429 === 0;
  const p99Kept = Math.abs(ratio - 1) <= 0.1;
  const neverBehind = ahead === 0;
  process.stdout.write('\n');
  printTable(
    [{ header: 'figure' }, { header: 'value', align: 'right' }, { header: 'goal' }, { header: '' }],
    [
      [
        runs > 1
          ? '429 responses after the first minute, most in a run'
          : '429 responses after the first minute',
        runs > 1
          ? String(after429)
          : `${without.status429AfterFirstMinute} / ${withJobs.status429AfterFirstMinute}`,
        '0 (both runs)',
        no429 ? 'met' : 'MISSED',
      ],
      [
        runs > 1 ? 'median pop p99 with / without background jobs' : 'pop p99 with / without background jobs',
        `${round(ratio, 2)}× (${p99With} / ${p99Without} ms)`,
        '0.9–1.1×',
        p99Kept ? 'met' : 'MISSED',
      ],
      [
        runs > 1
          ? 'background requests sent while a pop waited, most in a run'
          : 'background requests sent while a pop waited',
        String(ahead),
        '0',
        neverBehind ? 'met' : 'MISSED',
      ],
    ],
  );

  const durationS = round((performance.now() - started) / 1000, 1);
  const file = writeResults('rate-budget', {
    bench: 'rate-budget',
    date: new Date().toISOString(),
    durationS,
    machine: machineFacts(),
    config: {
      budgetPerMinute: BUDGET,
      simulatedMinutes: minutes,
      speed,
      zendeskLatencySimMs: LATENCY_SIM_MS,
      backgroundJobs: jobs,
      jobs: 'queued at the start: ⅓ helpdesk.getUser (2 requests), ⅓ helpdesk.addPhoneIdentity, ⅓ helpdesk.uploadFile (16 KiB)',
      mix: '70 % repeat callers (cached), 20 % known callers calling for the first time, 5 % unknown numbers, 5 % withheld; exponential arrivals, ring 3–15 s, talk 30–240 s, wrap-up 30 s (simulated)',
      requestsPerCallCalibrated: perCall,
      popAndLookupRequestsPerCall: round(essential, 3),
      callsPerMinute: callsPerMin,
      seed,
      runs,
      popLatency:
        "from CallAnswered handed to the CallHandler to the fake Zendesk's pop record, simulated ms",
      waitingPop: 'a pop waits from its answer + 100 ms (simulated) until its request reaches Zendesk',
    },
    calibration,
    results: { withoutBackground: without, withBackground: withJobs },
    runs: perRun,
    medians: { popP99WithoutMs: p99Without, popP99WithMs: p99With },
    goals: {
      no429AfterFirstMinute: no429,
      popP99Ratio: round(ratio, 3),
      popP99Kept: p99Kept,
      popsNeverBehindBackground: neverBehind,
    },
  });
  process.stdout.write(`\n${file} (${durationS} s)\n`);
}

if (process.argv[2] === '--role=worker') await worker();
else await main();

/** Requests reaching Zendesk per simulated minute, by lane, and the pops answered in it. */
function printPerMinute(perMinute: RunResult['perMinute']): void {
  printTable(
    [
      { header: 'minute', align: 'right' },
      { header: 'pop', align: 'right' },
      { header: 'lookup', align: 'right' },
      { header: 'background', align: 'right' },
      { header: '429', align: 'right' },
      { header: 'pops (answered that minute)', align: 'right' },
      { header: 'their p99 ms', align: 'right' },
    ],
    perMinute.map((m) => [
      String(m.minute),
      String(m.pop),
      String(m.lookup),
      String(m.background),
      String(m.status429),
      String(m.pops),
      m.pops > 0 ? String(m.popP99Ms) : '—',
    ]),
  );
}
