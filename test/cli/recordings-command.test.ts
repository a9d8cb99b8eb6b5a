import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { type TestContext, test } from 'node:test';
import { runRecordingsCommand } from '../../src/cli/recordings-command.ts';
import { RecordingJournal } from '../../src/recordings/recording-journal.ts';
import { startBridge } from '../support/bridge-harness.ts';
import { captureOutput } from '../support/log-capture.ts';
import { profileYaml, tempConfigDir } from '../support/profiles.ts';
import { TEST_SECRET_ENV } from '../support/test-secrets.ts';

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  return {
    stream: new Writable({
      write(chunk, _encoding, done) {
        text += String(chunk);
        done();
      },
    }),
    text: () => text,
  };
}

async function run(args: string[], configDir: string, env: NodeJS.ProcessEnv = TEST_SECRET_ENV) {
  const stdout = sink();
  const stderr = sink();
  const code = await runRecordingsCommand(args, {
    stdout: stdout.stream,
    stderr: stderr.stream,
    configDir,
    env,
    pickupTimeoutMs: 3_000,
  });
  captureOutput(`cti-bridge recordings ${args.join(' ')}`)(stdout.text() + stderr.text());
  return { code, out: stdout.text(), err: stderr.text() };
}

async function stateDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'cti-cli-state-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('status: counts per state, pending copies, the last run and recordings with problems', async (t) => {
  const state = await stateDir(t);
  const config = tempConfigDir();
  t.after(() => config.remove());
  config.write('main', profileYaml({ active: true, stateDirectory: state, share: { target: '/mnt/share' } }));
  const journal = RecordingJournal.open(RecordingJournal.fileFor(state, 'main'));
  for (const [id, at] of [
    ['a', 1],
    ['b', 2],
    ['c', 3],
  ] as const) {
    journal.started({ callId: id, file: `2026/11/22/${id}.wav`, queue: 'sales', startedAt: at });
  }
  journal.completed('a', 100, 10);
  journal.attached('a', 11);
  journal.completed('b', 100, 10);
  journal.failed('c', 'the recording file never appeared (waited 300 s after the hangup)');
  const run1 = journal.runStarted('schedule', Date.UTC(2026, 10, 22, 3));
  journal.runFinished(run1, {
    outcome: 'failed',
    copied: 0,
    skipped: 0,
    failed: 0,
    expired: 0,
    message: 'wrong user name or password for smb://files/rec',
    finishedAt: 5,
  });
  journal.close();

  const text = await run(['status'], config.dir);
  assert.equal(text.code, 0, text.err);
  assert.match(text.out, /recording\s+0/);
  assert.match(text.out, /recorded\s+1/);
  assert.match(text.out, /attached\s+1/);
  assert.match(text.out, /failed\s+1/);
  assert.match(text.out, /pending copy to the share: 2/);
  assert.match(
    text.out,
    /last copy run: schedule at 2026-11-22T03:00:00.000Z: failed; .*wrong user name or password/,
  );
  assert.match(text.out, /c {2}2026\/11\/22\/c\.wav {2}recording: the recording file never appeared/);

  const json = await run(['status', 'main', '--json'], config.dir);
  const parsed = JSON.parse(json.out) as {
    counts: Record<string, number>;
    pendingCopy: number;
    lastRun: { outcome: string };
  };
  assert.equal(parsed.counts.failed, 1);
  assert.equal(parsed.pendingCopy, 2);
  assert.equal(parsed.lastRun.outcome, 'failed');
});

test('status without a journal yet, without an active profile, and for an unknown name', async (t) => {
  const state = await stateDir(t);
  const config = tempConfigDir();
  t.after(() => config.remove());
  config.write('main', profileYaml({ active: false, stateDirectory: state }));
  const none = await run(['status'], config.dir);
  assert.equal(none.code, 1);
  assert.match(none.err, /no profile is active; name one/);
  const fresh = await run(['status', 'main'], config.dir, {});
  assert.equal(fresh.code, 0, 'secrets are not needed to read the journal');
  assert.match(fresh.out, /no recordings yet/);
  const unknown = await run(['status', 'nope'], config.dir);
  assert.equal(unknown.code, 1);
  assert.match(unknown.err, /no profile named "nope"/);
  const wrong = await run(['frobnicate'], config.dir);
  assert.equal(wrong.code, 2);
});

test('copy-now: the running daemon copies at once and the command reports the run', async (t) => {
  const share = await stateDir(t);
  const bridge = await startBridge({
    watch: true,
    profile: {
      queues: { support: {}, sales: { record: true } },
      wrapUpSeconds: 0,
      recordings: { settleSeconds: 1 },
      share: { target: share, schedule: '0 3 * * *' },
    },
  });
  t.after(() => bridge.close());
  const call = bridge.pbx.placeCall({ queue: 'sales', callerNum: '+12125550100', talkMs: 300 });
  await call.done;
  const journal = RecordingJournal.open(RecordingJournal.fileFor(path.join(bridge.workDir, 'state'), 'main'));
  t.after(() => journal.close());
  await bridge.waitFor(
    () => journal.get(call.linkedid)?.size !== undefined,
    'the complete recording',
    10_000,
  );

  const result = await run(['copy-now'], bridge.configDir);
  assert.equal(result.code, 0, result.out + result.err);
  assert.match(result.out, /copy requested/);
  assert.match(result.out, /run #\d+: copy-now at .*: ok; 1 copied/);
  assert.equal(journal.get(call.linkedid)?.state, 'copied');
});

test('copy-now refuses a profile without a share, and says so when no daemon picks the request up', async (t) => {
  const state = await stateDir(t);
  const config = tempConfigDir();
  t.after(() => config.remove());
  config.write('noshare', profileYaml({ active: true, stateDirectory: state }));
  const noShare = await run(['copy-now'], config.dir);
  assert.equal(noShare.code, 1);
  assert.match(noShare.err, /has no share section/);

  config.write('noshare', profileYaml({ active: true, stateDirectory: state, share: { target: state } }));
  RecordingJournal.open(RecordingJournal.fileFor(state, 'noshare')).close();
  const nobody = await run(['copy-now'], config.dir);
  assert.equal(nobody.code, 1);
  assert.match(nobody.err, /did not start the copy within 3 s: is the service running/);
});
