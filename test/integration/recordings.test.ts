import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type TestContext, test } from 'node:test';
import { writeAdminRequest } from '../../src/daemon/admin-requests.ts';
import { RecordingJournal } from '../../src/recordings/recording-journal.ts';
import { recordingRelativePath } from '../../src/recordings/recording-path.ts';
import { type Bridge, startBridge } from '../support/bridge-harness.ts';

const UPLOAD = 'POST /api/v2/uploads';
const COMMENT = 'PUT /api/v2/tickets/{id}';

async function shareDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'cti-share-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function journalOf(bridge: Bridge): RecordingJournal {
  return RecordingJournal.open(RecordingJournal.fileFor(path.join(bridge.workDir, 'state'), 'main'));
}

async function recordedBridge(t: TestContext, share: string, extra: { wrapUpSeconds?: number } = {}) {
  const bridge = await startBridge({
    profile: {
      queues: { support: {}, sales: { record: true } },
      wrapUpSeconds: extra.wrapUpSeconds ?? 1,
      recordings: { settleSeconds: 1, giveUpSeconds: 5 },
      share: { target: share, subdirectory: 'Callcenter/Berlin', schedule: '0 3 * * *' },
    },
  });
  t.after(() => bridge.close());
  return bridge;
}

test('a call of a recorded queue: MixMonitor on answer, the recording on the wrap-up comment, then copied to the share', async (t) => {
  const share = await shareDir(t);
  const bridge = await recordedBridge(t, share);
  const since = bridge.mark();
  const call = bridge.pbx.placeCall({
    queue: 'sales',
    callerNum: '+12125550100',
    callerName: 'Acme Buyer',
    talkMs: 600,
  });
  const unrecorded = bridge.pbx.placeCall({ queue: 'support', callerNum: '+4930123456' });
  await Promise.all([call.done, unrecorded.done]);

  const mixMonitors = bridge.pbx.actionsReceived.filter((a) => a.action.toLowerCase() === 'mixmonitor');
  assert.equal(mixMonitors.length, 1, 'only the recorded queue is recorded');
  const relative = recordingRelativePath(call.linkedid, Date.now());
  const local = path.join(bridge.workDir, 'recordings', relative);
  assert.equal(
    mixMonitors[0]?.fields.Channel,
    call.callerChannel,
    "AgentConnect's Channel: the queue caller",
  );
  assert.equal(mixMonitors[0]?.fields.File, local);

  const ticket = () =>
    bridge.zd.state.tickets().find((tk) => tk.external_id === `cti-bridge:${call.linkedid}`);
  await bridge.waitFor(
    () => (ticket() ? bridge.zd.state.comments(ticket()!.id).length === 2 : false),
    'the wrap-up comment',
    10_000,
  );
  const comment = bridge.zd.state.comments(ticket()!.id).at(-1)!;
  assert.equal(comment.public, false);
  assert.match(
    comment.body,
    /Call facts[\s\S]*Caller: \+12125550100[\s\S]*Recording: .*\.wav \(.* [KM]B\) attached/,
  );
  assert.equal(
    comment.attachment_ids.length,
    1,
    'the recording rides on the facts comment: no second comment',
  );
  const attachment = bridge.zd.state.attachment(comment.attachment_ids[0]!)!;
  assert.equal(attachment.content_type, 'audio/wav');
  assert.ok(attachment.data.equals(await readFile(local)), 'the ticket has the bytes of the local file');
  const endpoints = since().map((r) => r.endpoint);
  assert.equal(endpoints.filter((e) => e === UPLOAD).length, 1);
  assert.equal(endpoints.filter((e) => e === COMMENT).length, 2, 'one wrap-up comment per call, no more');

  const journal = journalOf(bridge);
  t.after(() => journal.close());
  await bridge.waitFor(() => journal.get(call.linkedid)?.state === 'attached', 'the journal to say attached');
  assert.equal(journal.get(unrecorded.linkedid), undefined);

  await writeAdminRequest(bridge.configDir, 'copy');
  await bridge.daemon.reload();
  const copied = path.join(share, 'Callcenter/Berlin/RecordedCalls', relative);
  await bridge.waitFor(() => journal.get(call.linkedid)?.state === 'copied', 'the copy', 10_000);
  assert.ok((await readFile(copied)).equals(await readFile(local)), 'the share has the same bytes');
  assert.ok((await stat(local)).isFile(), 'kept locally until the retention ends');
  assert.equal(journal.lastRun()?.outcome, 'ok');
  assert.equal(journal.lastRun()?.copied, 1);
});

test('Zendesk refuses the upload at wrap-up: the facts comment goes out alone, the recording waits in the journal', async (t) => {
  const share = await shareDir(t);
  const bridge = await recordedBridge(t, share);
  bridge.zd.faults.next({ status: 503, endpoint: UPLOAD, count: 3 });
  const call = bridge.pbx.placeCall({ queue: 'sales', callerNum: '+12125550100', talkMs: 300 });
  await call.done;
  const journal = journalOf(bridge);
  t.after(() => journal.close());
  await bridge.waitFor(() => (journal.get(call.linkedid)?.attachTries ?? 0) > 0, 'the failed attach', 10_000);
  const ticket = bridge.zd.state.tickets().find((tk) => tk.external_id === `cti-bridge:${call.linkedid}`)!;
  await bridge.waitFor(() => bridge.zd.state.comments(ticket.id).length === 2, 'the facts comment');
  assert.equal(bridge.zd.state.comments(ticket.id).at(-1)?.attachment_ids.length, 0);
  const entry = journal.get(call.linkedid)!;
  assert.equal(entry.state, 'recorded');
  assert.match(entry.attachError ?? '', /503/);
  assert.ok(entry.nextAttachAt !== undefined, 'a retry is planned');
  assert.ok(bridge.logged(/recording not attached yet; will retry/, 'warn').length >= 1);
});
