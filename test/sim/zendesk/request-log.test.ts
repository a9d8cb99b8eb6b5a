import assert from 'node:assert/strict';
import { test } from 'node:test';
import { j, startFake, userId } from './helpers.ts';

test('each request is recorded with its endpoint template, clock time, query, body and status', async (t) => {
  const { zd, call, clock } = await startFake(t);
  clock.advance(5_000);
  const anna = userId(zd, 'anna.agent@example.com');
  await call('GET', `/api/v2/users/${anna}.json?include=groups`);
  await call('POST', '/api/v2/tickets', { body: { ticket: { comment: { body: 'Call' } } } });
  await call('POST', '/api/v2/uploads?filename=a.wav', { raw: Buffer.alloc(123) });
  const [show, create, upload] = zd.requests;
  assert.equal(show?.at, clock.now());
  assert.equal(show?.method, 'GET');
  assert.equal(show?.path, `/api/v2/users/${anna}.json`);
  assert.deepEqual(show?.query, { include: 'groups' });
  assert.equal(show?.endpoint, 'GET /api/v2/users/{id}');
  assert.equal(show?.status, 200);
  assert.deepEqual(create?.body, { ticket: { comment: { body: 'Call' } } });
  assert.equal(create?.status, 201);
  assert.equal(upload?.body, undefined);
  assert.equal(upload?.bodyBytes, 123);
});

test('countByEndpoint groups paths with and without .json under one template', async (t) => {
  const { zd, call } = await startFake(t);
  const anna = userId(zd, 'anna.agent@example.com');
  const ticket = j(
    await call('POST', '/api/v2/tickets.json', { body: { ticket: { comment: { body: 'x' } } } }),
  ).ticket;
  await call('POST', `/api/v2/channels/voice/agents/${anna}/tickets/${ticket.id}/display.json`);
  await call('POST', `/api/v2/channels/voice/agents/${anna}/tickets/${ticket.id}/display`);
  await call('GET', '/api/v2/groups/');
  assert.deepEqual(zd.countByEndpoint(), {
    'POST /api/v2/tickets': 1,
    'POST /api/v2/channels/voice/agents/{agent_id}/tickets/{ticket_id}/display': 2,
    'GET /api/v2/groups': 1,
  });
});

test('an unknown path is InvalidEndpoint (404); a body that is not JSON is 400', async (t) => {
  const { zd, call } = await startFake(t);
  const unknown = await call('GET', '/api/v2/nothing-here');
  assert.equal(unknown.status, 404);
  assert.deepEqual(unknown.body, { error: 'InvalidEndpoint', description: 'Not found' });
  const garbled = await call('POST', '/api/v2/tickets', {
    raw: '{"ticket":',
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(garbled.status, 400);
  assert.equal(j(garbled).error, 'InvalidJSON');
  assert.deepEqual(zd.countByEndpoint(), { 'GET (no route)': 1, 'POST /api/v2/tickets': 1 });
});
