import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { test } from 'node:test';
import { API_TOKEN_AUTH, j, startFake } from './helpers.ts';

const TICKET = { ticket: { comment: { body: 'Call' } } };

/** A plain node:http GET, to see the socket-level error a dropped connection causes. */
function rawGet(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers: { authorization: API_TOKEN_AUTH } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

test('added latency is measurable, per endpoint or for all', async (t) => {
  const { zd, call } = await startFake(t);
  zd.faults.latency(80, 'GET /api/v2/groups');
  let started = performance.now();
  await call('GET', '/api/v2/groups');
  assert.ok(performance.now() - started >= 75, 'the named endpoint waits');
  started = performance.now();
  await call('GET', '/api/v2/users/me');
  assert.ok(performance.now() - started < 75, 'others do not');
  zd.faults.clear();
  started = performance.now();
  await call('GET', '/api/v2/groups');
  assert.ok(performance.now() - started < 75, 'cleared');
});

test('status faults: the next N requests fail with a JSON body and optional Retry-After', async (t) => {
  const { zd, call } = await startFake(t);
  zd.faults.next({ status: 503, count: 2, retryAfterSec: 7 });
  for (let i = 0; i < 2; i++) {
    const res = await call('GET', '/api/v2/groups');
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('Retry-After'), '7');
    assert.equal(j(res).error, 'ServiceUnavailable');
  }
  assert.equal((await call('GET', '/api/v2/groups')).status, 200);
  assert.equal(zd.faults.pending(), 0);
  assert.deepEqual(
    zd.requests.map((r) => [r.status, r.fault]),
    [
      [503, '503'],
      [503, '503'],
      [200, null],
    ],
  );
});

test('a fault scoped to an endpoint leaves the others alone', async (t) => {
  const { zd, call } = await startFake(t);
  zd.faults.next(500, { endpoint: 'POST /api/v2/tickets' });
  assert.equal((await call('GET', '/api/v2/groups')).status, 200);
  assert.equal((await call('POST', '/api/v2/tickets', { body: TICKET })).status, 500);
  assert.equal((await call('POST', '/api/v2/tickets', { body: TICKET })).status, 201);
});

test('non-JSON error pages and a huge body', async (t) => {
  const { zd, call } = await startFake(t);
  zd.faults.next('html');
  const html = await call('GET', '/api/v2/groups');
  assert.equal(html.status, 502);
  assert.match(html.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(html.text, /^<!DOCTYPE html>/);
  zd.faults.next({ kind: 'text', status: 503 });
  const text = await call('GET', '/api/v2/groups');
  assert.equal(text.status, 503);
  assert.equal(text.text, 'Internal Server Error\n');
  zd.faults.next({ kind: 'huge', bytes: 3 * 1024 * 1024 });
  const huge = await call('GET', '/api/v2/groups');
  assert.equal(huge.status, 200);
  assert.equal(huge.text.length, 3 * 1024 * 1024);
  assert.equal(typeof j(huge).padding, 'string');
});

test('timeout: the request is never answered, the client gives up; close() still returns promptly', async (t) => {
  const { zd, call } = await startFake(t);
  zd.faults.next('timeout');
  await assert.rejects(call('GET', '/api/v2/groups', { signal: AbortSignal.timeout(50) }), {
    name: 'TimeoutError',
  });
  assert.equal(zd.requests[0]?.outcome, 'timeout');
  assert.equal(zd.requests[0]?.status, null);
  const started = performance.now();
  await zd.close();
  assert.ok(performance.now() - started < 1000);
});

test('drop: the socket is destroyed without a response (socket hang up)', async (t) => {
  const { zd } = await startFake(t);
  zd.faults.next('drop');
  await assert.rejects(rawGet(`${zd.url}/api/v2/groups`), { code: 'ECONNRESET', message: 'socket hang up' });
  assert.equal(zd.requests[0]?.outcome, 'dropped');
  assert.equal(await rawGet(`${zd.url}/api/v2/groups`), 200);
});

test('a drop after the request took effect: the retry with the same Idempotency-Key gets the same ticket', async (t) => {
  const { zd, call } = await startFake(t);
  zd.faults.next({ kind: 'drop', after: true, endpoint: 'POST /api/v2/tickets' });
  const headers = { 'Idempotency-Key': 'call-42' };
  await assert.rejects(call('POST', '/api/v2/tickets', { body: TICKET, headers }));
  assert.equal(zd.state.tickets().length, 1, 'the ticket exists although the answer was lost');
  const retry = await call('POST', '/api/v2/tickets', { body: TICKET, headers });
  assert.equal(retry.status, 201);
  assert.equal(retry.headers.get('x-idempotency-lookup'), 'hit');
  assert.equal(j(retry).ticket.id, zd.state.tickets()[0]?.id);
  assert.equal(zd.state.tickets().length, 1);
});

test('an outage window on the clock: modes in turn until the window ends', async (t) => {
  const { zd, call, clock } = await startFake(t);
  zd.faults.window({ forMs: 10 * 60 * 1000, mode: [503, 'timeout'] });
  assert.equal((await call('GET', '/api/v2/groups')).status, 503);
  await assert.rejects(call('GET', '/api/v2/groups', { signal: AbortSignal.timeout(50) }), {
    name: 'TimeoutError',
  });
  clock.advance(9 * 60 * 1000);
  assert.equal((await call('GET', '/api/v2/groups')).status, 503);
  clock.advance(60 * 1000);
  assert.equal((await call('GET', '/api/v2/groups')).status, 200);
  assert.deepEqual(
    zd.requests.map((r) => r.outcome),
    ['answered', 'timeout', 'answered', 'answered'],
  );
});
