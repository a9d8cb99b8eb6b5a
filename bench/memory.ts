/**
 * Issue 6, benchmark 6: does the daemon's memory stay flat over many calls? RSS and heap after
 * 100,000 simulated calls (caller lookups, tickets, wrap-up comments, backfills; recordings off)
 * against after 1,000, sampled every 10,000 after a full GC, with a linear fit over the last
 * 50,000.
 *
 * The measured process holds only daemon pieces; whatever simulates Zendesk lives elsewhere or
 * keeps nothing. Two levels, because 100,000 calls through HTTP do not fit in a minute here (some
 * 2.3 Zendesk requests per call, each a few tenths of a millisecond of CPU on both sides):
 *
 * - A, the call domain, 100,000 calls: CallHandler, CallerLookup with the `memory` caller cache
 *   (createCallerCache, production TTLs), CallJournal (SQLite on tmpfs: the fsync is not the
 *   question here), requester resolution, wrap-up and backfill, the production logger at info
 *   into a sink — against LeanHelpdesk (bench/lib), an in-process Zendesk that keeps nothing.
 * - B, the same plus the Zendesk client, 5,000 calls: ZendeskHelpdesk + ZendeskHttp (node:http,
 *   lanes, rate gate) over HTTP to the fake Zendesk, which runs in the parent process.
 *
 * Calls come in batches of 200 (queued, answered, ended, wrapped up), about 200 in progress.
 * Mix: 70 % repeat callers from 2,000 regulars, 20 % known callers calling for the first time,
 * 5 % unknown numbers (every other one re-assigned by its agent: a backfill), 5 % withheld.
 *
 *   node bench/memory.ts [--calls=100000] [--http-calls=5000] [--cache-entries=20000] [--young-unpinned]
 *     [--child-v8-flags="<flags>"]
 */
import { fork } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { createCallerCache, MEMORY_CACHE_ENTRIES } from '../src/calls/cache-store.ts';
import { CallHandler } from '../src/calls/call-handler.ts';
import { CallJournal } from '../src/calls/call-journal.ts';
import { CallerLookup } from '../src/calls/caller-lookup.ts';
import type { CallEvent } from '../src/calls/events.ts';
import type { HelpdeskPort } from '../src/calls/ports.ts';
import { seededRandom } from '../src/sim/pbx/prng.ts';
import { type FakeZendesk, startFakeZendesk } from '../src/sim/zendesk/index.ts';
import { Secret } from '../src/util/secret.ts';
import { apiTokenAuth } from '../src/zendesk/auth.ts';
import { ZendeskHelpdesk } from '../src/zendesk/zendesk-helpdesk.ts';
import { ZendeskHttp } from '../src/zendesk/zendesk-http.ts';
import { BENCH_ZENDESK_CREDENTIALS, benchLogs, customerNumber, TEST_SECRETS } from './lib/bridge.ts';
import { LeanHelpdesk } from './lib/lean-helpdesk.ts';
import { describeMachine, machineFacts } from './lib/machine.ts';
import { writeResults } from './lib/results.ts';
import { linearFit, numberArg, round } from './lib/stats.ts';
import { printTable } from './lib/table.ts';

const SELF = fileURLToPath(import.meta.url);
const MB = 1e6;
const GOAL_GROWTH_MB = 20;
/** "No growth trend": the fitted heap growth over the last half of the run stays below this. */
const TREND_LIMIT_MB = 1;
const BATCH = 200;
/**
 * The young generation at its start-up size. Driven at thousands of calls a second, V8 grows its
 * semi-spaces (33 → 134 MB of new space, all in RSS) for the allocation rate; a daemon at a few
 * calls a second never does. Pinned, RSS shows what the calls leave behind, not the pace of the
 * benchmark. (`--young-unpinned` runs without it.)
 */
const V8_FLAGS_ARG = process.argv.find((a) => a.startsWith('--child-v8-flags='));
/** `--child-v8-flags="--max-semi-space-size=16 --single-threaded-gc"` replaces the flags (experiments). */
const CHILD_V8_FLAGS = V8_FLAGS_ARG
  ? V8_FLAGS_ARG.slice('--child-v8-flags='.length).split(' ').filter(Boolean)
  : process.argv.includes('--young-unpinned')
    ? []
    : ['--max-semi-space-size=16'];
const REGULARS = 2_000;
const BASELINE = 1_000;
/**
 * RSS is also compared from here: until then anonymous RSS grows by a one-time amount that
 * differs from run to run (10–25 MB here), in 256 KB mappings — V8's pages — that V8's heap
 * statistics do not count (bench/README.md, section 6); afterwards it follows the heap.
 */
const WARMED_UP = 20_000;
const TEMPLATES = {
  subject: 'Call from {callerNumber}',
  comment: 'Inbound call from {callerName} <{callerNumber}> in queue {queue}, answered by {agent} at {time}.',
  tags: ['cti-bridge', 'phone'],
};

interface Sample {
  calls: number;
  rssMB: number;
  heapUsedMB: number;
  heapTotalMB: number;
  /** V8's young generation (semi-spaces), part of heapTotal: sized up under a high allocation rate. */
  newSpaceMB: number;
  externalMB: number;
  /**
   * RSS by kind (Linux): anonymous memory (heaps, malloc), file pages (the node binary and
   * libraries as their code is touched), shared memory (tmpfs mappings: SQLite's WAL index).
   */
  rssAnonMB?: number;
  rssFileMB?: number;
  rssShmemMB?: number;
  cacheEntries: number;
  activeCalls: number;
  seconds: number;
}

/** RssAnon/RssFile/RssShmem of /proc/self/status in MB; empty where there is none. */
function rssKinds(): Pick<Sample, 'rssAnonMB' | 'rssFileMB' | 'rssShmemMB'> {
  let status: string;
  try {
    status = readFileSync('/proc/self/status', 'utf8');
  } catch {
    return {};
  }
  const kB = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return {
    rssAnonMB: round((kB('RssAnon') * 1024) / MB, 2),
    rssFileMB: round((kB('RssFile') * 1024) / MB, 2),
    rssShmemMB: round((kB('RssShmem') * 1024) / MB, 2),
  };
}

interface LevelResult {
  level: 'A' | 'B';
  calls: number;
  samples: Sample[];
  /** Heap freed by clearing the caller cache at the end, per entry. */
  cacheBytesPerEntry: number;
  cacheEntriesAtEnd: number;
  counts: Record<string, number>;
  seconds: number;
}

// ---------------------------------------------------------------------------------------------
// Child: the daemon pieces and the calls.

interface Ids {
  agents: [number, number];
  defaultUser: number;
  group: number;
}

async function runLevel(
  level: 'A' | 'B',
  calls: number,
  every: number,
  zendeskUrl?: string,
  ids: Ids = { agents: [2, 3], defaultUser: 9, group: 11 },
  cacheEntries = MEMORY_CACHE_ENTRIES,
): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  const logs = benchLogs('info');
  const logger = logs.logger;
  const reassignTo = 51_000_001;
  let inner: HelpdeskPort;
  let counts: () => Record<string, number>;
  if (level === 'A') {
    const lean = new LeanHelpdesk(reassignTo);
    inner = lean;
    counts = () => ({ ...lean.counts });
  } else {
    const http = new ZendeskHttp({
      baseUrl: zendeskUrl!,
      auth: apiTokenAuth('admin@example.com', new Secret(TEST_SECRETS.zendeskApiToken, 'bench')),
      logger,
    });
    inner = new ZendeskHelpdesk({ http, talkPartnerEdition: true, logger });
    counts = () => ({});
  }
  // From outside the handler: how much Zendesk work is in flight, how many comments are saved,
  // and (level B) the agent re-assigning flagged calls' tickets as soon as they exist — in the
  // parent, where the fake Zendesk is.
  let inFlight = 0;
  let commentsSaved = 0;
  let helpdeskCalls = 0;
  const pendingReassign = new Map<number, () => void>();
  process.on('message', (m: { type: string; ticketId: number }) => {
    if (m.type === 'reassigned') {
      pendingReassign.get(m.ticketId)?.();
      pendingReassign.delete(m.ticketId);
    }
  });
  const helpdesk = new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        inFlight++;
        helpdeskCalls++;
        try {
          const result = await value.apply(target, args);
          if (prop === 'addPrivateComment') commentsSaved++;
          // Wrap-ups are batched: one request carries the comments of several calls.
          if (prop === 'addPrivateComments')
            commentsSaved += (result as Array<{ saved: boolean }>).filter((c) => c.saved).length;
          if (
            prop === 'openCallTicket' &&
            level === 'B' &&
            (args[0] as { callId: string }).callId.endsWith('r')
          ) {
            const id = (result as { id: number }).id;
            await new Promise<void>((resolve) => {
              pendingReassign.set(id, resolve);
              process.send!({ type: 'reassign', ticketId: id });
            });
          }
          return result;
        } finally {
          inFlight--;
        }
      };
    },
  }) as HelpdeskPort;
  const cache = createCallerCache<never>('memory', undefined, 'cti-bridge:bench', cacheEntries);
  const lookup = new CallerLookup({
    helpdesk,
    cache: cache.keyv as never,
    positiveTtlMs: 86_400_000,
    negativeTtlMs: 300_000,
    logger,
  });
  const stateDir = mkdtempSync(path.join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'memory-bench-'));
  const journal = CallJournal.open(CallJournal.fileFor(stateDir, 'bench'));
  const handler = new CallHandler({
    helpdesk,
    lookup,
    directory: {
      agentFor: (m) => (m.extension === '101' ? ids.agents[0] : ids.agents[1]),
      groupFor: () => ids.group,
      defaultUserId: () => ids.defaultUser,
      isProtectedUser: (id) => id === ids.defaultUser || ids.agents.includes(id),
    },
    queues: new Set(['support']),
    defaultCountry: 'DE',
    strategy: 'defaultUser',
    answerWaitMs: 1_500,
    wrapUpSeconds: 0,
    // Batches of 200 wrap-ups fall due at once: full batches go at once, the rest would wait the
    // 3 s window for company that never comes (the calls of a batch are all there is).
    wrapUpBatchWindowMs: 10,
    templates: TEMPLATES,
    logger,
    journal,
  });

  const random = seededRandom(6006);
  let nextNew = 0;
  let nextUnknown = 0;
  const call = (i: number): { callId: string; num: string } => {
    const r = random();
    const callId = `1795500000.${i}`;
    if (r < 0.7) return { callId, num: customerNumber('51', Math.floor(random() * REGULARS)) };
    if (r < 0.9) return { callId, num: customerNumber('52', nextNew++) };
    if (r < 0.95) {
      const n = nextUnknown++;
      return { callId: n % 2 === 0 ? `${callId}r` : callId, num: customerNumber('59', n) };
    }
    return { callId, num: 'anonymous' };
  };
  const agent = (i: number) => ({
    interface: `Local/${i % 2 === 0 ? '101' : '102'}@agents`,
    name: i % 2 === 0 ? 'Anna Agent' : 'Ben Berger',
    extension: i % 2 === 0 ? '101' : '102',
  });
  const tick = () => new Promise((resolve) => setImmediate(resolve));
  const samples: Sample[] = [];
  const started = performance.now();
  const sample = async (done: number) => {
    for (let i = 0; i < 3; i++) {
      gc();
      await tick();
    }
    const m = process.memoryUsage();
    samples.push({
      calls: done,
      rssMB: round(m.rss / MB, 2),
      heapUsedMB: round(m.heapUsed / MB, 3),
      heapTotalMB: round(m.heapTotal / MB, 2),
      newSpaceMB: round(
        (v8.getHeapSpaceStatistics().find((sp) => sp.space_name === 'new_space')?.space_size ?? 0) / MB,
        1,
      ),
      externalMB: round(m.external / MB, 2),
      ...rssKinds(),
      cacheEntries: (cache.keyv.store as Map<string, unknown>).size,
      activeCalls: handler.activeCalls,
      seconds: round((performance.now() - started) / 1000, 1),
    });
    process.send!({ type: 'progress', level, calls: done });
  };

  for (let done = 0; done < calls; ) {
    const batch = Array.from({ length: Math.min(BATCH, calls - done) }, (_, k) => ({
      ...call(done + k),
      i: done + k,
    }));
    const send = (e: CallEvent) => handler.handle(e);
    const now = Date.now();
    for (const c of batch)
      send({
        type: 'CallQueued',
        callId: c.callId,
        queue: 'support',
        caller: { num: c.num, name: 'Caller' },
        at: now,
      });
    await tick();
    for (const c of batch)
      send({
        type: 'CallAnswered',
        callId: c.callId,
        queue: 'support',
        caller: { num: c.num, name: 'Caller' },
        agent: agent(c.i),
        channel: `Local/support-${c.i};2`,
        holdSec: 5,
        at: Date.now(),
      });
    await tick();
    for (const c of batch)
      send({
        type: 'CallEnded',
        callId: c.callId,
        queue: 'support',
        reason: 'caller',
        holdSec: 5,
        talkSec: 60,
        at: Date.now(),
      });
    const before = done;
    done += batch.length;
    // Every call of the batch wrapped up (ticket, facts comment, backfill) and forgotten.
    while (handler.activeCalls > 0 || commentsSaved < done || inFlight > 0)
      await new Promise((resolve) => setTimeout(resolve, 1));
    if ((before < BASELINE && done >= BASELINE) || Math.floor(done / every) > Math.floor(before / every))
      await sample(done);
  }
  // What the caller cache holds: the heap it frees when cleared.
  gc();
  const withCache = process.memoryUsage().heapUsed;
  const entries = (cache.keyv.store as Map<string, unknown>).size;
  await cache.keyv.clear();
  gc();
  await tick();
  gc();
  const without = process.memoryUsage().heapUsed;
  await handler.stop(Date.now() + 1_000);
  journal.close();
  rmSync(stateDir, { recursive: true, force: true });
  const result: LevelResult = {
    level,
    calls,
    samples,
    cacheBytesPerEntry: entries > 0 ? Math.round((withCache - without) / entries) : 0,
    cacheEntriesAtEnd: entries,
    counts: {
      ...counts(),
      helpdeskCalls,
      commentsSaved,
      logLines: Object.values(logs.counts).reduce((a, b) => a + b, 0),
    },
    seconds: round((performance.now() - started) / 1000, 1),
  };
  process.send!({ type: 'result', result }, () => process.exit(0));
}

// ---------------------------------------------------------------------------------------------
// This process: runs the levels, hosts the fake Zendesk for B, prints the figures.

function runChild(
  args: string[],
  onMessage?: (m: { type: string; ticketId: number }, child: ReturnType<typeof fork>) => void,
): Promise<LevelResult> {
  return new Promise((resolve, reject) => {
    const child = fork(SELF, args, { stdio: 'inherit', execArgv: ['--expose-gc', ...CHILD_V8_FLAGS] });
    child.on('message', (m: { type: string; result?: LevelResult; ticketId: number }) => {
      if (m.type === 'result') resolve(m.result!);
      else onMessage?.(m, child);
    });
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`level ${args[0]} exited with ${code}`));
    });
  });
}

interface Figures {
  level: string;
  calls: number;
  baseline: Sample;
  last: Sample;
  rssGrowthMB: number;
  heapGrowthMB: number;
  /** Fitted heap growth over the last half of the run, MB. */
  heapTrendMB: number;
  /** The same with the caller cache's share taken out (entries × bytes per entry). */
  heapTrendWithoutCacheMB: number;
  rssTrendMB: number;
  /** RSS growth from the first sample at WARMED_UP calls on (undefined for shorter runs). */
  rssGrowthWarmMB?: number;
  /** RSS growth by kind (Linux): anonymous memory, and file pages of code touched since. */
  rssAnonGrowthMB?: number;
  rssFileGrowthMB?: number;
  /** The first sample with the caller cache at its bound, and the heap trend from there on. */
  cacheFullAtCalls?: number;
  heapTrendCacheFullMB?: number;
  cacheBytesPerEntry: number;
  growthGoalMet: boolean;
  trendGoalMet: boolean;
}

function figures(r: LevelResult, cacheBound: number): Figures {
  const baseline = r.samples.find((s) => s.calls >= BASELINE)!;
  const last = r.samples.at(-1)!;
  const half = r.calls / 2;
  const tail = r.samples.filter((s) => s.calls >= half);
  const fit = (y: (s: Sample) => number) => linearFit(tail.map((s) => [s.calls, y(s)] as const)).slope * half;
  const heapTrendMB = round(
    fit((s) => s.heapUsedMB),
    2,
  );
  const heapTrendWithoutCacheMB = round(
    fit((s) => s.heapUsedMB - (s.cacheEntries * r.cacheBytesPerEntry) / MB),
    2,
  );
  const rssGrowthMB = round(last.rssMB - baseline.rssMB, 1);
  // Once the cache holds its bound, only what the calls leave besides it can grow.
  const full = r.samples.filter((s) => s.cacheEntries >= cacheBound);
  const fullFit =
    full.length >= 3 ? linearFit(full.map((s) => [s.calls, s.heapUsedMB] as const)).slope * half : undefined;
  const kinds =
    last.rssAnonMB !== undefined && baseline.rssAnonMB !== undefined
      ? {
          rssAnonGrowthMB: round(last.rssAnonMB - baseline.rssAnonMB, 1),
          rssFileGrowthMB: round((last.rssFileMB ?? 0) - (baseline.rssFileMB ?? 0), 1),
        }
      : {};
  const warm = r.samples.find((s) => s.calls >= WARMED_UP);
  return {
    level: r.level,
    calls: r.calls,
    ...(warm && warm !== last ? { rssGrowthWarmMB: round(last.rssMB - warm.rssMB, 1) } : {}),
    baseline,
    last,
    rssGrowthMB,
    heapGrowthMB: round(last.heapUsedMB - baseline.heapUsedMB, 2),
    heapTrendMB,
    heapTrendWithoutCacheMB,
    rssTrendMB: round(
      fit((s) => s.rssMB),
      2,
    ),
    ...kinds,
    ...(fullFit === undefined
      ? {}
      : { cacheFullAtCalls: full[0]!.calls, heapTrendCacheFullMB: round(fullFit, 2) }),
    cacheBytesPerEntry: r.cacheBytesPerEntry,
    growthGoalMet: rssGrowthMB < GOAL_GROWTH_MB,
    trendGoalMet: heapTrendMB < TREND_LIMIT_MB,
  };
}

async function main(): Promise<void> {
  const started = performance.now();
  const callsA = numberArg('calls', 100_000);
  const callsB = numberArg('http-calls', 5_000);
  const cacheEntries = numberArg('cache-entries', MEMORY_CACHE_ENTRIES);
  process.stdout.write(
    `memory over many calls: ${callsA} (call domain) and ${callsB} (with the HTTP client)\n`,
  );
  process.stdout.write(`machine: ${describeMachine()}\n`);

  const a = await runChild([
    '--level=A',
    `--calls=${callsA}`,
    `--every=${Math.max(BASELINE, callsA / 10)}`,
    `--cache-entries=${cacheEntries}`,
  ]);

  // B: the fake Zendesk here, with the regulars and the first-time callers as end users.
  const zd: FakeZendesk = await startFakeZendesk({
    credentials: BENCH_ZENDESK_CREDENTIALS,
    rateLimitPerMinute: 1e9,
    searchLagMs: 0,
  });
  for (let i = 0; i < REGULARS; i++)
    zd.addUser({ name: `Regular ${i}`, role: 'end-user', phone: customerNumber('51', i) });
  for (let i = 0; i < Math.ceil(callsB * 0.22); i++)
    zd.addUser({ name: `New ${i}`, role: 'end-user', phone: customerNumber('52', i) });
  const chosen = zd.addUser({ name: 'Chosen Customer', role: 'end-user', email: 'chosen@example.com' });
  const ids: Ids = {
    agents: [
      zd.state.userByEmail('anna.agent@example.com')!.id,
      zd.state.userByEmail('ben.berger@example.com')!.id,
    ],
    defaultUser: zd.state.userByEmail('unknown.caller@example.com')!.id,
    group: zd.state.groups()[0]!.id,
  };
  const b = await runChild(
    [
      '--level=B',
      `--calls=${callsB}`,
      `--every=${Math.max(BASELINE, callsB / 10)}`,
      `--zendesk=${zd.url}`,
      `--ids=${JSON.stringify(ids)}`,
      `--cache-entries=${cacheEntries}`,
    ],
    (m, child) => {
      if (m.type !== 'reassign') return;
      const auth = Buffer.from(`admin@example.com/token:${TEST_SECRETS.zendeskApiToken}`).toString('base64');
      void fetch(`${zd.url}/api/v2/tickets/${m.ticketId}.json`, {
        method: 'PUT',
        headers: { authorization: `Basic ${auth}`, 'content-type': 'application/json' },
        body: JSON.stringify({ ticket: { requester_id: chosen.id } }),
      }).then(() => child.send({ type: 'reassigned', ticketId: m.ticketId }));
    },
  );
  const zendeskRequests = zd.requests.length;
  const zendeskStatuses: Record<string, number> = {};
  for (const r of zd.requests) {
    const key = `${r.endpoint} ${r.status}`;
    zendeskStatuses[key] = (zendeskStatuses[key] ?? 0) + 1;
  }
  await zd.close();

  const fa = figures(a, cacheEntries);
  const fb = figures(b, cacheEntries);
  for (const [r, f] of [
    [a, fa],
    [b, fb],
  ] as const) {
    process.stdout.write(
      `\nlevel ${r.level} (${r.level === 'A' ? 'call domain, in-process Zendesk' : 'with ZendeskHelpdesk/ZendeskHttp over HTTP'}): ${r.calls} calls in ${r.seconds} s\n`,
    );
    printTable(
      [
        { header: 'calls', align: 'right' },
        { header: 'RSS MB', align: 'right' },
        { header: 'heap used MB', align: 'right' },
        { header: 'heap total MB', align: 'right' },
        { header: 'of it new space', align: 'right' },
        { header: 'external MB', align: 'right' },
        { header: 'RSS anon/file/shmem MB', align: 'right' },
        { header: 'cache entries', align: 'right' },
        { header: 'calls tracked', align: 'right' },
        { header: 's', align: 'right' },
      ],
      r.samples.map((s) => [
        String(s.calls),
        s.rssMB.toFixed(1),
        s.heapUsedMB.toFixed(2),
        s.heapTotalMB.toFixed(1),
        s.newSpaceMB.toFixed(1),
        s.externalMB.toFixed(1),
        s.rssAnonMB === undefined
          ? '—'
          : `${s.rssAnonMB.toFixed(1)}/${(s.rssFileMB ?? 0).toFixed(1)}/${(s.rssShmemMB ?? 0).toFixed(1)}`,
        String(s.cacheEntries),
        String(s.activeCalls),
        String(s.seconds),
      ]),
    );
    process.stdout.write(
      `caller cache: ${r.cacheEntriesAtEnd} entries at the end, ${f.cacheBytesPerEntry} bytes of heap each\n`,
    );
  }
  process.stdout.write('\n');
  printTable(
    [
      { header: 'figure' },
      { header: `A: ${callsA} calls`, align: 'right' },
      { header: 'B: over HTTP', align: 'right' },
      { header: 'goal' },
      { header: '' },
    ],
    [
      [
        `RSS growth, ${BASELINE} → last`,
        `${fa.rssGrowthMB} MB`,
        `${fb.rssGrowthMB} MB`,
        `< ${GOAL_GROWTH_MB} MB`,
        fa.growthGoalMet ? 'met' : 'MISSED',
      ],
      [
        `heap growth, ${BASELINE} → last`,
        `${fa.heapGrowthMB} MB`,
        `${fb.heapGrowthMB} MB`,
        `< ${GOAL_GROWTH_MB} MB`,
        fa.heapGrowthMB < GOAL_GROWTH_MB ? 'met' : 'MISSED',
      ],
      [
        'heap trend over the last half (fit)',
        `${fa.heapTrendMB} MB`,
        `${fb.heapTrendMB} MB`,
        `< ${TREND_LIMIT_MB} MB`,
        fa.trendGoalMet ? 'met' : 'MISSED',
      ],
      [
        '  the same without the caller cache',
        `${fa.heapTrendWithoutCacheMB} MB`,
        `${fb.heapTrendWithoutCacheMB} MB`,
        '',
        '',
      ],
      ['RSS trend over the last half (fit)', `${fa.rssTrendMB} MB`, `${fb.rssTrendMB} MB`, '', ''],
      [
        `  RSS growth, ${WARMED_UP} → last (after the warm-up)`,
        fa.rssGrowthWarmMB === undefined ? '—' : `${fa.rssGrowthWarmMB} MB`,
        fb.rssGrowthWarmMB === undefined ? '—' : `${fb.rssGrowthWarmMB} MB`,
        '',
        '',
      ],
      [
        '  RSS growth: anonymous / file pages',
        fa.rssAnonGrowthMB === undefined ? '—' : `${fa.rssAnonGrowthMB} / ${fa.rssFileGrowthMB} MB`,
        fb.rssAnonGrowthMB === undefined ? '—' : `${fb.rssAnonGrowthMB} / ${fb.rssFileGrowthMB} MB`,
        '',
        '',
      ],
      [
        `heap trend once the cache is full (${cacheEntries} entries), same scale`,
        fa.heapTrendCacheFullMB === undefined
          ? 'not full in time'
          : `${fa.heapTrendCacheFullMB} MB (from ${fa.cacheFullAtCalls})`,
        fb.heapTrendCacheFullMB === undefined ? 'not full in time' : `${fb.heapTrendCacheFullMB} MB`,
        '',
        '',
      ],
    ],
  );

  const durationS = round((performance.now() - started) / 1000, 1);
  const file = writeResults('memory', {
    bench: 'memory',
    date: new Date().toISOString(),
    durationS,
    machine: machineFacts(),
    config: {
      callsA,
      callsB,
      cacheEntries,
      batch: BATCH,
      regulars: REGULARS,
      baseline: BASELINE,
      mix: '70 % repeat callers from 2,000 regulars, 20 % known first-time callers (new numbers), 5 % unknown numbers (every other one re-assigned: backfill), 5 % withheld',
      levelA:
        'CallHandler, CallerLookup (createCallerCache memory, TTL 24 h / 5 min), CallJournal on tmpfs, production logger at info into a sink, LeanHelpdesk (in-process, keeps nothing); child process, --expose-gc',
      levelB:
        'the same with ZendeskHelpdesk + ZendeskHttp over HTTP to the fake Zendesk in the parent process',
      sampling: 'after each 10 % of the calls (and at 1,000): three full GCs, process.memoryUsage()',
      trend: `least-squares slope over the samples of the last half, times half the calls; "no trend" = below ${TREND_LIMIT_MB} MB`,
    },
    results: { A: { ...fa, ...a }, B: { ...fb, ...b, zendeskRequests, zendeskStatuses } },
    goals: { growthMB: GOAL_GROWTH_MB, trendMB: TREND_LIMIT_MB },
  });
  process.stdout.write(`\n${file} (${durationS} s)\n`);
}

const level = /^--level=([AB])$/.exec(process.argv[2] ?? '')?.[1] as 'A' | 'B' | undefined;
if (level) {
  await runLevel(
    level,
    numberArg('calls', 1_000),
    numberArg('every', 1_000),
    process.argv.find((a) => a.startsWith('--zendesk='))?.slice('--zendesk='.length),
    JSON.parse(process.argv.find((a) => a.startsWith('--ids='))?.slice('--ids='.length) ?? 'null') ??
      undefined,
    numberArg('cache-entries', MEMORY_CACHE_ENTRIES),
  );
} else await main();
