import assert from 'node:assert/strict';
import { test } from 'node:test';
import { j, startFake, userId } from './helpers.ts';

const VOICE = '/api/v2/channels/voice';

test('display ticket and user: 200 with an empty body, recorded as pops on the agent', async (t) => {
  const { zd, call, clock } = await startFake(t);
  const anna = userId(zd, 'anna.agent@example.com');
  const erika = userId(zd, 'erika.mustermann@example.com');
  const ticket = j(
    await call('POST', '/api/v2/tickets', { body: { ticket: { comment: { body: 'Call' } } } }),
  ).ticket;
  clock.advance(1_000);
  const shown = await call('POST', `${VOICE}/agents/${anna}/tickets/${ticket.id}/display.json`);
  assert.equal(shown.status, 200);
  assert.equal(shown.text, '');
  const profile = await call('POST', `${VOICE}/agents/${anna}/users/${erika}/display`);
  assert.equal(profile.status, 200);
  assert.deepEqual(zd.pops, [
    { at: clock.now(), agentId: anna, kind: 'ticket', id: ticket.id, via: 'display' },
    { at: clock.now(), agentId: anna, kind: 'user', id: erika, via: 'display' },
  ]);
});

test('display: 404 for an unknown agent, an end user as agent, an unknown ticket or user', async (t) => {
  const { zd, call } = await startFake(t);
  const anna = userId(zd, 'anna.agent@example.com');
  const erika = userId(zd, 'erika.mustermann@example.com');
  const ticket = j(
    await call('POST', '/api/v2/tickets', { body: { ticket: { comment: { body: 'Call' } } } }),
  ).ticket;
  const attempts = [
    `${VOICE}/agents/1/tickets/${ticket.id}/display`,
    `${VOICE}/agents/${erika}/tickets/${ticket.id}/display`,
    `${VOICE}/agents/${anna}/tickets/999/display`,
    `${VOICE}/agents/${anna}/users/1/display`,
  ];
  for (const path of attempts) {
    const res = await call('POST', path);
    assert.equal(res.status, 404, path);
    assert.deepEqual(res.body, { error: 'RecordNotFound', description: 'Not found' });
  }
  assert.equal(zd.pops.length, 0);
});

test('voice ticket: 201, via voice, popped on display_to_agent, with the voice comment', async (t) => {
  const { zd, call } = await startFake(t);
  const anna = userId(zd, 'anna.agent@example.com');
  const erika = userId(zd, 'erika.mustermann@example.com');
  const res = await call('POST', `${VOICE}/tickets.json`, {
    headers: { 'Idempotency-Key': 'call-1' },
    body: {
      display_to_agent: anna,
      ticket: {
        via_id: 45,
        subject: 'Call from +4930123456',
        requester_id: erika,
        assignee_id: anna,
        voice_comment: {
          from: '+4930123456',
          to: '+4930999000',
          recording_url: 'https://pbx.example.com/r.mp3',
          started_at: '2026-11-22T00:05:10Z',
          call_duration: 12,
          answered_by_id: anna,
        },
      },
    },
  });
  assert.equal(res.status, 201);
  assert.equal(res.headers.get('x-idempotency-lookup'), 'miss');
  const ticket = j(res).ticket;
  assert.deepEqual(ticket.via, { channel: 'voice', source: { from: {}, to: {}, rel: 'inbound' } });
  assert.deepEqual(zd.pops, [
    { at: zd.clock.now(), agentId: anna, kind: 'ticket', id: ticket.id, via: 'voice_ticket' },
  ]);
  assert.equal(zd.state.comments(ticket.id)[0]?.type, 'VoiceComment');
});

test('voice ticket: an invalid display_to_agent is 422 and no ticket is made', async (t) => {
  const { zd, call } = await startFake(t);
  const erika = userId(zd, 'erika.mustermann@example.com');
  for (const agent of [1, erika, 'anna']) {
    const res = await call('POST', `${VOICE}/tickets`, {
      body: { display_to_agent: agent, ticket: { via_id: 45, comment: { body: 'Call' } } },
    });
    assert.equal(res.status, 422, String(agent));
    assert.equal(j(res).details.display_to_agent[0].error, 'InvalidValue');
  }
  const badVia = await call('POST', `${VOICE}/tickets`, {
    body: { ticket: { via_id: 4, comment: { body: 'x' } } },
  });
  assert.equal(badVia.status, 422);
  assert.equal(zd.state.tickets().length, 0);
  assert.equal(zd.pops.length, 0);
});

test('without Talk Partner Edition the voice endpoints answer 403 Forbidden', async (t) => {
  const { zd, call } = await startFake(t, { talkPartnerEdition: false });
  const anna = userId(zd, 'anna.agent@example.com');
  const res = await call('POST', `${VOICE}/tickets`, {
    body: { display_to_agent: anna, ticket: { comment: { body: 'x' } } },
  });
  assert.equal(res.status, 403);
  assert.equal(j(res).error, 'Forbidden');
  assert.equal(zd.state.tickets().length, 0);
  assert.equal((await call('POST', `${VOICE}/agents/${anna}/users/${anna}/display`)).status, 403);
});
