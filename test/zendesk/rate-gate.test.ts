import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../../src/sim/pbx/prng.ts';
import type { Clock } from '../../src/sim/zendesk/clock.ts';
import { RateLimiter, rateHeaders } from '../../src/sim/zendesk/rate-limit.ts';
import { RateGate, type RatePermit } from '../../src/zendesk/rate-gate.ts';
import type { Lane } from '../../src/zendesk/request-lanes.ts';
import { captureLogs } from '../support/log-capture.ts';
import { SteppedClock } from '../support/stepped-clock.ts';

// The gate on its own, answered with the headers the fake Zendesk sends (its own RateLimiter and
// rateHeaders: `X-Rate-Limit*` on every answer, `ratelimit-*` on all but the Talk endpoints, 429 +
// Retry-After over budget, windows on the server clock's minutes).

const T0 = Date.parse('2026-11-23T09:00:00.000Z');
const sec = (s: number) => T0 + s * 1000;

/** A Zendesk account's budget as the fake keeps it, answering the gate's permits. */
function account(clock: Clock, limitPerMinute: number) {
  const limiter = new RateLimiter({ clock, limitPerMinute });
  const refused: number[] = [];
  return {
    limiter,
    refused,
    /** Zendesk serves the request now: spends budget, answers with its headers. */
    serve(permit: RatePermit, options: { talk?: boolean } = {}): boolean {
      const rate = limiter.take();
      const headers: Record<string, string> = rateHeaders(rate, !options.talk);
      if (!rate.allowed) {
        headers['Retry-After'] = String(rate.resetSec);
        refused.push(clock.now());
      }
      const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
      permit.answered(rate.allowed ? 200 : 429, (name) => lower.get(name));
      return rate.allowed;
    },
  };
}

/** Acquires, and notes when and in which order permits were granted. */
function recorder(gate: RateGate, clock: SteppedClock) {
  const granted: Array<{ lane: Lane; at: number; permit: RatePermit }> = [];
  return {
    granted,
    ask(lane: Lane): Promise<RatePermit> {
      return gate.acquire(lane).then((permit) => {
        granted.push({ lane, at: clock.now(), permit });
        return permit;
      });
    },
  };
}

/** Sends one request and answers it at once, so the gate knows the limit. */
async function learn(gate: RateGate, zd: ReturnType<typeof account>, lane: Lane = 'pop'): Promise<void> {
  zd.serve(await gate.acquire(lane));
}

test('in flight: an answer says what Zendesk had counted when it served it, not what is on its way', async () => {
  const clock = new SteppedClock(sec(10));
  const zd = account(clock, 10);
  const gate = new RateGate(clock);
  await learn(gate, zd); // 9 left
  const { granted, ask } = recorder(gate, clock);
  for (let i = 0; i < 9; i++) void ask('pop');
  await clock.advance(0);
  assert.equal(granted.length, 9, 'the budget the answer announced goes out at once');
  const tenth = ask('pop');
  // Answers arrive one at a time; the first says "8 left" while 8 others are still on their way.
  for (const { permit } of granted.slice(0, 9)) {
    assert.ok(zd.serve(permit), 'Zendesk accepts every request the gate let through');
    await clock.advance(100);
    assert.equal(granted.length, 9, 'no request beyond the budget, whatever the answers said');
  }
  await clock.advanceTo(sec(59.999));
  assert.equal(granted.length, 9);
  await clock.advanceTo(sec(60));
  assert.ok(zd.serve(await tenth), 'the tenth went with the new window and was accepted');
  assert.deepEqual(zd.refused, []);
});

test('in flight across a reset: requests sent just before it may count in the new window', async () => {
  const clock = new SteppedClock(sec(30));
  const zd = account(clock, 10);
  const gate = new RateGate(clock);
  await learn(gate, zd);
  const { granted, ask } = recorder(gate, clock);
  await clock.advanceTo(sec(59.9));
  for (let i = 0; i < 5; i++) void ask('pop');
  await clock.advance(0);
  assert.equal(granted.length, 5);
  // Zendesk serves them 200 ms later, in its new window.
  await clock.advanceTo(sec(60.1));
  for (const { permit } of granted) assert.ok(zd.serve(permit));
  for (let i = 0; i < 10; i++) void ask('pop');
  await clock.advance(0);
  assert.equal(granted.length, 10, 'the new window started with the 5 in flight taken off');
  for (const { permit } of granted.slice(5)) assert.ok(zd.serve(permit));
  assert.deepEqual(zd.refused, []);
});

test('when the budget runs out, pops wait in order and go first; lookups before background, which keeps the reserve', async () => {
  const clock = new SteppedClock(sec(0));
  const zd = account(clock, 10);
  const gate = new RateGate(clock);
  await learn(gate, zd);
  // One pop every 5 s: 10 a minute is what calls need.
  for (let i = 1; i <= 9; i++) {
    await clock.advanceTo(sec(5 * i));
    zd.serve(await gate.acquire('pop'));
  }
  await clock.advanceTo(sec(50));
  const { granted, ask } = recorder(gate, clock);
  const order = [ask('background'), ask('lookup'), ask('pop'), ask('pop')];
  await clock.advanceTo(sec(59.999));
  assert.equal(granted.length, 0, 'nothing left in this window');
  await clock.advanceTo(sec(60));
  assert.deepEqual(
    granted.map((g) => g.lane),
    ['pop', 'pop'],
    'the pops at once; the others wait for what the pops are expected to leave',
  );
  await clock.advanceTo(sec(120) - 1);
  await Promise.all(order);
  assert.deepEqual(
    granted.map((g) => g.lane),
    ['pop', 'pop', 'lookup', 'background'],
  );
  // Each waits until what is left covers the pops' expected share of the rest of the window
  // (their rate over the last minute, plus its spread); background also leaves 15 %.
  const [lookupAt, backgroundAt] = granted.slice(2).map((g) => (g.at - T0) / 1000);
  assert.ok(lookupAt! > 70 && lookupAt! <= backgroundAt!, `lookup at ${lookupAt} s`);
  assert.ok(backgroundAt! < 120, `background at ${backgroundAt} s`);
  for (const { permit } of granted) assert.ok(zd.serve(permit));
});

test('lookups waiting for the budget go newest first: the oldest is the likeliest to be too late', async () => {
  const clock = new SteppedClock(sec(0));
  const zd = account(clock, 3);
  const gate = new RateGate(clock);
  await learn(gate, zd);
  zd.serve(await gate.acquire('pop'));
  zd.serve(await gate.acquire('pop'));
  const order: number[] = [];
  const lookups = [1, 2, 3].map((n) =>
    gate.acquire('lookup').then((p) => {
      order.push(n);
      zd.serve(p);
    }),
  );
  await clock.advanceTo(sec(180));
  await Promise.all(lookups);
  assert.deepEqual(order, [3, 2, 1]);
});

test('background keeps a floor for calls; a backlog is paced over the minute and held until a minute of calls is known', async () => {
  const clock = new SteppedClock(sec(0));
  const zd = account(clock, 20);
  // A lane of two: two requests wait at the gate, the rest of the backlog (60) in the lane.
  let queued = 58;
  const gate = new RateGate(clock, { queued: (lane) => (lane === 'background' ? queued : 0) });
  await learn(gate, zd, 'background'); // 19 left
  const grants: number[] = [];
  const next = (): void => {
    void gate.acquire('background').then((permit) => {
      grants.push(clock.now());
      zd.serve(permit);
      if (queued > 0) {
        queued--;
        next();
      }
    });
  };
  next();
  next();
  await clock.advanceTo(sec(59.999));
  // 15 % of 20 (3) stays for calls; 16 go, one every 3 s (20 a minute, evenly).
  assert.deepEqual(
    grants.map((at) => (at - T0) / 1000),
    Array.from({ length: 16 }, (_, i) => 3 * (i + 1)),
  );
  assert.ok(zd.serve(await gate.acquire('pop')), 'a pop still finds the floor');
  // Calls are seen from 59.999 s: the backlog waits until it has seen a minute of them.
  await clock.advanceTo(sec(119.998));
  assert.equal(grants.length, 16);
  await clock.advanceTo(sec(180));
  assert.ok(grants.length > 16, 'then goes on');
  assert.deepEqual(zd.refused, []);
});

test('a few background requests (a sync, wrap-up comments) go at once when the budget is plentiful', async () => {
  const clock = new SteppedClock(sec(5));
  const zd = account(clock, 700);
  const gate = new RateGate(clock);
  await learn(gate, zd, 'lookup');
  for (let i = 0; i < 50; i++) zd.serve(await gate.acquire('pop')); // a burst of calls
  const { granted, ask } = recorder(gate, clock);
  for (let i = 0; i < 40; i++) void ask('background');
  await clock.advance(0);
  assert.equal(granted.length, 40);
});

test('Retry-After: after a 429 every lane waits exactly as long as Zendesk said', async () => {
  const clock = new SteppedClock(sec(10));
  const zd = account(clock, 30);
  const gate = new RateGate(clock);
  // Another client on the same account has spent this minute's budget.
  for (let i = 0; i < 30; i++) zd.limiter.take();
  assert.equal(
    zd.serve(await gate.acquire('pop')),
    false,
    'the first request meets the 429 (Retry-After: 50)',
  );
  const { granted, ask } = recorder(gate, clock);
  const all = [ask('pop'), ask('lookup'), ask('background')];
  await clock.advanceTo(sec(59.999));
  assert.equal(granted.length, 0, 'nothing before Retry-After');
  await clock.advanceTo(sec(60));
  assert.deepEqual(
    granted.map((g) => g.lane),
    ['pop', 'lookup', 'background'],
    'all at once, in order',
  );
  await Promise.all(all);
  for (const { permit } of granted) assert.ok(zd.serve(permit));
  assert.equal(zd.refused.length, 1);

  // A proxy's 429 with Retry-After and no rate headers: the same.
  const proxied = new SteppedClock(sec(0));
  const gate2 = new RateGate(proxied);
  (await gate2.acquire('pop')).answered(429, (name) => (name === 'retry-after' ? '20' : undefined));
  let sent = false;
  void gate2.acquire('pop').then(() => {
    sent = true;
  });
  await proxied.advanceTo(sec(19.999));
  assert.equal(sent, false);
  await proxied.advanceTo(sec(20));
  assert.equal(sent, true);
});

test("window reset: Talk answers (no ratelimit-reset) go by the clock's minutes", async () => {
  const clock = new SteppedClock(sec(40));
  const zd = account(clock, 5);
  const gate = new RateGate(clock);
  for (let i = 0; i < 5; i++) zd.serve(await gate.acquire('pop'), { talk: true });
  let sent = 0;
  for (let i = 0; i < 5; i++)
    void gate.acquire('pop').then((p) => {
      sent++;
      zd.serve(p, { talk: true });
    });
  await clock.advanceTo(sec(59.999));
  assert.equal(sent, 0);
  await clock.advanceTo(sec(60));
  assert.equal(sent, 5, 'a full budget at the minute, not a minute after the first answer');
  assert.deepEqual(zd.refused, []);
});

test('window reset: ratelimit-reset moves the window when Zendesk counts minutes differently', async () => {
  // Zendesk's clock is 25 s ahead: its windows end at :35 of the client's minutes.
  const clock = new SteppedClock(sec(0));
  const serverClock = { now: () => clock.now() + 25_000 };
  const zd = account(serverClock, 20);
  const gate = new RateGate(clock);
  const random = seededRandom(7);
  // Pops at twice the budget for five minutes, every third answered by a Talk endpoint.
  let asked = 0;
  for (let t = 0; t < 300_000; t += 1_500) {
    clock.at(sec(0) + t, () => {
      const talk = asked++ % 3 === 0;
      void gate
        .acquire('pop')
        .then((p) => clock.at(clock.now() + 50 + random() * 200, () => zd.serve(p, { talk })));
    });
  }
  await clock.advanceTo(sec(400));
  assert.deepEqual(
    zd.refused.map((at) => (at - T0) / 1000),
    [],
    'no 429 once the first answers told where the window ends',
  );
  assert.equal(asked, 200);
});

test('overload of every lane, answers out of order: no 429; pops in order, and nothing lower goes while a higher lane waits', async () => {
  const clock = new SteppedClock(sec(0));
  const zd = account(clock, 60);
  const backlog = { background: 0 };
  const gate = new RateGate(clock, { queued: (lane) => (lane === 'background' ? backlog.background : 0) });
  const random = seededRandom(2026);
  const requests: Array<{ lane: Lane; askedAt: number; grantedAt?: number }> = [];
  const popsGranted: number[] = [];
  const send = (lane: Lane) => {
    const request: (typeof requests)[number] = { lane, askedAt: clock.now() };
    const index = requests.push(request) - 1;
    void gate.acquire(lane).then((permit) => {
      request.grantedAt = clock.now();
      if (lane === 'pop') popsGranted.push(index);
      clock.at(clock.now() + 30 + random() * 400, () => {
        zd.serve(permit, { talk: lane === 'pop' });
        if (lane === 'background' && backlog.background > 0) {
          backlog.background--;
          send('background');
        }
      });
    });
  };
  // Pops at 50 a minute and lookups at 25 (together 1.25 × the budget of 60) at random, and a
  // backlog of 500 background jobs two at a time (a lane's concurrency), for five minutes.
  let t = 0;
  for (let i = 0; i < 250; i++) {
    t += -Math.log(1 - random()) * 1_200;
    clock.at(sec(0) + t, () => send('pop'));
  }
  t = 0;
  for (let i = 0; i < 125; i++) {
    t += -Math.log(1 - random()) * 2_400;
    clock.at(sec(0) + t, () => send('lookup'));
  }
  backlog.background = 498;
  send('background');
  send('background');
  await clock.advanceTo(sec(420));
  const sent = (lane: Lane) => requests.filter((r) => r.lane === lane && r.grantedAt !== undefined);
  const rank: Record<Lane, number> = { pop: 0, lookup: 1, background: 2 };
  // A request granted while one of a higher lane, asked for earlier, was still waiting.
  const overtaking = requests.filter(
    (low) =>
      low.grantedAt !== undefined &&
      requests.some(
        (high) =>
          rank[high.lane] < rank[low.lane] &&
          high.askedAt < low.grantedAt! &&
          (high.grantedAt ?? Number.POSITIVE_INFINITY) > low.grantedAt!,
      ),
  );
  console.log(
    `rate gate overload: sent pop ${sent('pop').length}, lookup ${sent('lookup').length}, background ${sent('background').length}; 429s ${zd.refused.length}`,
  );
  assert.deepEqual(zd.refused, []);
  assert.deepEqual(
    overtaking.map((r) => `${r.lane} at ${(r.grantedAt! - T0) / 1000} s`),
    [],
  );
  assert.equal(sent('pop').length, 250, 'every pop went');
  assert.deepEqual(
    popsGranted,
    [...popsGranted].sort((x, y) => x - y),
    'pops went in the order they were asked for',
  );
});

test('the test clock wakes sleepers in order and only when due', async () => {
  const clock = new SteppedClock(sec(0));
  const woke: number[] = [];
  void clock.sleep(300).then(() => woke.push(3));
  void clock.sleep(100).then(() => woke.push(1));
  void clock.sleep(200).then(() => woke.push(2));
  await clock.advance(150);
  assert.deepEqual(woke, [1]);
  await clock.advance(150);
  assert.deepEqual(woke, [1, 2, 3]);
});

// The secret-leak check of test/support/log-capture.ts runs after this file too.
captureLogs();
