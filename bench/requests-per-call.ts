/**
 * Issue 6, benchmark 2: Zendesk requests per answered call over a realistic caller mix, wrap-up
 * and backfill included, through the real daemon (Daemon + CallIntegration) against the fake PBX
 * (AMI over TCP) and the fake Zendesk (HTTP). Every request the daemon sends after the warm-up is
 * counted from the fake's request log and attributed to the call (and so the caller class) it
 * belongs to. Run twice in one process, on the same mix: `lookup.source: search` (each new number
 * is searched) and `lookup.source: mirror` (the phone directory mirror: its load at start is
 * reported on its own, its polls in the window are counted, and what they cost per call at a
 * given call rate is printed).
 *
 *   node bench/requests-per-call.ts [--calls=300] [--seed=6002] [--sources=search,mirror]
 */
import { seededRandom } from '../src/sim/pbx/prng.ts';
import type { RecordedRequest } from '../src/sim/zendesk/index.ts';
import { TEST_SECRETS } from '../test/support/test-secrets.ts';
import { addCustomers, customerNumber, startBridge, waitUntil } from './lib/bridge.ts';
import { describeMachine, machineFacts } from './lib/machine.ts';
import { writeResults } from './lib/results.ts';
import { numberArg, round, sleep } from './lib/stats.ts';
import { printTable } from './lib/table.ts';

const CALLS = numberArg('calls', 300);
const SEED = numberArg('seed', 6002);
const SOURCES = (process.argv.find((a) => a.startsWith('--sources='))?.slice(10) ?? 'search,mirror')
  .split(',')
  .filter((s): s is Source => s === 'search' || s === 'mirror');
const GOAL = 1.2;
const ARRIVAL_MS = 40;
const REGULARS = 40;
const EXPORT = 'GET /api/v2/incremental/users/cursor';
/** The mirror's production poll interval; the bench runs it unchanged. */
const POLLS_PER_MINUTE = 1;
/** Answered calls per minute at which the polls' cost per call is shown. */
const CALL_RATES = [1, 5, 20] as const;

type Source = 'search' | 'mirror';
type CallerClass = 'repeat' | 'new known' | 'unknown, re-assigned' | 'unknown, kept' | 'withheld';
const CLASSES: readonly CallerClass[] = [
  'repeat',
  'new known',
  'unknown, re-assigned',
  'unknown, kept',
  'withheld',
];
const SHARE: Record<CallerClass, string> = {
  repeat: '70 %',
  'new known': '20 %',
  'unknown, re-assigned': '⅓ of 10 %',
  'unknown, kept': '⅓ of 10 %',
  withheld: '⅓ of 10 %',
};

interface PlannedCall {
  cls: CallerClass;
  num: string;
  /** For re-assigned calls: the customer the agent makes the requester. */
  reassignTo?: number;
}

interface ClassCount {
  calls: number;
  requests: number;
  endpoints: Record<string, number>;
}

interface Measured {
  source: Source;
  answered: number;
  /** Every request of the daemon in the window, mirror polls included. */
  requests: number;
  perCall: number;
  byEndpoint: Record<string, number>;
  byClass: Map<string, ClassCount>;
  /** The mirror's polls in the window, and the window's length. */
  polls: number;
  windowS: number;
  /** The mirror's load at start: requests, users exported, seconds. */
  load: { requests: number; statuses: string; users: number; seconds: number } | undefined;
  statuses: Map<number | null, number>;
  reassigned: number;
  backfilled: number;
  others: number;
}

const started = performance.now();
process.stdout.write('Zendesk requests per answered call, realistic mix, wrap-up and backfill included\n');
process.stdout.write(`machine: ${describeMachine()}\n`);

const newKnownCount = Math.ceil(CALLS * 0.25);

async function measure(source: Source): Promise<Measured> {
  const bridge = await startBridge({
    // wrapUpSeconds 0: the wrap-up (facts comment, backfill) runs at the hangup; counts do not
    // depend on the wait, only the run time does.
    profile: { queues: { support: {} }, wrapUpSeconds: 0, lookupSource: source },
    prepare: (zd) => {
      addCustomers(zd, REGULARS, '21', 'Regular');
      addCustomers(zd, newKnownCount, '22', 'New');
      addCustomers(zd, Math.ceil(CALLS * 0.05), '23', 'Chosen');
    },
  });
  const { pbx, zd } = bridge;
  if (source === 'mirror') await bridge.logs.waitForLine('phone directory mirror loaded');
  const loadLine = bridge.logs
    .tail()
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .find((r) => String(r.msg).startsWith('phone directory mirror loaded'));
  const loadRequests = zd.requests.filter((r) => r.endpoint === EXPORT);
  const users = zd.state.users();
  const regulars = users.filter((u) => u.name.startsWith('Regular ')).map((u) => u.phone!);
  const newKnown = users.filter((u) => u.name.startsWith('New ')).map((u) => u.phone!);
  const chosen = users.filter((u) => u.name.startsWith('Chosen ')).map((u) => u.id);

  // The mix, seeded: 70 % repeat callers, 20 % known callers calling for the first time, 10 %
  // unknown or withheld (a third withheld, a third unknown numbers the agent re-assigns to an
  // existing customer during the call, a third unknown numbers left on the default user).
  const random = seededRandom(SEED);
  const plan: PlannedCall[] = [];
  let nextNew = 0;
  let nextUnknown = 0;
  let nextChosen = 0;
  for (let i = 0; i < CALLS; i++) {
    const r = random();
    if (r < 0.7) {
      plan.push({ cls: 'repeat', num: regulars[Math.floor(random() * regulars.length)]! });
    } else if (r < 0.9) {
      plan.push({ cls: 'new known', num: newKnown[nextNew++]! });
    } else {
      const u = random();
      if (u < 1 / 3) plan.push({ cls: 'withheld', num: 'anonymous' });
      else if (u < 2 / 3 && nextChosen < chosen.length)
        plan.push({
          cls: 'unknown, re-assigned',
          num: customerNumber('29', nextUnknown++),
          reassignTo: chosen[nextChosen++]!,
        });
      else plan.push({ cls: 'unknown, kept', num: customerNumber('29', nextUnknown++) });
    }
  }

  const ticketFor = (callId: string) =>
    zd.state.tickets().find((t) => t.external_id === `cti-bridge:${callId}`);

  async function adminPut(path: string, body: unknown): Promise<void> {
    const auth = Buffer.from(`admin@example.com/token:${TEST_SECRETS.zendeskApiToken}`).toString('base64');
    const response = await fetch(`${zd.url}${path}`, {
      method: 'PUT',
      headers: { authorization: `Basic ${auth}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (response.status !== 200) throw new Error(`PUT ${path}: ${response.status}`);
  }

  /** Facts comments saved, however they were sent (alone, or batched in an update_many). */
  const comments = () =>
    zd.state.tickets().filter((t) => zd.state.comments(t.id).some((c) => c.body.startsWith('Call facts')))
      .length;

  /** Places the calls every ARRIVAL_MS; re-assigns the planned ones once their ticket exists. */
  async function run(calls: readonly PlannedCall[]): Promise<Map<string, PlannedCall>> {
    const byCallId = new Map<string, PlannedCall>();
    const done: Promise<unknown>[] = [];
    const commentsBefore = comments();
    for (const [i, c] of calls.entries()) {
      const call = pbx.placeCall({
        queue: 'support',
        callerNum: c.num,
        callerName: c.num === 'anonymous' ? 'Anonymous' : 'Caller',
        script: [{ ring: i % 2 === 0 ? '101' : '102', ms: 50, outcome: 'answer' }],
        talkMs: 600,
      });
      byCallId.set(call.linkedid, c);
      done.push(call.done);
      if (c.reassignTo !== undefined) {
        const to = c.reassignTo;
        done.push(
          (async () => {
            await waitUntil(() => ticketFor(call.linkedid) !== undefined, 'the ticket to re-assign', 5_000);
            // The agent finds the right customer during the call and makes them the requester.
            await adminPut(`/api/v2/tickets/${ticketFor(call.linkedid)!.id}.json`, {
              ticket: { requester_id: to },
            });
          })(),
        );
      }
      await sleep(ARRIVAL_MS);
    }
    await Promise.all(done);
    // Every wrap-up has sent its comment, and the backfills behind them have finished.
    await waitUntil(() => comments() - commentsBefore >= calls.length, 'the wrap-up comments', 20_000, 20);
    let last = -1;
    await waitUntil(
      () => {
        const now = zd.requests.length;
        const quiet = now === last;
        last = now;
        return quiet;
      },
      'the backfills',
      20_000,
      300,
    );
    return byCallId;
  }

  // Warm-up (not counted): every regular calls once, so repeat callers are in the caller cache.
  await run(regulars.map((num) => ({ cls: 'repeat', num })));
  const mark = zd.requests.length;
  const windowStart = performance.now();
  const calls = await run(plan);
  const windowS = (performance.now() - windowStart) / 1000;
  const counted = zd.requests.slice(mark).filter((r) => r.headers['user-agent'] === 'cti-bridge');
  const others = zd.requests.length - mark - counted.length;
  await bridge.close();

  // Attribution: each request to the call (caller class) it serves; the mirror's polls to none.
  const classOfNumber = new Map<string, CallerClass>();
  const classOfTicket = new Map<number, CallerClass>();
  const classOfUser = new Map<number, CallerClass>();
  const ticketsByExternalId = new Map(zd.state.tickets().map((t) => [t.external_id, t.id]));
  for (const [callId, c] of calls) {
    if (c.num !== 'anonymous') classOfNumber.set(c.num.replace(/\D/g, ''), c.cls);
    const ticketId = ticketsByExternalId.get(`cti-bridge:${callId}`);
    if (ticketId !== undefined) classOfTicket.set(ticketId, c.cls);
    if (c.reassignTo !== undefined) classOfUser.set(c.reassignTo, c.cls);
  }
  function classOf(r: RecordedRequest): CallerClass | 'mirror polls' | 'other' {
    if (r.endpoint === EXPORT) return 'mirror polls';
    if (r.endpoint === 'GET /api/v2/search') {
      const digits = /phone:\*(\d+)/.exec(String(r.query.query))?.[1] ?? '';
      return classOfNumber.get(digits) ?? 'other';
    }
    if (r.endpoint === 'POST /api/v2/channels/voice/tickets') {
      const ext = (r.body as { ticket?: { external_id?: string } })?.ticket?.external_id ?? '';
      const id = ticketsByExternalId.get(ext);
      return (id === undefined ? undefined : classOfTicket.get(id)) ?? 'other';
    }
    const ticket = /^\/api\/v2\/tickets\/(\d+)/.exec(r.path);
    if (ticket) return classOfTicket.get(Number(ticket[1])) ?? 'other';
    const user = /^\/api\/v2\/users\/(\d+)/.exec(r.path);
    if (user) return classOfUser.get(Number(user[1])) ?? 'other';
    return 'other';
  }

  const byEndpoint: Record<string, number> = {};
  const byClass = new Map<string, ClassCount>();
  for (const cls of CLASSES)
    byClass.set(cls, {
      calls: [...calls.values()].filter((c) => c.cls === cls).length,
      requests: 0,
      endpoints: {},
    });
  byClass.set('mirror polls', { calls: 0, requests: 0, endpoints: {} });
  byClass.set('other', { calls: 0, requests: 0, endpoints: {} });
  for (const r of counted) {
    byEndpoint[r.endpoint] = (byEndpoint[r.endpoint] ?? 0) + 1;
    const entry = byClass.get(classOf(r))!;
    entry.requests++;
    entry.endpoints[r.endpoint] = (entry.endpoints[r.endpoint] ?? 0) + 1;
  }
  const statuses = new Map<number | null, number>();
  for (const r of counted) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
  return {
    source,
    answered: calls.size,
    requests: counted.length,
    perCall: counted.length / calls.size,
    byEndpoint,
    byClass,
    polls: byEndpoint[EXPORT] ?? 0,
    windowS,
    load:
      source === 'mirror'
        ? {
            requests: loadRequests.length,
            statuses: statusList(loadRequests.map((r) => r.status)),
            users: Number(loadLine?.exportedUsers ?? 0),
            seconds: Number(loadLine?.seconds ?? 0),
          }
        : undefined,
    statuses,
    reassigned: [...calls.values()].filter((c) => c.reassignTo !== undefined).length,
    backfilled: [...calls.values()].filter(
      (c) => c.reassignTo !== undefined && zd.state.identities(c.reassignTo).some((i) => i.value === c.num),
    ).length,
    others,
  };
}

function statusList(statuses: Array<number | null>): string {
  const counts = new Map<number | null, number>();
  for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts].map(([s, n]) => `${s}×${n}`).join(', ');
}

const short = (e: string) =>
  e
    .replace('/api/v2/', '/')
    .replace('/channels/voice/', '/voice/')
    .replace('/incremental/users/cursor', '/export');

function report(m: Measured): void {
  process.stdout.write(
    `\nlookup.source: ${m.source} — ${m.answered} answered calls, ${m.requests} requests from the daemon in ${round(m.windowS, 1)} s\n`,
  );
  if (m.load) {
    process.stdout.write(
      `mirror load at start (once per start, not counted below): ${m.load.requests} request(s) (${m.load.statuses}) for ${m.load.users} users, ${m.load.seconds} s\n`,
    );
  }
  process.stdout.write('\n');
  printTable(
    [
      { header: 'endpoint' },
      { header: 'requests', align: 'right' },
      { header: 'per answered call', align: 'right' },
    ],
    [
      ...Object.entries(m.byEndpoint)
        .sort((a, b) => b[1] - a[1])
        .map(([e, n]) => [e, String(n), (n / m.answered).toFixed(3)]),
      ['all', String(m.requests), m.perCall.toFixed(3)],
    ],
  );
  process.stdout.write('\n');
  printTable(
    [
      { header: 'caller class' },
      { header: 'share' },
      { header: 'calls', align: 'right' },
      { header: 'requests/call', align: 'right' },
      { header: 'what they cost' },
    ],
    [...m.byClass.entries()]
      .filter(([, v]) => v.calls > 0 || v.requests > 0)
      .map(([cls, v]) => [
        cls,
        SHARE[cls as CallerClass] ?? '',
        String(v.calls),
        v.calls > 0 ? (v.requests / v.calls).toFixed(2) : `${v.requests} requests`,
        Object.entries(v.endpoints)
          .map(([e, n]) => `${short(e)} ${v.calls > 0 ? round(n / v.calls, 2) : n}`)
          .join(', '),
      ]),
  );
  process.stdout.write(
    `\nchecks: ${m.backfilled}/${m.reassigned} re-assigned callers' numbers backfilled; statuses ${[
      ...m.statuses,
    ]
      .map(([s, n]) => `${s}×${n}`)
      .join(', ')}; ${m.others} requests by the "agents" (re-assignments) not counted\n`,
  );
}

const measured: Measured[] = [];
for (const source of SOURCES) {
  const m = await measure(source);
  report(m);
  measured.push(m);
}

/** Requests per call without the polls, and with the polls of a day spread over its calls. */
function withPolls(m: Measured, callsPerMinute: number): number {
  return (
    (m.requests - m.polls) / m.answered + (m.source === 'mirror' ? POLLS_PER_MINUTE / callsPerMinute : 0)
  );
}

process.stdout.write(
  `\nThe mirror polls once a minute whatever the traffic; the bench's calls come every ${ARRIVAL_MS} ms, so its window holds few polls. Per answered call the polls cost ${POLLS_PER_MINUTE} / (answered calls a minute):\n\n`,
);
printTable(
  [
    { header: 'lookup.source' },
    { header: 'measured (polls in window)', align: 'right' },
    { header: 'without polls', align: 'right' },
    ...CALL_RATES.map((rate) => ({ header: `at ${rate} calls/min`, align: 'right' as const })),
    { header: 'goal' },
  ],
  measured.map((m) => [
    m.source,
    `${m.perCall.toFixed(2)} (${m.polls})`,
    ((m.requests - m.polls) / m.answered).toFixed(2),
    ...CALL_RATES.map((rate) => withPolls(m, rate).toFixed(2)),
    `≤ ${GOAL}: ${m.perCall <= GOAL ? 'met' : 'MISSED'}`,
  ]),
);

const durationS = round((performance.now() - started) / 1000, 1);
const file = writeResults('requests-per-call', {
  bench: 'requests-per-call',
  date: new Date().toISOString(),
  durationS,
  machine: machineFacts(),
  config: {
    calls: CALLS,
    seed: SEED,
    arrivalMs: ARRIVAL_MS,
    talkMs: 600,
    wrapUpSeconds: 0,
    regulars: REGULARS,
    sources: SOURCES,
    mix: '70 % repeat callers (a pool of regulars, each called once before: cached), 20 % known callers calling for the first time, 10 % unknown/withheld: ⅓ withheld, ⅓ unknown numbers the agent re-assigns to an existing customer during the call (PUT /tickets/{id} as an admin, as the integration tests do), ⅓ unknown numbers left on the default user',
    counted:
      "every request of the daemon (user-agent cti-bridge) in the fake Zendesk's log from the end of the warm-up until the last backfill, the mirror's polls included; the mirror's load at start is reported apart; the agents' re-assignments are not counted",
    daemon: 'Daemon + CallIntegration, Talk Partner Edition, cache memory, fake PBX over AMI/TCP',
    mirrorPollsPerMinute: POLLS_PER_MINUTE,
  },
  results: Object.fromEntries(
    measured.map((m) => [
      m.source,
      {
        answeredCalls: m.answered,
        requests: m.requests,
        requestsPerCall: round(m.perCall, 3),
        requestsPerCallWithoutPolls: round((m.requests - m.polls) / m.answered, 3),
        requestsPerCallAtCallRates: Object.fromEntries(
          CALL_RATES.map((rate) => [`${rate}/min`, round(withPolls(m, rate), 3)]),
        ),
        goal: GOAL,
        goalMet: m.perCall <= GOAL,
        byEndpoint: m.byEndpoint,
        byClass: Object.fromEntries(
          [...m.byClass.entries()].map(([cls, v]) => [
            cls,
            { ...v, perCall: v.calls > 0 ? round(v.requests / v.calls, 3) : null },
          ]),
        ),
        polls: m.polls,
        windowS: round(m.windowS, 1),
        ...(m.load ? { load: m.load } : {}),
        reassigned: m.reassigned,
        backfilled: m.backfilled,
      },
    ]),
  ),
});
process.stdout.write(`\n${file} (${durationS} s)\n`);
