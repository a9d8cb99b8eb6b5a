import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SimCall } from '../../src/sim/pbx/call-model.ts';
import { seededRandom as prng } from '../../src/sim/pbx/prng.ts';
import { type Bridge, startBridge } from '../support/bridge-harness.ts';

const SEARCH = 'GET /api/v2/search';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function ticketsOf(bridge: Bridge, callId: string) {
  return bridge.zd.state.tickets().filter((t) => t.external_id === `cti-bridge:${callId}`);
}

interface Caller {
  /** What the PBX reports (undefined: no caller ID). */
  num: string | undefined;
  /** The number the bridge searches for (undefined: nothing to search). */
  e164: string | undefined;
  /** Seeded user the ticket must be for. */
  requester: string;
}

const DEFAULT = 'Unknown Caller';
const CALLERS: Caller[] = [
  { num: '+4930123456', e164: '+4930123456', requester: 'Erika Mustermann' },
  { num: '030123456', e164: '+4930123456', requester: 'Erika Mustermann' },
  { num: '+12125550100', e164: '+12125550100', requester: 'John Smith' },
  { num: '+4922133344', e164: '+4922133344', requester: 'Otto Normal' },
  { num: '+49405550000', e164: '+49405550000', requester: DEFAULT }, // two users share it
  { num: '+4915112345678', e164: '+4915112345678', requester: DEFAULT },
  { num: 'anonymous', e164: undefined, requester: DEFAULT },
  { num: undefined, e164: undefined, requester: DEFAULT },
];

interface Planned {
  call: SimCall;
  caller: Caller;
  queue: 'support' | 'sales';
  /** Name of the agent who answers, or undefined when the caller abandons. */
  agent: string | undefined;
  placedAt: number;
  /** `done`, and when it came. */
  finished: Promise<{ outcome: Awaited<SimCall['done']>; at: number }>;
}

const AGENTS: Record<string, { name: string; email: string }> = {
  '101': { name: 'Anna Agent', email: 'anna.agent@example.com' },
  '102': { name: 'Ben Berger', email: 'ben.berger@example.com' },
  '201': { name: 'Carla Sales', email: 'carla.sales@example.com' },
};

test('50 interleaved calls: one ticket per answered call with the right requester and assignee, none for abandoned', async (t) => {
  const bridge = await startBridge({ profile: { wrapUpSeconds: 0 } });
  t.after(() => bridge.close());
  const random = prng(20250314);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo));
  const since = bridge.mark();

  const planned: Planned[] = [];
  for (let i = 0; i < 50; i++) {
    // Every few calls a number nobody knows, so the unknown path is busy too.
    const caller: Caller =
      i % 7 === 3
        ? { num: `+4917600000${String(i).padStart(3, '0')}`, e164: undefined, requester: DEFAULT }
        : pick(CALLERS);
    if (caller.num?.startsWith('+4917600000')) caller.e164 = caller.num;
    const queue = i % 3 === 2 ? 'sales' : 'support';
    const first = queue === 'sales' ? '201' : pick(['101', '102']);
    const abandon = i % 8 === 5;
    const retry = queue === 'support' && !abandon && i % 5 === 1;
    const script = abandon
      ? i % 16 === 5
        ? [] // nobody free
        : [{ ring: first, ms: 400, outcome: 'noanswer' as const }] // gives up while it rings
      : retry
        ? [
            { ring: first, ms: between(10, 60), outcome: 'noanswer' as const },
            { ring: first === '101' ? '102' : '101', ms: between(10, 60), outcome: 'answer' as const },
          ]
        : [{ ring: first, ms: between(5, 80), outcome: 'answer' as const }];
    const answerer = abandon ? undefined : script.at(-1)!.ring;
    const call = bridge.pbx.placeCall({
      queue,
      ...(caller.num === undefined ? {} : { callerNum: caller.num }),
      script,
      talkMs: between(20, 250),
      hangup: random() < 0.5 ? 'caller' : 'agent',
      ...(abandon ? { abandonAfterMs: between(30, 90) } : {}),
    });
    const agent = answerer === undefined ? undefined : AGENTS[answerer]!.name;
    const finished = call.done.then((outcome) => ({ outcome, at: Date.now() }));
    planned.push({ call, caller, queue, agent, placedAt: Date.now(), finished });
    await sleep(between(0, 8));
  }

  const finished = await Promise.all(planned.map((p) => p.finished));
  const outcomes = finished.map((f) => f.outcome);
  const spans = planned.map((p, i) => [p.placedAt, finished[i]!.at] as const);
  const overlap = Math.max(
    ...spans.map(([start]) => spans.filter(([s, e]) => s <= start && start < e).length),
  );
  assert.ok(overlap >= 10, `the calls interleaved (at most ${overlap} at once)`);
  planned.forEach((p, i) => {
    assert.deepEqual(
      outcomes[i],
      p.agent === undefined ? { outcome: 'abandoned' } : { outcome: 'answered', agent: p.agent },
      `call ${i} went as scripted`,
    );
  });
  const answered = planned.filter((p) => p.agent !== undefined);
  assert.ok(answered.length >= 40 && answered.length < 50, `${answered.length} answered`);
  assert.ok(new Set(answered.map((p) => p.queue)).size === 2, 'both queues');

  const factsOf = (ticketId: number) =>
    bridge.zd.state.comments(ticketId).filter((c) => /Call facts/.test(String(c.body)));
  await bridge.waitFor(
    () => answered.every((p) => ticketsOf(bridge, p.call.linkedid).some((tk) => factsOf(tk.id).length > 0)),
    'every ticket and its call facts',
    10_000,
  );

  const userNamed = (name: string) => bridge.zd.state.users().find((u) => u.name === name)!.id;
  const groupNamed = (name: string) => bridge.zd.state.groups().find((g) => g.name === name)!.id;
  const agentId = (name: string) =>
    bridge.userByEmail(Object.values(AGENTS).find((a) => a.name === name)!.email).id;
  for (const [i, p] of planned.entries()) {
    const tickets = ticketsOf(bridge, p.call.linkedid);
    if (p.agent === undefined) {
      assert.equal(tickets.length, 0, `abandoned call ${i} has no ticket`);
      continue;
    }
    assert.equal(tickets.length, 1, `call ${i} has exactly one ticket`);
    const ticket = tickets[0]!;
    assert.equal(
      ticket.requester_id,
      userNamed(p.caller.requester),
      `call ${i} (${p.caller.num}): requester`,
    );
    assert.equal(ticket.assignee_id, agentId(p.agent), `call ${i}: assignee`);
    assert.equal(
      ticket.group_id,
      groupNamed(p.queue === 'support' ? 'Support' : 'Sales'),
      `call ${i}: group`,
    );
    assert.equal(factsOf(ticket.id).length, 1, `call ${i}: one wrap-up`);
  }
  assert.equal(bridge.zd.state.tickets().length, answered.length, 'no stray tickets');

  // Every answered call popped once, on its assignee's screen.
  const pops = bridge.zd.pops.map((p) => `${p.agentId}:${p.id}`).toSorted();
  const expected = answered
    .map((p) => {
      const ticket = ticketsOf(bridge, p.call.linkedid)[0]!;
      return `${ticket.assignee_id}:${ticket.id}`;
    })
    .toSorted();
  assert.deepEqual(pops, expected);

  // Cache plus single-flight: each number searched once, however many calls it made.
  const requests = since();
  const searched = new Set(planned.map((p) => p.caller.e164).filter((n) => n !== undefined));
  assert.equal(requests.filter((r) => r.endpoint === SEARCH).length, searched.size);
  assert.deepEqual(
    requests.filter((r) => r.status === null || r.status >= 400),
    [],
    'no request failed',
  );
  assert.deepEqual(
    bridge.logged(/./, 'error').map((r) => r.msg),
    [],
  );
});

test('two simultaneous calls from one number the cache does not know: one search, both recognised', async (t) => {
  const bridge = await startBridge();
  t.after(() => bridge.close());
  // A slow search, so the second call joins while the first one's search is surely in flight.
  bridge.zd.faults.latency(250, SEARCH);
  const john = bridge.userByEmail('john.smith@example.com');
  const since = bridge.mark();
  const calls = [0, 1].map(() =>
    bridge.pbx.placeCall({
      queue: 'support',
      callerNum: '+12125550100',
      script: [{ ring: '101', ms: 30, outcome: 'answer' }],
    }),
  );
  await bridge.waitFor(() => bridge.zd.pops.length === 2, 'both pops');
  assert.deepEqual(
    calls.map((c) => ticketsOf(bridge, c.linkedid).map((tk) => tk.requester_id)),
    [[john.id], [john.id]],
  );
  assert.equal(since().filter((r) => r.endpoint === SEARCH).length, 1);
  const lookedUp = bridge.logged(/caller looked up/);
  assert.deepEqual(
    lookedUp.map((r) => [r.known, r.cached]),
    [
      [true, false],
      [true, false],
    ],
    'both calls got the search’s own answer, not a cache hit',
  );
});
