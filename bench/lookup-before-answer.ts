/**
 * Issue 6, benchmark 7: with Zendesk's search taking 300 ms and agents answering 0.1–5 s after the
 * call enters the queue, how many tickets get the right requester? The real daemon (Daemon +
 * CallIntegration) against the fake PBX over AMI/TCP and the fake Zendesk over HTTP, callers known
 * to Zendesk but not yet to the bridge; side by side in the same run, the STARFACE module's
 * behaviour (search on queue entry, requester = unknown if the search has not returned at the
 * answer), through the same Zendesk client code, with the same answer delays.
 *
 *   node bench/lookup-before-answer.ts [--calls=100] [--search-ms=300] [--seed=6007]
 */
import { silentLogger } from '../src/log/logger.ts';
import { AmiClient } from '../src/pbx/ami-client.ts';
import { seededRandom } from '../src/sim/pbx/prng.ts';
import { Secret } from '../src/util/secret.ts';
import { addCustomers, startBridge, TEST_SECRETS, waitUntil } from './lib/bridge.ts';
import { describeMachine, machineFacts } from './lib/machine.ts';
import { writeResults } from './lib/results.ts';
import { starfaceClient } from './lib/starface.ts';
import { numberArg, round, sleep } from './lib/stats.ts';
import { printTable } from './lib/table.ts';

const CALLS = numberArg('calls', 100);
const SEARCH_MS = numberArg('search-ms', 300);
const SEED = numberArg('seed', 6007);
const ARRIVAL_MS = 150;
const MIN_ANSWER_MS = 100;
const MAX_ANSWER_MS = 5_000;
const SEARCH = 'GET /api/v2/search';
const BUCKETS = [
  [100, 300],
  [300, 500],
  [500, 1_000],
  [1_000, 2_000],
  [2_000, 5_000],
] as const;

const started = performance.now();
process.stdout.write(
  `lookup before answer: search ${SEARCH_MS} ms, answers ${MIN_ANSWER_MS / 1000}–${MAX_ANSWER_MS / 1000} s after queue entry\n`,
);
process.stdout.write(`machine: ${describeMachine()}\n`);

const bridge = await startBridge({
  // No hangup traffic while measuring: wrap-ups wait (they run when the daemon stops).
  profile: { queues: { support: {} }, wrapUpSeconds: 3600 },
  prepare: (zd) => {
    addCustomers(zd, CALLS, '71', 'Ours');
    addCustomers(zd, CALLS, '72', 'Theirs');
  },
});
const { pbx, zd } = bridge;
zd.faults.latency(SEARCH_MS, SEARCH);
const users = zd.state.users();
const ours = users.filter((u) => u.name.startsWith('Ours '));
const theirs = users.filter((u) => u.name.startsWith('Theirs '));
const defaultUserId = zd.state.userByEmail('unknown.caller@example.com')!.id;

const starface = starfaceClient(zd.url, defaultUserId);

// A second AMI session drives the STARFACE-style client (queue `sales`, not in the daemon's
// profile) and notes when each call was queued and answered.
const queuedAt = new Map<string, number>();
const answeredAt = new Map<string, number>();
const logger = silentLogger();
const monitor = new AmiClient({
  host: '127.0.0.1',
  port: pbx.port,
  username: 'bridge',
  secret: new Secret(TEST_SECRETS.amiSecret, 'bench'),
  logger,
});
monitor.onEvent((m) => {
  const callId = m.get('Linkedid') ?? '';
  const now = Date.now();
  if (m.name === 'QueueCallerJoin') {
    queuedAt.set(callId, now);
    if (m.get('Queue') === 'sales') starface.queued(callId, m.get('CallerIDNum') ?? '', now);
  } else if (m.name === 'AgentConnect') {
    answeredAt.set(callId, now);
    if (m.get('Queue') === 'sales')
      void starface.answered(callId, m.get('CallerIDNum') ?? '', m.get('MemberName') ?? '', now);
  }
});
const up = new Promise<void>((resolve) => monitor.onUp(resolve));
monitor.start();
await up;

// The answer delays: stratified over 0.1–5 s (every part of the range gets its share), seeded
// order; call i of each side gets the same delay.
const random = seededRandom(SEED);
const delays = Array.from(
  { length: CALLS },
  (_, i) => MIN_ANSWER_MS + ((i + random()) / CALLS) * (MAX_ANSWER_MS - MIN_ANSWER_MS),
);
for (let i = delays.length - 1; i > 0; i--) {
  const j = Math.floor(random() * (i + 1));
  [delays[i], delays[j]] = [delays[j]!, delays[i]!];
}

interface Placed {
  side: 'cti-bridge' | 'STARFACE-style';
  callId: string;
  delayMs: number;
  expected: number;
  num: string;
}
const placed: Placed[] = [];
for (let i = 0; i < CALLS; i++) {
  const delayMs = Math.round(delays[i]!);
  for (const [side, queue, member, user] of [
    ['cti-bridge', 'support', '101', ours[i]!],
    ['STARFACE-style', 'sales', '201', theirs[i]!],
  ] as const) {
    const call = pbx.placeCall({
      queue,
      callerNum: user.phone!,
      callerName: user.name,
      script: [{ ring: member, ms: delayMs, outcome: 'answer' }],
      talkMs: 200,
    });
    placed.push({ side, callId: call.linkedid, delayMs, expected: user.id, num: user.phone! });
  }
  await sleep(ARRIVAL_MS);
}

const ticketOf = () => {
  const map = new Map<string, number>();
  for (const t of zd.state.tickets()) if (t.external_id) map.set(t.external_id, t.requester_id);
  return map;
};
await waitUntil(
  () => {
    const tickets = ticketOf();
    return placed.every((p) =>
      tickets.has(`${p.side === 'cti-bridge' ? 'cti-bridge' : 'starface'}:${p.callId}`),
    );
  },
  'every ticket',
  30_000,
  50,
);
await starface.idle();
const tickets = ticketOf();
// When each of our searches returned: its arrival at the fake plus the injected latency.
const searchDone = new Map<string, number>();
for (const r of zd.requests) {
  if (r.endpoint !== SEARCH) continue;
  const digits = /phone:\*(\d+)/.exec(String(r.query.query))?.[1] ?? '';
  if (!searchDone.has(digits)) searchDone.set(digits, r.at + SEARCH_MS);
}
monitor.stop();
await bridge.close();

interface Outcome extends Placed {
  right: boolean;
  /** The agent answered before the caller search had returned. */
  early: boolean;
  /** From queue entry to answer, as the second AMI session saw it. */
  answeredAfterMs: number;
}
const outcomes: Outcome[] = placed.map((p) => {
  const requester = tickets.get(`${p.side === 'cti-bridge' ? 'cti-bridge' : 'starface'}:${p.callId}`);
  const answered = answeredAt.get(p.callId) ?? Number.NaN;
  const searchReturned =
    p.side === 'cti-bridge'
      ? searchDone.get(p.num.replace(/\D/g, ''))
      : starface.calls.get(p.callId)?.searchReturnedAt;
  return {
    ...p,
    right: requester === p.expected,
    early: searchReturned === undefined || searchReturned > answered,
    answeredAfterMs: answered - (queuedAt.get(p.callId) ?? Number.NaN),
  };
});

interface SideSummary {
  side: string;
  calls: number;
  answeredBeforeSearchReturned: number;
  rightRequester: number;
  share: number;
  wrongWhenEarly: number;
  byDelay: Array<{ fromMs: number; toMs: number; calls: number; right: number }>;
}
function summarise(side: Placed['side']): SideSummary {
  const of = outcomes.filter((o) => o.side === side);
  const right = of.filter((o) => o.right).length;
  return {
    side,
    calls: of.length,
    answeredBeforeSearchReturned: of.filter((o) => o.early).length,
    rightRequester: right,
    share: right / of.length,
    wrongWhenEarly: of.filter((o) => o.early && !o.right).length,
    byDelay: BUCKETS.map(([fromMs, toMs]) => {
      const inBucket = of.filter((o) => o.delayMs >= fromMs && o.delayMs < toMs);
      return { fromMs, toMs, calls: inBucket.length, right: inBucket.filter((o) => o.right).length };
    }),
  };
}
const sides = [summarise('cti-bridge'), summarise('STARFACE-style')];

process.stdout.write('\n');
const pct = (x: number) => `${round(x * 100, 1)} %`;
printTable(
  [
    { header: 'client' },
    { header: 'calls', align: 'right' },
    { header: 'answered before the search returned', align: 'right' },
    { header: 'right requester', align: 'right' },
    { header: 'share', align: 'right' },
    { header: 'goal' },
  ],
  sides.map((s) => [
    s.side,
    String(s.calls),
    String(s.answeredBeforeSearchReturned),
    String(s.rightRequester),
    pct(s.share),
    s.side === 'cti-bridge' ? `100 %: ${s.share === 1 ? 'met' : 'MISSED'}` : '—',
  ]),
);
process.stdout.write('\nright requester by answer delay (from the call entering the queue):\n');
printTable(
  [{ header: 'answered after' }, ...sides.map((s) => ({ header: s.side, align: 'right' as const }))],
  BUCKETS.map(([fromMs, toMs], i) => [
    `${fromMs / 1000}–${toMs / 1000} s`,
    ...sides.map((s) => {
      const b = s.byDelay[i]!;
      return `${b.right}/${b.calls}`;
    }),
  ]),
);

const durationS = round((performance.now() - started) / 1000, 1);
const file = writeResults('lookup-before-answer', {
  bench: 'lookup-before-answer',
  date: new Date().toISOString(),
  durationS,
  machine: machineFacts(),
  config: {
    callsPerSide: CALLS,
    searchLatencyMs: SEARCH_MS,
    answerDelayMs: [MIN_ANSWER_MS, MAX_ANSWER_MS],
    delays: 'stratified uniform over the range, seeded order; call i of both sides gets the same delay',
    seed: SEED,
    arrivalMs: ARRIVAL_MS,
    callers: 'known to Zendesk, not cached by either client (each number calls once)',
    ours: 'Daemon + CallIntegration (answerWaitMs 1500, the default), queue support',
    starface:
      'bench/lib/starface.ts: search on QueueCallerJoin; on AgentConnect requester = search result if returned, else the default user; queue sales',
    right: "the ticket's requester_id is the caller's Zendesk user",
  },
  results: sides,
});
process.stdout.write(`\n${file} (${durationS} s)\n`);
