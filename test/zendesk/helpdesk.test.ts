import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type TestContext, test } from 'node:test';
import type { NewCallTicket } from '../../src/calls/ports.ts';
import { ManualClock } from '../../src/sim/zendesk/index.ts';
import { ZendeskApiError } from '../../src/zendesk/errors.ts';
import { ZendeskHelpdesk } from '../../src/zendesk/zendesk-helpdesk.ts';
import { captureLogs } from '../support/log-capture.ts';
import { oauthFor, zendeskWithClient } from '../support/zendesk-client.ts';

function ticketFor(callId: string, requesterId: number, agentId: number | undefined): NewCallTicket {
  return {
    callId,
    idempotencyKey: `cti-bridge-call-${callId}`,
    requesterId,
    groupId: undefined,
    assigneeId: agentId,
    subject: 'Call from +4930123456',
    comment: 'Inbound call',
    tags: ['cti-bridge'],
    popToAgentId: agentId,
    call: { from: '+4930123456', queue: 'support', startedAt: 0 },
  };
}

test('phone search finds the one end user with the number, digits only behind *', async (t) => {
  const { logger } = captureLogs();
  const { zd, helpdesk } = await zendeskWithClient({ logger });
  t.after(() => zd.close());
  const users = await helpdesk.findUsersByPhone('+4930123456');
  assert.deepEqual(
    users.map((u) => u.name),
    ['Erika Mustermann'],
  );
  assert.equal(zd.requests.at(-1)?.query.query, 'role:end-user phone:*4930123456');
  const shared = await helpdesk.findUsersByPhone('+49405550000');
  assert.equal(shared.length, 2, 'both users of a shared line come back; the domain calls it ambiguous');
});

test('Talk Partner Edition: one request creates the ticket and opens it on the agent screen', async (t) => {
  const { logger } = captureLogs();
  const { zd, helpdesk } = await zendeskWithClient({ logger });
  t.after(() => zd.close());
  const anna = zd.state.userByEmail('anna.agent@example.com')!;
  const erika = zd.state.userByEmail('erika.mustermann@example.com')!;
  const before = zd.requests.length;
  const created = await helpdesk.openCallTicket(ticketFor('1795305910.0', erika.id, anna.id));
  assert.equal(zd.requests.length - before, 1);
  assert.equal(created.popped, true);
  assert.deepEqual(
    zd.pops.map((p) => [p.agentId, p.id, p.via]),
    [[anna.id, created.id, 'voice_ticket']],
  );
  const ticket = zd.state.ticket(created.id)!;
  assert.equal(ticket.external_id, 'cti-bridge:1795305910.0');
  assert.equal(ticket.requester_id, erika.id);
});

test('create + display (talkPartnerEdition: false in the profile): two requests, still popped', async (t) => {
  const { logger } = captureLogs();
  const { zd, helpdesk } = await zendeskWithClient({
    logger,
    talkPartnerEdition: false,
    fake: { talkPartnerEdition: true },
  });
  t.after(() => zd.close());
  const anna = zd.state.userByEmail('anna.agent@example.com')!;
  const created = await helpdesk.openCallTicket(ticketFor('c-2', anna.id, anna.id));
  assert.equal(created.popped, true);
  assert.deepEqual(
    zd.requests.map((r) => r.endpoint),
    ['POST /api/v2/tickets', 'POST /api/v2/channels/voice/agents/{agent_id}/tickets/{ticket_id}/display'],
  );
  assert.equal(zd.pops.length, 1);
});

test('a 503 on creation is retried with the same Idempotency-Key: exactly one ticket', async (t) => {
  const { logger, records } = captureLogs();
  const clock = new ManualClock();
  const { zd, helpdesk } = await zendeskWithClient({ logger, clock });
  t.after(() => zd.close());
  const erika = zd.state.userByEmail('erika.mustermann@example.com')!;
  const anna = zd.state.userByEmail('anna.agent@example.com')!;
  // The first attempt takes effect but its answer is lost; the retry must not make a second ticket.
  zd.faults.next({ kind: 'drop', after: true });
  const created = await helpdesk.openCallTicket(ticketFor('c-3', erika.id, anna.id));
  assert.equal(zd.state.tickets().filter((tk) => tk.external_id === 'cti-bridge:c-3').length, 1);
  assert.equal(created.id, zd.state.tickets().at(-1)?.id);
  assert.ok(records().some((r) => r.level === 'warn' && /retrying/.test(String(r.msg))));
});

test('an account without the Talk API: the ticket is created, the refused display is a WARN', async (t) => {
  const { logger, records } = captureLogs();
  const { zd, helpdesk } = await zendeskWithClient({
    logger,
    talkPartnerEdition: false,
    fake: { talkPartnerEdition: false },
  });
  t.after(() => zd.close());
  const anna = zd.state.userByEmail('anna.agent@example.com')!;
  const created = await helpdesk.openCallTicket(ticketFor('c-4b', anna.id, anna.id));
  assert.equal(created.popped, false);
  assert.equal(zd.state.tickets().length, 1);
  assert.ok(records().some((r) => r.level === 'warn' && /not opened/.test(String(r.msg))));
});

test('an agent Zendesk will not pop for (422) still gets the ticket, created without the pop', async (t) => {
  const { logger } = captureLogs();
  const { zd, helpdesk } = await zendeskWithClient({ logger });
  t.after(() => zd.close());
  const erika = zd.state.userByEmail('erika.mustermann@example.com')!;
  const created = await helpdesk.openCallTicket({
    ...ticketFor('c-4', erika.id, undefined),
    popToAgentId: erika.id,
  });
  assert.equal(created.popped, false);
  assert.equal(zd.state.tickets().length, 1);
  assert.equal(zd.pops.length, 0);
});

test('a private comment returns the requester as the agent left it; identities are added once', async (t) => {
  const { logger } = captureLogs();
  const { zd, helpdesk } = await zendeskWithClient({ logger });
  t.after(() => zd.close());
  const anna = zd.state.userByEmail('anna.agent@example.com')!;
  const hans = zd.state.users().find((u) => u.name === 'Hans Lokal')!;
  const created = await helpdesk.openCallTicket(ticketFor('c-5', anna.id, anna.id));
  const after = await helpdesk.addPrivateComment(created.id, 'Call facts');
  assert.equal(after.requesterId, anna.id);
  await helpdesk.addPhoneIdentity(hans.id, '+4930111222');
  await helpdesk.addPhoneIdentity(hans.id, '+4930111222');
  const user = await helpdesk.getUser(hans.id);
  assert.ok(user.phones.includes('+4930111222'));
  assert.equal(user.phones.filter((p) => p === '+4930111222').length, 1);
});

test('Zendesk errors carry status, code and endpoint; a 404 is not retried', async (t) => {
  const { logger } = captureLogs();
  const { zd, helpdesk } = await zendeskWithClient({ logger });
  t.after(() => zd.close());
  await assert.rejects(helpdesk.getUser(999), (error: unknown) => {
    assert.ok(error instanceof ZendeskApiError);
    assert.equal(error.status, 404);
    assert.equal(error.code, 'RecordNotFound');
    assert.equal(error.retryable, false);
    assert.match(error.message, /GET \/api\/v2\/users\/\{id\}: 404 RecordNotFound/);
    return true;
  });
  assert.equal(zd.requests.length, 1);
});

test('an HTML error page becomes a clear error, not a JSON crash', async (t) => {
  const { logger } = captureLogs();
  const { zd, helpdesk } = await zendeskWithClient({ logger });
  t.after(() => zd.close());
  zd.faults.next({ kind: 'html', status: 502 }, { count: 2 });
  await assert.rejects(helpdesk.findUsersByPhone('+4930123456'), /HTML error page/);
});

test('OAuth: a rejected access token is renewed once with the refresh token', async (t) => {
  const { logger, lines } = captureLogs();
  const { zd, helpdesk } = await zendeskWithClient({
    logger,
    auth: (fake) => oauthFor(fake, 'stale-access-token', 'fake-refresh-token', logger),
  });
  t.after(() => zd.close());
  const users = await helpdesk.findUsersByPhone('+4930123456');
  assert.equal(users.length, 1);
  assert.deepEqual(
    zd.requests.map((r) => [r.endpoint, r.status]),
    [
      ['GET /api/v2/search', 401],
      ['POST /oauth/tokens', 200],
      ['GET /api/v2/search', 200],
    ],
  );
  assert.ok(!lines.join('\n').includes('fake-refresh-token'));
});

test('429 + Retry-After: the client waits as told and sends nothing before', async (t) => {
  const { logger } = captureLogs();
  const clock = new ManualClock();
  const { zd, helpdesk, http } = await zendeskWithClient({ logger, clock });
  t.after(() => zd.close());
  zd.faults.next({ status: 429, retryAfterSec: 7 });
  const started = clock.now();
  await helpdesk.findUsersByPhone('+4930123456');
  assert.ok(clock.now() - started >= 7_000, `waited ${clock.now() - started} ms of simulated time`);
  assert.equal(zd.requests.length, 2);
  assert.equal(http.rate.snapshot().blockedForMs, 0);
});

async function tempFile(t: TestContext, name: string, bytes: Buffer): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'cti-upload-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, name);
  await writeFile(file, bytes);
  return file;
}

test('a recording is uploaded streamed with its MIME type and attached by a private comment', async (t) => {
  const { logger } = captureLogs();
  const { zd, helpdesk } = await zendeskWithClient({ logger });
  t.after(() => zd.close());
  const bytes = randomBytes(300_000);
  const file = await tempFile(t, '1795306004.26.wav', bytes);
  const token = await helpdesk.uploadFile({
    path: file,
    name: '1795306004.26.wav',
    contentType: 'audio/wav',
    size: bytes.length,
  });
  const upload = zd.requests.at(-1)!;
  assert.equal(upload.endpoint, 'POST /api/v2/uploads');
  assert.equal(upload.query.filename, '1795306004.26.wav');
  const erika = zd.state.userByEmail('erika.mustermann@example.com')!;
  const created = await helpdesk.openCallTicket(ticketFor('1795306004.26', erika.id, undefined));
  const after = await helpdesk.addPrivateComment(created.id, 'Call facts\n\nRecording attached.', [token]);
  assert.equal(after.requesterId, erika.id);
  const comment = zd.state.comments(created.id).at(-1)!;
  assert.equal(comment.public, false);
  assert.equal(comment.attachment_ids.length, 1);
  const attachment = zd.state.attachment(comment.attachment_ids[0]!)!;
  assert.equal(attachment.content_type, 'audio/wav');
  assert.equal(attachment.file_name, '1795306004.26.wav');
  assert.ok(attachment.data.equals(bytes), 'the bytes on the ticket are the bytes of the file');
});

test('a file over the upload limit is refused with 413, not retried', async (t) => {
  const { logger } = captureLogs();
  const { zd, helpdesk } = await zendeskWithClient({ logger, fake: { maxUploadBytes: 100_000 } });
  t.after(() => zd.close());
  const bytes = randomBytes(150_000);
  const file = await tempFile(t, 'big.wav', bytes);
  const before = zd.requests.length;
  await assert.rejects(
    helpdesk.uploadFile({ path: file, name: 'big.wav', contentType: 'audio/wav', size: bytes.length }),
    (error: unknown) => error instanceof ZendeskApiError && error.status === 413 && !error.retryable,
  );
  assert.equal(zd.requests.length - before, 1);
});

test('an upload that fails with 503 is sent again from the start of the file', async (t) => {
  const { logger } = captureLogs();
  const { zd, helpdesk } = await zendeskWithClient({ logger });
  t.after(() => zd.close());
  const bytes = randomBytes(64_000);
  const file = await tempFile(t, 'retry.wav', bytes);
  zd.faults.next({ status: 503, endpoint: 'POST /api/v2/uploads' });
  const token = await helpdesk.uploadFile({
    path: file,
    name: 'retry.wav',
    contentType: 'audio/wav',
    size: bytes.length,
  });
  const upload = zd.state.uploads().find((u) => u.token === token)!;
  assert.equal(zd.state.attachment(upload.attachment_ids[0]!)!.data.length, bytes.length);
});

test('slow uploads running in the background never delay a screen pop', async (t) => {
  const { logger } = captureLogs();
  const { zd, helpdesk } = await zendeskWithClient({ logger });
  t.after(() => zd.close());
  zd.faults.latency(1_500, 'POST /api/v2/uploads');
  const bytes = randomBytes(2_000_000);
  const file = await tempFile(t, 'slow.wav', bytes);
  // More uploads than the background lane runs at once: some wait, all hold their slots for 1.5 s.
  const uploads = Array.from({ length: 4 }, (_, i) =>
    helpdesk.uploadFile({ path: file, name: `slow-${i}.wav`, contentType: 'audio/wav', size: bytes.length }),
  );
  await new Promise((resolve) => setTimeout(resolve, 100));
  const anna = zd.state.userByEmail('anna.agent@example.com')!;
  const erika = zd.state.userByEmail('erika.mustermann@example.com')!;
  const started = performance.now();
  const created = await helpdesk.openCallTicket(ticketFor('1795306010.1', erika.id, anna.id));
  const popMs = performance.now() - started;
  assert.equal(created.popped, true);
  const uploadsDone = zd.state.uploads().length;
  // Ordering, not timing: the pop was answered while every upload still waited for its answer.
  assert.equal(uploadsDone, 0, `the pop (${Math.round(popMs)} ms) waited behind an upload`);
  await Promise.all(uploads);
});

test('batched comments: one update_many, the job read until it ran; a job that never runs is a retryable error', async (t) => {
  const { logger } = captureLogs();
  const clock = new ManualClock();
  const { zd, http } = await zendeskWithClient({ logger, fake: { jobDelayMs: 60_000, clock } });
  t.after(() => zd.close());
  const helpdesk = new ZendeskHelpdesk({
    http,
    talkPartnerEdition: true,
    logger,
    jobPolling: { firstMs: 20, maxMs: 40, totalMs: 300 },
  });
  const erika = zd.state.userByEmail('erika.mustermann@example.com')!;
  const a = await helpdesk.openCallTicket(ticketFor('1795306100.1', erika.id, undefined));
  const b = await helpdesk.openCallTicket(ticketFor('1795306100.2', erika.id, undefined));
  const comments = [
    { ticketId: a.id, body: 'Call facts A' },
    { ticketId: b.id, body: 'Call facts B' },
  ];
  await assert.rejects(helpdesk.addPrivateComments(comments), (error: unknown) => {
    assert.ok(error instanceof ZendeskApiError);
    assert.equal(error.code, 'JobTimeout');
    assert.equal(error.retryable, true);
    return true;
  });
  const before = zd.requests.length;
  const ran = helpdesk.addPrivateComments(comments);
  setTimeout(() => clock.advance(60_000), 50);
  assert.deepEqual(await ran, [
    { ticketId: a.id, saved: true },
    { ticketId: b.id, saved: true },
  ]);
  const endpoints = zd.requests.slice(before).map((r) => r.endpoint);
  assert.equal(endpoints[0], 'PUT /api/v2/tickets/update_many');
  assert.ok(endpoints.slice(1).every((e) => e === 'GET /api/v2/job_statuses/{id}'));
  const after = await helpdesk.ticketsAfterCall([a.id, b.id, 987_654]);
  assert.deepEqual(
    after.map((x) => [x.id, x.requesterId, x.requester?.role]),
    [
      [a.id, erika.id, 'end-user'],
      [b.id, erika.id, 'end-user'],
    ],
  );
});
