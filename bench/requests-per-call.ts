/**
 * Issue 6, benchmark 2: Zendesk requests per answered call over a realistic caller mix, wrap-up
 * and backfill included, through the real daemon (Daemon + CallIntegration) against the fake PBX
 * (AMI over TCP) and the fake Zendesk (HTTP). Every request the daemon sends after the warm-up is
 * counted from the fake's request log and attributed to the call (and so the caller class) it
 * belongs to.
 *
 *   node bench/requests-per-call.ts [--calls=300] [--seed=6002]
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
const GOAL = 1.2;
const ARRIVAL_MS = 40;
const REGULARS = 40;

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

const started = performance.now();
process.stdout.write('Zendesk requests per answered call, realistic mix, wrap-up and backfill included\n');
process.stdout.write(`machine: ${describeMachine()}\n`);

const newKnownCount = Math.ceil(CALLS * 0.25);
const bridge = await startBridge({
  // wrapUpSeconds 0: the wrap-up (facts comment, backfill) runs at the hangup; counts do not
  // depend on the wait, only the run time does.
  profile: { queues: { support: {} }, wrapUpSeconds: 0 },
  prepare: (zd) => {
    addCustomers(zd, REGULARS, '21', 'Regular');
    addCustomers(zd, newKnownCount, '22', 'New');
    addCustomers(zd, Math.ceil(CALLS * 0.05), '23', 'Chosen');
  },
});
const { pbx, zd } = bridge;
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

function ticketFor(callId: string) {
  return zd.state.tickets().find((t) => t.external_id === `cti-bridge:${callId}`);
}

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
const calls = await run(plan);
const counted = zd.requests.slice(mark).filter((r) => r.headers['user-agent'] === 'cti-bridge');
const others = zd.requests.length - mark - counted.length;
await bridge.close();

// Attribution: each request to the call (caller class) it serves.
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
function classOf(r: RecordedRequest): CallerClass | 'other' {
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

const answered = calls.size;
const byEndpoint: Record<string, number> = {};
const byClass = new Map<string, { calls: number; requests: number; endpoints: Record<string, number> }>();
for (const cls of CLASSES)
  byClass.set(cls, {
    calls: [...calls.values()].filter((c) => c.cls === cls).length,
    requests: 0,
    endpoints: {},
  });
byClass.set('other', { calls: 0, requests: 0, endpoints: {} });
for (const r of counted) {
  byEndpoint[r.endpoint] = (byEndpoint[r.endpoint] ?? 0) + 1;
  const entry = byClass.get(classOf(r))!;
  entry.requests++;
  entry.endpoints[r.endpoint] = (entry.endpoints[r.endpoint] ?? 0) + 1;
}
const perCall = counted.length / answered;
const statuses = new Map<number | null, number>();
for (const r of counted) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
const backfilled = [...calls.values()].filter(
  (c) => c.reassignTo !== undefined && zd.state.identities(c.reassignTo).some((i) => i.value === c.num),
).length;
const reassigned = [...calls.values()].filter((c) => c.reassignTo !== undefined).length;

const short = (e: string) => e.replace('/api/v2/', '/').replace('/channels/voice/', '/voice/');
process.stdout.write(`\n${answered} answered calls, ${counted.length} requests from the daemon\n\n`);
printTable(
  [
    { header: 'endpoint' },
    { header: 'requests', align: 'right' },
    { header: 'per answered call', align: 'right' },
  ],
  [
    ...Object.entries(byEndpoint)
      .sort((a, b) => b[1] - a[1])
      .map(([e, n]) => [e, String(n), (n / answered).toFixed(3)]),
    ['all', String(counted.length), perCall.toFixed(3)],
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
  [...byClass.entries()]
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
process.stdout.write('\n');
printTable(
  [{ header: 'figure' }, { header: 'value', align: 'right' }, { header: 'goal' }, { header: '' }],
  [
    [
      'Zendesk requests per answered call',
      perCall.toFixed(2),
      `≤ ${GOAL}`,
      perCall <= GOAL ? 'met' : 'MISSED',
    ],
  ],
);
process.stdout.write(
  `\nchecks: ${backfilled}/${reassigned} re-assigned callers' numbers backfilled; statuses ${[...statuses]
    .map(([s, n]) => `${s}×${n}`)
    .join(', ')}; ${others} requests by the "agents" (re-assignments) not counted\n`,
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
    mix: '70 % repeat callers (a pool of regulars, each called once before: cached), 20 % known callers calling for the first time, 10 % unknown/withheld: ⅓ withheld, ⅓ unknown numbers the agent re-assigns to an existing customer during the call (PUT /tickets/{id} as an admin, as the integration tests do), ⅓ unknown numbers left on the default user',
    counted:
      "every request of the daemon (user-agent cti-bridge) in the fake Zendesk's log from the end of the warm-up until the last backfill; the agents' re-assignments are not counted",
    daemon: 'Daemon + CallIntegration, Talk Partner Edition, cache memory, fake PBX over AMI/TCP',
  },
  results: {
    answeredCalls: answered,
    requests: counted.length,
    requestsPerCall: round(perCall, 3),
    goal: GOAL,
    goalMet: perCall <= GOAL,
    byEndpoint,
    byClass: Object.fromEntries(
      [...byClass.entries()].map(([cls, v]) => [
        cls,
        { ...v, perCall: v.calls > 0 ? round(v.requests / v.calls, 3) : null },
      ]),
    ),
    reassigned,
    backfilled,
  },
});
process.stdout.write(`\n${file} (${durationS} s)\n`);
