import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Fake, j, startFake, userId } from './helpers.ts';

function ids(fake: Fake) {
  const { zd } = fake;
  return {
    erika: userId(zd, 'erika.mustermann@example.com'),
    anna: userId(zd, 'anna.agent@example.com'),
    support: zd.state.groups().find((g) => g.name === 'Support')!.id,
  };
}

test('create: 201 with the fields, a first comment, via api; external_id lookup finds it', async (t) => {
  const fake = await startFake(t);
  const { erika, anna, support } = ids(fake);
  const res = await fake.call('POST', '/api/v2/tickets.json', {
    body: {
      ticket: {
        subject: 'Call from +4930123456',
        comment: { body: 'Inbound call', public: false },
        requester_id: erika,
        assignee_id: anna,
        group_id: support,
        tags: ['phone', 'cti'],
        external_id: 'call-1795305910.0',
      },
    },
  });
  assert.equal(res.status, 201);
  const ticket = j(res).ticket;
  assert.equal(ticket.requester_id, erika);
  assert.equal(
    ticket.submitter_id,
    userId(fake.zd, 'admin@example.com'),
    'submitter defaults to the API user',
  );
  assert.equal(ticket.status, 'open');
  assert.equal(ticket.via.channel, 'api');
  assert.deepEqual(ticket.tags, ['phone', 'cti']);
  assert.equal(ticket.description, 'Inbound call');
  assert.equal(ticket.is_public, false);

  const lookup = j(
    await fake.call('GET', `/api/v2/tickets.json?external_id=${encodeURIComponent('call-1795305910.0')}`),
  );
  assert.deepEqual(
    lookup.tickets.map((t: { id: number }) => t.id),
    [ticket.id],
  );
  assert.equal(j(await fake.call('GET', '/api/v2/tickets?external_id=nope')).tickets.length, 0);
  assert.equal(
    j(await fake.call('GET', `/api/v2/tickets/${ticket.id}`)).ticket.subject,
    'Call from +4930123456',
  );
  assert.equal((await fake.call('GET', '/api/v2/tickets/999')).status, 404);
});

test('create: unknown ids, an end user as assignee and a missing comment are 422; nothing is created', async (t) => {
  const fake = await startFake(t);
  const { erika } = ids(fake);
  const res = await fake.call('POST', '/api/v2/tickets', {
    body: {
      ticket: {
        subject: 'x',
        requester_id: 1,
        submitter_id: 2,
        assignee_id: erika,
        group_id: 3,
        comment: { body: '' },
      },
    },
  });
  assert.equal(res.status, 422);
  const body = j(res);
  assert.equal(body.error, 'RecordInvalid');
  assert.deepEqual(Object.keys(body.details).sort(), [
    'assignee_id',
    'comment',
    'group_id',
    'requester_id',
    'submitter_id',
  ]);
  const noComment = await fake.call('POST', '/api/v2/tickets', { body: { ticket: { subject: 'x' } } });
  assert.equal(noComment.status, 422);
  assert.equal(j(noComment).details.description[0].error, 'BlankValue');
  assert.equal((await fake.call('POST', '/api/v2/tickets', { body: { nope: 1 } })).status, 400);
  assert.equal(fake.zd.state.tickets().length, 0);
});

test('Idempotency-Key: miss then hit with the same ticket; another body is 400; forgotten after 2 h', async (t) => {
  const fake = await startFake(t);
  const { erika } = ids(fake);
  const ticket = { ticket: { subject: 'Call', requester_id: erika, comment: { body: 'Inbound call' } } };
  const headers = { 'Idempotency-Key': 'call-1795305910.0' };
  const first = await fake.call('POST', '/api/v2/tickets', { body: ticket, headers });
  assert.equal(first.status, 201);
  assert.equal(first.headers.get('x-idempotency-lookup'), 'miss');
  const replay = await fake.call('POST', '/api/v2/tickets', { body: ticket, headers });
  assert.equal(replay.status, 201);
  assert.equal(replay.headers.get('x-idempotency-lookup'), 'hit');
  assert.equal(j(replay).ticket.id, j(first).ticket.id);
  assert.equal(fake.zd.state.tickets().length, 1);

  const other = await fake.call('POST', '/api/v2/tickets', {
    body: { ticket: { ...ticket.ticket, subject: 'Other' } },
    headers,
  });
  assert.equal(other.status, 400);
  assert.equal(fake.zd.state.tickets().length, 1);

  fake.clock.advance(2 * 60 * 60 * 1000);
  const later = await fake.call('POST', '/api/v2/tickets', { body: ticket, headers });
  assert.equal(later.headers.get('x-idempotency-lookup'), 'miss');
  assert.notEqual(j(later).ticket.id, j(first).ticket.id);
});

test('a 422 is not remembered under its key: the corrected request creates the ticket', async (t) => {
  const fake = await startFake(t);
  const headers = { 'Idempotency-Key': 'k-422' };
  const refused = await fake.call('POST', '/api/v2/tickets', { body: { ticket: { subject: 'x' } }, headers });
  assert.equal(refused.status, 422);
  const fixed = await fake.call('POST', '/api/v2/tickets', {
    body: { ticket: { subject: 'x', comment: { body: 'now with a body' } } },
    headers,
  });
  assert.equal(fixed.status, 201);
  assert.equal(fixed.headers.get('x-idempotency-lookup'), 'miss');
});

test('update with a private comment and uploads: attachments appear on the comment', async (t) => {
  const fake = await startFake(t);
  const created = j(
    await fake.call('POST', '/api/v2/tickets', { body: { ticket: { comment: { body: 'Call' } } } }),
  ).ticket;
  const wav = Buffer.from('RIFF....WAVEfmt fake recording bytes');
  const upload = await fake.call('POST', '/api/v2/uploads.json?filename=call.wav', {
    raw: wav,
    headers: { 'content-type': 'audio/wav' },
  });
  assert.equal(upload.status, 201);
  const { token, attachment, expires_at } = j(upload).upload;
  assert.equal(attachment.content_type, 'audio/wav');
  assert.equal(attachment.size, wav.length);
  assert.equal(expires_at, '2026-11-22T10:00:00Z', 'valid 60 minutes');

  const updated = await fake.call('PUT', `/api/v2/tickets/${created.id}.json`, {
    body: {
      ticket: {
        comment: { body: 'Recording attached', public: false, uploads: [token] },
        additional_tags: ['recorded'],
      },
    },
  });
  assert.equal(updated.status, 200);
  assert.deepEqual(j(updated).ticket.tags, ['recorded']);
  const comments = j(await fake.call('GET', `/api/v2/tickets/${created.id}/comments.json`)).comments;
  assert.deepEqual(
    comments.map((c: { body: string; public: boolean }) => [c.body, c.public]),
    [
      ['Call', true],
      ['Recording attached', false],
    ],
  );
  assert.equal(comments[1].attachments[0].file_name, 'call.wav');
  const download = await fetch(comments[1].attachments[0].content_url);
  assert.deepEqual(Buffer.from(await download.arrayBuffer()), wav);

  const reused = await fake.call('PUT', `/api/v2/tickets/${created.id}`, {
    body: { ticket: { comment: { body: 'again', uploads: [token] } } },
  });
  assert.equal(reused.status, 422, 'a token attaches once');
  assert.equal((await fake.call('GET', '/api/v2/tickets/999/comments')).status, 404);
});

test('uploads: over the limit is 413, an expired token is refused, a token collects several files', async (t) => {
  const fake = await startFake(t, { maxUploadBytes: 1024 });
  const big = await fake.call('POST', '/api/v2/uploads?filename=big.wav', { raw: Buffer.alloc(1025) });
  assert.equal(big.status, 413);
  assert.equal(fake.zd.state.uploads().length, 0);

  const first = j(
    await fake.call('POST', '/api/v2/uploads?filename=a.wav', { raw: Buffer.alloc(10) }),
  ).upload;
  const second = await fake.call('POST', `/api/v2/uploads?filename=b.wav&token=${first.token}`, {
    raw: Buffer.alloc(20),
  });
  assert.equal(second.status, 201);
  assert.deepEqual(
    j(second).upload.attachments.map((a: { file_name: string }) => a.file_name),
    ['a.wav', 'b.wav'],
  );
  assert.equal(
    (await fake.call('POST', '/api/v2/uploads', { raw: 'x' })).status,
    400,
    'filename is required',
  );

  fake.clock.advance(60 * 60 * 1000);
  const late = await fake.call('POST', '/api/v2/tickets', {
    body: { ticket: { comment: { body: 'late', uploads: [first.token] } } },
  });
  assert.equal(late.status, 422);
  assert.equal(j(late).details.uploads[0].error, 'InvalidValue');
});

test('voice_comment on the Tickets API: required call fields, MP3/WAV recording', async (t) => {
  const fake = await startFake(t);
  const { anna } = ids(fake);
  const voice = {
    from: '+4930123456',
    to: '+4930999000',
    recording_url: 'https://pbx.example.com/rec/1795305910.0.wav',
    started_at: '2026-11-22T00:05:10Z',
    call_duration: 65,
    answered_by_id: anna,
  };
  const ok = await fake.call('POST', '/api/v2/tickets', {
    body: { ticket: { subject: 'Call', voice_comment: voice } },
  });
  assert.equal(ok.status, 201);
  const [comment] = fake.zd.state.comments(j(ok).ticket.id);
  assert.equal(comment?.type, 'VoiceComment');
  assert.match(comment?.body ?? '', /Answered by: Anna Agent/);

  const bad = await fake.call('POST', '/api/v2/tickets', {
    body: {
      ticket: {
        voice_comment: {
          ...voice,
          recording_url: 'https://pbx.example.com/rec/1.ogg',
          call_duration: undefined,
        },
      },
    },
  });
  assert.equal(bad.status, 422);
  assert.equal(j(bad).details.voice_comment.length, 2);
});
