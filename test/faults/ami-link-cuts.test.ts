import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CallHandler } from '../../src/calls/call-handler.ts';
import type { CallSpec } from '../../src/sim/pbx/call-script.ts';
import { randomInt, seededRandom } from '../../src/sim/pbx/prng.ts';
import { startBridge } from '../support/bridge-harness.ts';

/**
 * The AMI link cut 10 times at random moments while 1 000 interleaved calls run through the real
 * daemon (fake PBX, fake Zendesk). Afterwards every call the PBX says was answered has exactly
 * one ticket, abandoned ones none, and the call handler tracks nothing any more.
 *
 * `AMI_CUTS_SEED=<n>` replays a run (the seed is printed). Talk times (1.2 s and more) are longer
 * than the daemon's reconnect delay (at most 0.5 s, twice for two cuts in a row): a call answered
 * *and* hung up while the link is down leaves nothing in CoreShowChannels/QueueStatus to rebuild
 * it from (see src/pbx/call-resync.ts), so this test does not produce such calls.
 */

const CALLS = 1_000;
const CUTS = 10;
const SEED = Number(process.env.AMI_CUTS_SEED ?? Math.floor(Math.random() * 2 ** 31));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const CALLER_NUMBERS: Array<string | undefined> = [
  '+4930123456',
  '030123456',
  '+12125550100',
  '+4922133344',
  '+49405550000',
  'anonymous',
  undefined,
];

const MEMBERS = { support: ['101', '102'], sales: ['201'] } as const;

interface Plan {
  spec: CallSpec;
  /** Wait after placing this call before the next. */
  gapMs: number;
}

function planCalls(seed: number): Plan[] {
  const random = seededRandom(seed);
  const between = (lo: number, hi: number) => randomInt(random, lo, hi);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  return Array.from({ length: CALLS }, (_, i) => {
    const queue = random() < 0.6 ? 'support' : 'sales';
    const members = MEMBERS[queue];
    const first = pick(members);
    const r = random();
    const callerNum =
      random() < 0.25
        ? `+49176${String(seed % 1000).padStart(3, '0')}${String(i).padStart(5, '0')}`
        : pick(CALLER_NUMBERS);
    const base = {
      queue,
      ...(callerNum === undefined ? {} : { callerNum }),
      talkMs: between(1_200, 2_500),
      hangup: random() < 0.5 ? ('caller' as const) : ('agent' as const),
    };
    let spec: CallSpec;
    if (r < 0.1) {
      // Gives up: nobody free, or while a member rings.
      spec = {
        ...base,
        script: random() < 0.5 ? [] : [{ ring: first, ms: 5_000, outcome: 'noanswer' }],
        abandonAfterMs: between(100, 900),
      };
    } else if (r < 0.25 && members.length > 1) {
      const second = members.find((m) => m !== first)!;
      spec = {
        ...base,
        script: [
          { ring: first, ms: between(20, 300), outcome: 'noanswer' },
          { ring: second, ms: between(20, 300), outcome: 'answer' },
        ],
      };
    } else {
      spec = { ...base, script: [{ ring: first, ms: between(20, 400), outcome: 'answer' }] };
    }
    return { spec, gapMs: between(10, 80) };
  });
}

test(`${CALLS} interleaved calls, the AMI link cut ${CUTS} times: every answered call has exactly one ticket`, async (t) => {
  console.log(`ami-link-cuts: seed ${SEED} (AMI_CUTS_SEED=${SEED} replays this plan)`);
  // The handler instance the daemon builds: at the end it must track no call any more.
  const handlers = new Set<CallHandler>();
  const handle = CallHandler.prototype.handle;
  CallHandler.prototype.handle = function (this: CallHandler, event) {
    handlers.add(this);
    handle.call(this, event);
  };
  t.after(() => {
    CallHandler.prototype.handle = handle;
  });

  const bridge = await startBridge({
    profile: { wrapUpSeconds: 0 },
    zendesk: { rateLimitPerMinute: 1_000_000 },
  });
  t.after(() => bridge.close());
  const pbx = bridge.pbx;
  const plans = planCalls(SEED);
  const placingMs = plans.reduce((sum, p) => sum + p.gapMs, 0);
  const cutRandom = seededRandom(SEED ^ 0x5bd1e995);
  const cutAt = Array.from({ length: CUTS }, () => 500 + Math.floor(cutRandom() * (placingMs - 500))).sort(
    (a, b) => a - b,
  );
  const linkUp = () => pbx.sessions.some((s) => s.authenticated);
  const started = Date.now();

  // Cuts: at each moment, once the daemon is logged in again (a cut may so land right after a
  // reconnect, while the resync reads the PBX).
  let cuts = 0;
  let cutsRightAfterReconnect = 0;
  const cutting = (async () => {
    for (const at of cutAt) {
      const wait = started + at - Date.now();
      if (wait > 0) await sleep(wait);
      if (!linkUp()) {
        await bridge.waitFor(linkUp, 'the daemon logged in again', 10_000);
        cutsRightAfterReconnect++;
      }
      pbx.dropConnections();
      cuts++;
    }
  })();

  const calls = [];
  for (const plan of plans) {
    calls.push(pbx.placeCall(plan.spec));
    await sleep(plan.gapMs);
  }
  await cutting;
  const results = await Promise.all(calls.map((c) => c.done));
  const placedMs = Date.now() - started;

  const ticketsOf = new Map<string, number>();
  const countTickets = () => {
    ticketsOf.clear();
    for (const ticket of bridge.zd.state.tickets()) {
      const id = String(ticket.external_id ?? '');
      if (id.startsWith('cti-bridge:')) ticketsOf.set(id.slice(11), (ticketsOf.get(id.slice(11)) ?? 0) + 1);
    }
  };
  const answered = calls.filter((_, i) => results[i]!.outcome === 'answered');
  const abandoned = calls.filter((_, i) => results[i]!.outcome === 'abandoned');
  const active = () => [...handlers].reduce((sum, h) => sum + h.activeCalls, 0);
  await bridge
    .waitFor(
      () => {
        countTickets();
        return answered.every((c) => ticketsOf.has(c.linkedid)) && active() === 0;
      },
      'a ticket for every answered call and no call tracked',
      30_000,
    )
    .catch(() => {});
  await sleep(500); // a late duplicate would show now
  countTickets();

  const lost = answered.filter((c) => !ticketsOf.has(c.linkedid));
  const duplicates = answered.reduce((sum, c) => sum + Math.max(0, (ticketsOf.get(c.linkedid) ?? 0) - 1), 0);
  const stray = abandoned.filter((c) => ticketsOf.has(c.linkedid));
  const tickets = [...ticketsOf.values()].reduce((a, b) => a + b, 0);
  const resyncs = bridge.logged(/calls rebuilt after the AMI reconnect/);
  const rebuilt = (key: string) => resyncs.reduce((sum, r) => sum + Number(r[key] ?? 0), 0);
  console.log(
    `calls ${calls.length}, answered ${answered.length}, tickets ${tickets}, lost ${lost.length}, duplicates ${duplicates}, link cuts ${cuts}`,
  );
  console.log(
    `ami-link-cuts: ${abandoned.length} abandoned (${stray.length} with a ticket); resyncs ${resyncs.length} ` +
      `(rebuilt: ${rebuilt('queued')} queued, ${rebuilt('answered')} answered, ${rebuilt('ended')} ended); ` +
      `resyncs failed ${bridge.logged(/calls not rebuilt/).length}; cuts right after a reconnect ${cutsRightAfterReconnect}; ` +
      `calls still tracked ${active()}; calls placed in ${placedMs} ms, total ${Date.now() - started} ms`,
  );

  assert.equal(cuts, CUTS);
  assert.equal(handlers.size, 1, 'one call handler');
  assert.ok(resyncs.length >= 1, 'the calls were rebuilt after reconnects');
  assert.deepEqual(
    lost.map((c) => c.linkedid),
    [],
    'every answered call has a ticket',
  );
  assert.equal(duplicates, 0, 'no answered call has two tickets');
  assert.deepEqual(
    stray.map((c) => c.linkedid),
    [],
    'no abandoned call has a ticket',
  );
  assert.equal(tickets, answered.length, 'no other tickets');
  assert.equal(active(), 0, 'the handler tracks no call any more');
});
