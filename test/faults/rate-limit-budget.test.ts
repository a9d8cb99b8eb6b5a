import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../src/sim/zendesk/index.ts';
import { captureLogs } from '../support/log-capture.ts';
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
