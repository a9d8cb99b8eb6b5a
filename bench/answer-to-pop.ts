/**
 * Issue 6, benchmark 1: how many Zendesk requests lie between the agent's answer and the ticket on
 * their screen, and how long that takes, for a caller the bridge knows already (cached). The real
 * daemon (Daemon + CallIntegration) against the fake PBX over AMI/TCP and the fake Zendesk over
 * HTTP at 80 ms per request; side by side in the same run, the STARFACE module's sequence (create
 * the ticket, look the agent up, open the ticket) through the same Zendesk client code.
 *
 *   node bench/answer-to-pop.ts [--calls=50] [--latency=80]
 */
import { silentLogger } from '../src/log/logger.ts';
import { AmiClient } from '../src/pbx/ami-client.ts';
import type { RecordedRequest } from '../src/sim/zendesk/index.ts';
import { Secret } from '../src/util/secret.ts';
import { addCustomers, startBridge, TEST_SECRETS, waitUntil } from './lib/bridge.ts';
import { describeMachine, machineFacts } from './lib/machine.ts';
import { writeResults } from './lib/results.ts';
import { starfaceClient } from './lib/starface.ts';
import { mean, numberArg, percentile, round, sleep } from './lib/stats.ts';
import { printTable } from './lib/table.ts';

const CALLS = numberArg('calls', 50);
const LATENCY_MS = numberArg('latency', 80);
const CUSTOMERS = 10;
const GOAL_REQUESTS = 1;

interface Sample {
  sequence: 'ours' | 'starface';
  callId: string;
  answeredAt: number;
  poppedAt: number;
  ms: number;
  requests: string[];
}

const started = performance.now();
process.stdout.write(`answer → pop, cached caller, fake Zendesk at ${LATENCY_MS} ms per request\n`);
process.stdout.write(`machine: ${describeMachine()}\n`);

const bridge = await startBridge({
  // The calls talk for minutes: no hangup, so no wrap-up traffic, in the measured windows.
  profile: { queues: { support: {} }, wrapUpSeconds: 3600 },
  prepare: (zd) => {
    addCustomers(zd, CUSTOMERS, '11');
  },
});
const { pbx, zd } = bridge;
const customers = zd.state.users().filter((u) => u.name.startsWith('Customer 11-'));
const numbers = customers.map((u) => u.phone!);

// The STARFACE-style sequence: its own client instance of the same code.
const starface = starfaceClient(zd.url, zd.state.userByEmail('unknown.caller@example.com')!.id);

// A second AMI session, as a supervisor tool would open one: the fake PBX sends it every event
// the daemon gets, at the same moment. It times the answers and drives the STARFACE sequence
// for calls of the `sales` queue, which the daemon's profile does not handle.
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
  if (m.name === 'AgentConnect') {
    const now = Date.now();
    answeredAt.set(callId, now);
    if (m.get('Queue') === 'sales')
      void starface.answered(callId, m.get('CallerIDNum') ?? '', m.get('MemberName') ?? '', now);
  } else if (m.name === 'QueueCallerJoin' && m.get('Queue') === 'sales') {
    starface.queued(callId, m.get('CallerIDNum') ?? '');
  }
});
const up = new Promise<void>((resolve) => monitor.onUp(resolve));
monitor.start();
await up;

function ticketOf(externalId: string): number | undefined {
  return zd.state.tickets().find((t) => t.external_id === externalId)?.id;
}

/** One call, start to pop: which ticket, when answered, when popped. */
async function oneCall(sequence: 'ours' | 'starface', num: string): Promise<Sample> {
  const queue = sequence === 'ours' ? 'support' : 'sales';
  const call = pbx.placeCall({
    queue,
    callerNum: num,
    callerName: 'Bench Caller',
    script: [{ ring: queue === 'support' ? '101' : '201', ms: 50, outcome: 'answer' }],
    talkMs: 600_000,
  });
  const externalId = `${sequence === 'ours' ? 'cti-bridge' : 'starface'}:${call.linkedid}`;
  let ticketId: number | undefined;
  let popAt: number | undefined;
  await waitUntil(
    () => {
      ticketId ??= ticketOf(externalId);
      if (ticketId === undefined) return false;
      popAt = zd.pops.find((p) => p.kind === 'ticket' && p.id === ticketId)?.at;
      return popAt !== undefined && answeredAt.has(call.linkedid);
    },
    `the pop of ${externalId}`,
    10_000,
    2,
  );
  const answered = answeredAt.get(call.linkedid)!;
  const requests = zd.requests
    .filter((r: RecordedRequest) => r.at >= answered && r.at <= popAt!)
    .map((r) => r.endpoint);
  return {
    sequence,
    callId: call.linkedid,
    answeredAt: answered,
    poppedAt: popAt!,
    ms: popAt! - answered,
    requests,
  };
}

// Warm-up: every number calls once on each side, so both know (cache) every caller.
for (const num of numbers) {
  await oneCall('ours', num);
  await oneCall('starface', num);
}
zd.faults.latency(LATENCY_MS);
await sleep(100);

const samples: Sample[] = [];
for (let i = 0; i < CALLS; i++) {
  const num = numbers[i % numbers.length]!;
  // Alternating which goes first, so neither always follows the other's traffic.
  const order: Array<'ours' | 'starface'> = i % 2 === 0 ? ['ours', 'starface'] : ['starface', 'ours'];
  for (const sequence of order) {
    samples.push(await oneCall(sequence, num));
    await sleep(20);
  }
}
await starface.idle();
monitor.stop();
await bridge.close();

interface Summary {
  sequence: string;
  calls: number;
  requestsMean: number;
  requestsMin: number;
  requestsMax: number;
  endpoints: Record<string, number>;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  /** Latency minus the fake's LATENCY_MS per request: what the client and the sequence add. */
  beyondZendeskP50Ms: number;
  goalRequests?: number;
  goalMet?: boolean;
}

function summarise(sequence: 'ours' | 'starface'): Summary {
  const of = samples.filter((s) => s.sequence === sequence);
  const counts = of.map((s) => s.requests.length);
  const endpoints: Record<string, number> = {};
  for (const s of of) for (const e of s.requests) endpoints[e] = (endpoints[e] ?? 0) + 1;
  for (const e of Object.keys(endpoints)) endpoints[e] = round(endpoints[e]! / of.length, 2);
  const ms = of.map((s) => s.ms);
  const summary: Summary = {
    sequence,
    calls: of.length,
    requestsMean: round(mean(counts), 2),
    requestsMin: Math.min(...counts),
    requestsMax: Math.max(...counts),
    endpoints,
    p50Ms: percentile(ms, 50),
    p95Ms: percentile(ms, 95),
    maxMs: Math.max(...ms),
    beyondZendeskP50Ms: percentile(
      of.map((s) => s.ms - LATENCY_MS * s.requests.length),
      50,
    ),
  };
  if (sequence === 'ours') {
    summary.goalRequests = GOAL_REQUESTS;
    summary.goalMet = counts.every((c) => c === GOAL_REQUESTS);
  }
  return summary;
}

const ours = summarise('ours');
const theirs = summarise('starface');
process.stdout.write('\n');
printTable(
  [
    { header: 'sequence' },
    { header: 'calls', align: 'right' },
    { header: 'requests answer→pop', align: 'right' },
    { header: 'goal', align: 'right' },
    { header: 'p50 ms', align: 'right' },
    { header: 'p95 ms', align: 'right' },
    { header: 'max ms', align: 'right' },
    { header: `p50 beyond ${LATENCY_MS} ms/request`, align: 'right' },
  ],
  [ours, theirs].map((s) => [
    s.sequence === 'ours'
      ? 'cti-bridge (voice ticket + display_to_agent)'
      : 'STARFACE-style (create, agent search, display)',
    String(s.calls),
    s.requestsMin === s.requestsMax
      ? String(s.requestsMin)
      : `${s.requestsMean} (${s.requestsMin}–${s.requestsMax})`,
    s.goalRequests === undefined ? '—' : `exactly ${s.goalRequests}: ${s.goalMet ? 'met' : 'MISSED'}`,
    String(s.p50Ms),
    String(s.p95Ms),
    String(s.maxMs),
    String(s.beyondZendeskP50Ms),
  ]),
);
process.stdout.write('\nrequests per call by endpoint (answer → pop):\n');
for (const s of [ours, theirs]) {
  process.stdout.write(
    `  ${s.sequence}: ${Object.entries(s.endpoints)
      .map(([e, n]) => `${e} ×${n}`)
      .join(', ')}\n`,
  );
}
process.stdout.write(
  `\nSTARFACE-style / cti-bridge: ${round(theirs.requestsMean / ours.requestsMean, 1)}× the requests, ${round(theirs.p50Ms / ours.p50Ms, 1)}× the p50 latency\n`,
);

const durationS = round((performance.now() - started) / 1000, 1);
const file = writeResults('answer-to-pop', {
  bench: 'answer-to-pop',
  date: new Date().toISOString(),
  durationS,
  machine: machineFacts(),
  config: {
    callsPerSequence: CALLS,
    zendeskLatencyMs: LATENCY_MS,
    customers: CUSTOMERS,
    caller: 'cached: every number called once on each side before the measured calls',
    ours: 'Daemon + CallIntegration, Talk Partner Edition, fake PBX over AMI/TCP, fake Zendesk over HTTP',
    starface:
      'bench/lib/starface.ts: POST /api/v2/tickets, GET /api/v2/users/search?query=<agent email>, POST …/display, through ZendeskHttp',
    answeredAt: 'Date.now() when a second AMI session on the fake PBX receives AgentConnect',
    poppedAt: "the fake Zendesk's pop record (when it processes the pop, after its latency)",
    requests: "the fake Zendesk's request log, arrivals between answer and pop (calls one at a time)",
  },
  results: { ours, starface: theirs },
  samples: samples.map(({ sequence, callId, ms, requests }) => ({
    sequence,
    callId,
    ms,
    requests: requests.length,
  })),
});
process.stdout.write(`\n${file} (${durationS} s)\n`);
