import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type TestContext, test } from 'node:test';
import { CallRecorder } from '../../src/recordings/call-recorder.ts';
import { RecordingAttacher } from '../../src/recordings/recording-attacher.ts';
import { RecordingJournal } from '../../src/recordings/recording-journal.ts';
import { captureLogs } from '../support/log-capture.ts';
import { zendeskWithClient } from '../support/zendesk-client.ts';

const FACTS = {
  queue: 'sales',
  agent: 'Anna Agent',
  callerNumber: '+12125550100',
  holdSec: 4,
  talkSec: 61,
  endedBy: 'caller',
};

/** A journal with complete recordings on disk, a real Zendesk client against the fake, and an attacher over both. */
async function setup(
  t: TestContext,
  options: { maxBytes?: number; fake?: Parameters<typeof zendeskWithClient>[0]['fake'] } = {},
) {
  const dir = await mkdtemp(path.join(tmpdir(), 'cti-attach-'));
  const logs = captureLogs();
  const { zd, helpdesk } = await zendeskWithClient({
    logger: logs.logger,
    ...(options.fake ? { fake: options.fake } : {}),
  });
  const journal = RecordingJournal.open(path.join(dir, 'state', 'main.journal.sqlite'));
  let now = 1_000_000;
  const recorder = new CallRecorder({
    ami: { action: () => Promise.reject(new Error('no AMI in this test')) },
    journal,
    directory: path.join(dir, 'rec'),
    asteriskDirectory: path.join(dir, 'rec'),
    recordedQueues: new Set(['sales']),
    defaultCountry: 'DE',
    settleMs: 100,
    giveUpMs: 1_000,
    logger: logs.logger,
  });
  const attacher = (graceMs = 0) =>
    new RecordingAttacher({
      helpdesk,
      journal,
      recorder,
      wrapUpWaitMs: 100,
      graceMs,
      logger: logs.logger,
      now: () => now,
      ...(options.maxBytes ? { maxBytes: options.maxBytes } : {}),
    });
  const erika = zd.state.userByEmail('erika.mustermann@example.com')!;
  async function recorded(callId: string, bytes: Buffer): Promise<number> {
    const created = await helpdesk.openCallTicket({
      callId,
      idempotencyKey: `cti-bridge-call-${callId}`,
      requesterId: erika.id,
      groupId: undefined,
      assigneeId: undefined,
      subject: 'Call',
      comment: 'Inbound call',
      tags: [],
      popToAgentId: undefined,
      call: { from: '+12125550100', queue: 'sales', startedAt: 0 },
    });
    const file = `2026/11/22/${callId}.wav`;
    await mkdir(path.join(dir, 'rec', '2026/11/22'), { recursive: true });
    await writeFile(path.join(dir, 'rec', file), bytes);
    journal.started({ callId, file, queue: 'sales', startedAt: now });
    journal.ticket(callId, created.id);
    journal.ended(callId, now, FACTS);
    journal.completed(callId, bytes.length, now);
    return created.id;
  }
  t.after(async () => {
    journal.close();
    await zd.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { zd, journal, logs, attacher, recorded, advance: (ms: number) => (now += ms) };
}

test('a recording the wrap-up could not carry is attached alone, with the call facts, after the grace time', async (t) => {
  const s = await setup(t);
  const bytes = randomBytes(20_000);
  const ticketId = await s.recorded('c1', bytes);
  const attacher = s.attacher(60_000);
  await attacher.sweep();
  assert.equal(
    s.zd.state.comments(ticketId).length,
    1,
    'within the grace time the wrap-up may still take it',
  );
  s.advance(60_000);
  await attacher.sweep();
  const comment = s.zd.state.comments(ticketId).at(-1)!;
  assert.match(comment.body, /Call facts \(cti-bridge\)[\s\S]*Agent: Anna Agent[\s\S]*Recording: c1\.wav/);
  assert.equal(comment.public, false);
  assert.ok(s.zd.state.attachment(comment.attachment_ids[0]!)!.data.equals(bytes));
  assert.equal(s.journal.get('c1')?.state, 'attached');
  await attacher.sweep();
  assert.equal(s.zd.state.comments(ticketId).length, 2, 'attached once only');
});

test('the wrap-up gets the upload; if its comment fails, the sweep attaches it later, once', async (t) => {
  const s = await setup(t);
  const ticketId = await s.recorded('c2', randomBytes(5_000));
  const attacher = s.attacher(0);
  const attachment = await attacher.attachmentFor('c2');
  assert.equal(attachment?.uploads.length, 1);
  assert.equal(await attacher.attachmentFor('c2'), undefined, 'claimed: not prepared twice');
  await attacher.sweep();
  assert.equal(s.zd.state.comments(ticketId).length, 1, 'the sweep leaves a claimed recording alone');
  attacher.attachmentSaved('c2', false);
  await attacher.sweep();
  assert.equal(s.zd.state.comments(ticketId).at(-1)?.attachment_ids.length, 1);
  assert.equal(s.journal.get('c2')?.state, 'attached');
});

test('Zendesk 5xx: retried later with growing waits; a closed ticket (422) is given up with a note', async (t) => {
  const s = await setup(t);
  const ticketId = await s.recorded('c3', randomBytes(5_000));
  const attacher = s.attacher(0);
  s.zd.faults.next({ status: 503, endpoint: 'POST /api/v2/uploads', count: 3 });
  await attacher.sweep();
  const first = s.journal.get('c3')!;
  assert.equal(first.attachTries, 1);
  assert.equal(first.nextAttachAt, 1_000_000 + 60_000);
  await attacher.sweep();
  assert.equal(s.journal.get('c3')?.attachTries, 1, 'not before its time');
  s.advance(60_000);
  await attacher.sweep();
  assert.equal(s.journal.get('c3')?.state, 'attached');
  assert.equal(s.zd.state.comments(ticketId).at(-1)?.attachment_ids.length, 1);

  const closed = await s.recorded('c4', randomBytes(5_000));
  s.zd.faults.next({ status: 422, endpoint: 'PUT /api/v2/tickets/{id}' });
  await attacher.sweep();
  const gaveUp = s.journal.get('c4')!;
  assert.equal(gaveUp.attachedAt, undefined);
  assert.match(gaveUp.attachNote ?? '', /Zendesk refused the recording/);
  assert.equal(s.zd.state.comments(closed).length, 1);
  assert.ok(s.logs.records().some((r) => /refused it for good/.test(String(r.msg))));
});

test('over the attachment limit: the comment says so and where the file is kept; nothing is uploaded', async (t) => {
  const s = await setup(t, { maxBytes: 10_000 });
  const ticketId = await s.recorded('c5', randomBytes(20_000));
  await s.attacher(0).sweep();
  assert.equal(s.zd.state.uploads().length, 0);
  const comment = s.zd.state.comments(ticketId).at(-1)!;
  assert.match(comment.body, /over the 10 KB attachment limit/);
  assert.match(comment.body, /RecordedCalls\/2026\/11\/22\/c5\.wav/);
  const entry = s.journal.get('c5')!;
  assert.equal(entry.state, 'attached');
  assert.match(entry.attachNote ?? '', /not attached here/);
});

test("Zendesk's own 413 is treated like our limit: the comment explains, the file is kept", async (t) => {
  const s = await setup(t, { fake: { maxUploadBytes: 10_000 } });
  const ticketId = await s.recorded('c6', randomBytes(20_000));
  await s.attacher(0).sweep();
  assert.match(s.zd.state.comments(ticketId).at(-1)?.body ?? '', /attachment limit/);
  assert.match(s.journal.get('c6')?.attachNote ?? '', /not attached here/);
});
