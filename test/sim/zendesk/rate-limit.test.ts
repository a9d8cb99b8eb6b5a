import assert from 'node:assert/strict';
import { test } from 'node:test';
import { j, startFake, userId } from './helpers.ts';

test('every API answer carries the budget; ticketing endpoints add ratelimit-*', async (t) => {
  const { zd, call } = await startFake(t, { rateLimitPerMinute: 5 });
  const first = await call('GET', '/api/v2/groups');
  assert.equal(first.headers.get('X-Rate-Limit'), '5');
  assert.equal(first.headers.get('X-Rate-Limit-Remaining'), '4');
  assert.equal(first.headers.get('ratelimit-limit'), '5');
  assert.equal(first.headers.get('ratelimit-remaining'), '4');
  assert.equal(first.headers.get('ratelimit-reset'), '60');
  const second = await call('GET', '/api/v2/users/me');
  assert.equal(second.headers.get('X-Rate-Limit-Remaining'), '3');
  const anna = userId(zd, 'anna.agent@example.com');
  const talk = await call('POST', `/api/v2/channels/voice/agents/${anna}/users/${anna}/display`);
  assert.equal(talk.headers.get('X-Rate-Limit-Remaining'), '2');
  assert.equal(talk.headers.get('ratelimit-remaining'), null, 'Talk is not a ticketing endpoint');
});

test('an unauthenticated request gets the headers but spends nothing', async (t) => {
  const { call } = await startFake(t, { rateLimitPerMinute: 5 });
  const denied = await call('GET', '/api/v2/groups', { auth: null });
  assert.equal(denied.status, 401);
  assert.equal(denied.headers.get('X-Rate-Limit-Remaining'), '5');
  assert.equal((await call('GET', '/api/v2/groups')).headers.get('X-Rate-Limit-Remaining'), '4');
});

test('over the budget: 429 with Retry-After until the minute is over, then a fresh budget', async (t) => {
  const { call, clock } = await startFake(t, { rateLimitPerMinute: 3 });
  for (let i = 0; i < 3; i++) assert.equal((await call('GET', '/api/v2/groups')).status, 200);
  clock.advance(15_500);
  const refused = await call('GET', '/api/v2/groups');
  assert.equal(refused.status, 429);
  assert.equal(refused.headers.get('Retry-After'), '45');
  assert.equal(refused.headers.get('X-Rate-Limit-Remaining'), '0');
  assert.equal(j(refused).error, 'TooManyRequests');
  assert.equal((await call('GET', '/api/v2/groups')).status, 429, 'a refusal spends nothing, still refused');
  clock.advance(44_500);
  const again = await call('GET', '/api/v2/groups');
  assert.equal(again.status, 200);
  assert.equal(again.headers.get('X-Rate-Limit-Remaining'), '2');
});

test('the limit can be changed while running (plan change)', async (t) => {
  const { zd, call } = await startFake(t, { rateLimitPerMinute: 700 });
  zd.setRateLimitPerMinute(1);
  assert.equal((await call('GET', '/api/v2/groups')).status, 200);
  assert.equal((await call('GET', '/api/v2/groups')).status, 429);
});
