import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type TestContext, test } from 'node:test';
import type { CallAnswered, CallEnded } from '../../src/calls/events.ts';
import { AmiClient } from '../../src/pbx/ami-client.ts';
import { CallRecorder } from '../../src/recordings/call-recorder.ts';
import { RecordingJournal } from '../../src/recordings/recording-journal.ts';
import { startFakePbx } from '../../src/sim/pbx/fake-pbx.ts';
import { Secret } from '../../src/util/secret.ts';
import { captureLogs } from '../support/log-capture.ts';
import { TEST_SECRETS } from '../support/test-secrets.ts';

/** A recorder talking real AMI to the fake PBX, with a journal and recordings directory of its own. */
async function setup(t: TestContext) {
  const dir = await mkdtemp(path.join(tmpdir(), 'cti-recorder-'));
  const logs = captureLogs();
  const pbx = await startFakePbx({ users: { bridge: TEST_SECRETS.amiSecret } });
  const ami = new AmiClient({
    host: '127.0.0.1',
    port: pbx.port,
    username: 'bridge',
    secret: new Secret(TEST_SECRETS.amiSecret, 'test'),
    logger: logs.logger,
  });
  const up = new Promise<void>((resolve) => ami.onUp(() => resolve()));
  ami.start();
  await up;
  const journalFile = path.join(dir, 'state', 'main.journal.sqlite');
  const journal = RecordingJournal.open(journalFile);
  const recorders: CallRecorder[] = [];
  const recorder = (j = journal) => {
    const r = new CallRecorder({
      ami,
      journal: j,
      directory: path.join(dir, 'rec'),
      // Another path for the same directory, as when Asterisk runs on another host (the fake PBX writes there).
      asteriskDirectory: path.join(dir, 'asterisk-view'),
      recordedQueues: new Set(['sales']),
      defaultCountry: 'DE',
      settleMs: 100,
      giveUpMs: 400,
      logger: logs.logger,
    });
    recorders.push(r);
    return r;
  };
  t.after(async () => {
    for (const r of recorders) r.stop();
    journal.close();
    await ami.stop();
    await pbx.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { dir, pbx, journal, journalFile, logs, recorder };
}

function answered(callId: string, channel: string, queue = 'sales'): CallAnswered {
  return {
    type: 'CallAnswered',
    callId,
    queue,
    caller: { num: '+12125550100', name: 'Acme Buyer' },
    agent: { interface: 'Local/101@agents', name: 'Anna Agent', extension: '101' },
    channel,
    holdSec: 2,
    at: new Date(2026, 10, 22, 10, 0).getTime(),
  };
}

function ended(callId: string): CallEnded {
  return {
    type: 'CallEnded',
    callId,
    queue: 'sales',
    reason: 'caller',
    holdSec: 2,
    talkSec: 30,
    at: Date.now(),
  };
}

test('MixMonitor goes to the path as Asterisk sees it; the bridge watches its own mount of it', async (t) => {
  const s = await setup(t);
  // A real channel, so the fake Asterisk accepts the MixMonitor: a call in an unrecorded queue.
  const call = s.pbx.placeCall({ queue: 'support', callerNum: '+4930123456', talkMs: 2_000 });
  const deadline = Date.now() + 5_000;
  while (!s.pbx.channels().some((c) => c.name === call.callerChannel) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const recorder = s.recorder();
  await recorder.answered(answered('1795306004.26', call.callerChannel));
  const action = s.pbx.actionsReceived.find((a) => a.action.toLowerCase() === 'mixmonitor')!;
  assert.equal(action.fields.File, path.join(s.dir, 'asterisk-view/2026/11/22/1795306004.26.wav'));
  assert.equal(action.fields.Channel, call.callerChannel);
  assert.equal(s.journal.get('1795306004.26')?.state, 'recording');
  await call.done;
});

test('a Linkedid like ../../etc/x never becomes a path: no MixMonitor, no journal entry, an error', async (t) => {
  const s = await setup(t);
  await s.recorder().answered(answered('../../etc/x', 'Local/s@inbound-sales-0000000d;2'));
  assert.equal(s.pbx.actionsReceived.filter((a) => a.action.toLowerCase() === 'mixmonitor').length, 0);
  assert.deepEqual(s.journal.awaitingCompletion(), []);
  assert.ok(s.logs.records().some((r) => r.level === 'error' && /call not recorded/.test(String(r.msg))));
});

test('Asterisk refuses the MixMonitor (channel gone): the journal entry says why', async (t) => {
  const s = await setup(t);
  await s.recorder().answered(answered('c-refused', 'Local/s@inbound-sales-deadbeef;2'));
  const entry = s.journal.get('c-refused')!;
  assert.equal(entry.state, 'failed');
  assert.match(entry.problem ?? '', /MixMonitor could not start: .*No such channel/);
});

test('after the hangup: a file that never appears is an error on the journal entry; queues without record are ignored', async (t) => {
  const s = await setup(t);
  const recorder = s.recorder();
  s.journal.started({ callId: 'c-missing', file: '2026/11/22/c-missing.wav', queue: 'sales', startedAt: 1 });
  recorder.ended(ended('c-missing'));
  const result = await recorder.completion('c-missing');
  assert.equal(result?.kind, 'missing');
  assert.match(s.journal.get('c-missing')?.problem ?? '', /never appeared/);
  assert.deepEqual(s.journal.get('c-missing')?.facts?.queue, 'sales');

  await recorder.answered(answered('c-support', 'Local/x;2', 'support'));
  assert.equal(s.journal.get('c-support'), undefined);
});

test('after a restart, recordings whose completion was not seen are watched again', async (t) => {
  const s = await setup(t);
  s.journal.started({ callId: 'c-restart', file: '2026/11/22/c-restart.wav', queue: 'sales', startedAt: 1 });
  await mkdir(path.join(s.dir, 'rec/2026/11/22'), { recursive: true });
  await writeFile(path.join(s.dir, 'rec/2026/11/22/c-restart.wav'), Buffer.alloc(4_000, 7));
  const recorder = s.recorder();
  recorder.resume();
  const result = await recorder.completion('c-restart');
  assert.deepEqual(result, { kind: 'complete', size: 4_000 });
  assert.equal(s.journal.get('c-restart')?.state, 'recorded');
});
