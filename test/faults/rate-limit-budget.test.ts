import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../src/sim/zendesk/index.ts';
import { captureLogs } from '../support/log-capture.ts';
import { SteppedClock } from '../support/stepped-clock.ts';
import { zendeskWithClient } from '../support/zendesk-client.ts';

test('429 + Retry-After: the client waits as told and stays inside the budget it learns', async (t) => {
  const { logger } = captureLogs();
  const clock = new ManualClock();
  const budget = 60;
  const { zd, helpdesk, http } = await zendeskWithClient({
    logger,
    clock,
    fake: { rateLimitPerMinute: budget },
  });
  t.after(() => zd.close());
  const erika = zd.state.userByEmail('erika.mustermann@example.com')!;
  // Someone else spent most of this minute's budget before the bridge's first request.
  zd.faults.next({ status: 429, retryAfterSec: 20 });
  const started = clock.now();
  // Five simulated minutes of demand at four times the budget: lookups and background reads.
  const work: Promise<unknown>[] = [];
  for (let i = 0; i < budget * 4; i++) {
    work.push(i % 2 ? helpdesk.findUsersByPhone('+4930123456') : helpdesk.getUser(erika.id));
  }
  await Promise.all(work);
  const minutes = new Map<number, number>();
  for (const r of zd.requests) {
    const minute = Math.floor((r.at - started) / 60_000);
    minutes.set(minute, (minutes.get(minute) ?? 0) + 1);
  }
  const refused = zd.requests.filter((r) => r.status === 429).length;
  const busiest = Math.max(...minutes.values());
  console.log(
    `rate limit: budget ${budget}/min, requests ${zd.requests.length}, 429s ${refused} (1 injected), busiest minute ${busiest}, simulated minutes ${minutes.size}, waits ${http.rate.snapshot().blockedForMs} ms left`,
  );
  assert.equal(refused, 1, 'only the injected 429: the learned budget is never exceeded');
  assert.ok(busiest <= budget, `at most ${budget} requests in any minute (got ${busiest})`);
  assert.ok(zd.requests[1]!.at - zd.requests[0]!.at >= 20_000, 'the second request waited for Retry-After');
});

test('a backlog of background work never takes the budget the pops need', async (t) => {
  const { logger } = captureLogs();
  // Time moves only when the test moves it: what went before the pops is not decided by a wait
  // that passes at once.
  const clock = new SteppedClock();
  const budget = 30;
  const { zd, helpdesk } = await zendeskWithClient({
    logger,
    rateClock: clock,
    fake: { clock, rateLimitPerMinute: budget },
  });
  t.after(() => zd.close());
  const erika = zd.state.userByEmail('erika.mustermann@example.com')!;
  const anna = zd.state.userByEmail('anna.agent@example.com')!;
  const started = clock.now();
  // 100 background reads (two requests each) queued first, then 25 calls answered at once.
  const background = Array.from({ length: 100 }, () => helpdesk.getUser(erika.id));
  const pops = Array.from({ length: 25 }, (_, i) =>
    helpdesk.openCallTicket({
      callId: `1795307000.${i}`,
      idempotencyKey: `cti-bridge-call-1795307000.${i}`,
      requesterId: erika.id,
      groupId: undefined,
      assigneeId: anna.id,
      subject: 'Call from +4930123456',
      comment: 'Inbound call',
      tags: ['cti-bridge'],
      popToAgentId: anna.id,
      call: { from: '+4930123456', queue: 'support', startedAt: 0 },
    }),
  );
  const popped = await Promise.all(pops);
  const lastPop = zd.requests.findLastIndex((r) => r.endpoint === 'POST /api/v2/channels/voice/tickets');
  const backgroundFirst = zd.requests
    .slice(0, lastPop)
    .filter((r) => r.endpoint.startsWith('GET /api/v2/users'));
  let finished = false;
  void Promise.all(background).then(() => {
    finished = true;
  });
  for (let second = 0; second < 3_600 && !finished; second++) await clock.advance(1_000);
  assert.ok(finished, 'the backlog was done within an hour of simulated time');
  const minutes = new Map<number, number>();
  for (const r of zd.requests) {
    const minute = Math.floor((r.at - started) / 60_000);
    minutes.set(minute, (minutes.get(minute) ?? 0) + 1);
  }
  const refused = zd.requests.filter((r) => r.status === 429).length;
  console.log(
    `background backlog: ${popped.length} pops sent with ${backgroundFirst.length} background request(s) ahead of them (the one that learned the budget); ${zd.requests.length} requests over ${minutes.size} simulated minutes, busiest ${Math.max(...minutes.values())}, 429s ${refused}`,
  );
  assert.ok(popped.every((p) => p.popped));
  assert.ok(
    backgroundFirst.length <= 1,
    `${backgroundFirst.length} background requests went before the last pop`,
  );
  assert.equal(refused, 0);
  assert.ok(Math.max(...minutes.values()) <= budget);
});
