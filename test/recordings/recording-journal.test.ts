import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type TestContext, test } from 'node:test';
import { RecordingJournal } from '../../src/recordings/recording-journal.ts';

async function journalIn(t: TestContext): Promise<{ file: string; journal: RecordingJournal }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'cti-journal-'));
  const file = RecordingJournal.fileFor(path.join(dir, 'state'), 'main');
  const journal = RecordingJournal.open(file);
  t.after(async () => {
    journal.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { file, journal };
}

const FACTS = {
  queue: 'sales',
  agent: 'Anna',
  callerNumber: '+12125550100',
  holdSec: 3,
  talkSec: 40,
  endedBy: 'caller',
};

function record(journal: RecordingJournal, callId: string, at = 1_000) {
  journal.started({ callId, file: `2026/11/22/${callId}.wav`, queue: 'sales', startedAt: at });
}

test('recorded → attached → copied → expired, each step kept across a reopen', async (t) => {
  const { file, journal } = await journalIn(t);
  record(journal, 'c1');
  assert.equal(journal.get('c1')?.state, 'recording');
  journal.ticket('c1', 42);
  journal.ended('c1', 2_000, FACTS);
  journal.completed('c1', 128_044, 2_500);
  assert.equal(journal.get('c1')?.state, 'recorded');
  journal.attached('c1', 3_000);
  assert.equal(journal.get('c1')?.state, 'attached');
  journal.copied('c1', 'X/RecordedCalls/2026/11/22/c1.wav', 4_000);
  journal.close();

  const reopened = RecordingJournal.open(file);
  t.after(() => reopened.close());
  const entry = reopened.get('c1')!;
  assert.equal(entry.state, 'copied');
  assert.equal(entry.ticketId, 42);
  assert.deepEqual(entry.facts, FACTS);
  assert.equal(entry.size, 128_044);
  assert.equal(entry.remotePath, 'X/RecordedCalls/2026/11/22/c1.wav');
  reopened.expired('c1', 5_000);
  assert.equal(reopened.get('c1')?.state, 'expired');
});

test('a second start of the same call changes nothing', async (t) => {
  const { journal } = await journalIn(t);
  record(journal, 'c1', 1_000);
  journal.started({ callId: 'c1', file: 'other.wav', queue: 'x', startedAt: 9_999 });
  assert.equal(journal.get('c1')?.file, '2026/11/22/c1.wav');
});

test('only copied recordings with settled attachments older than the cutoff may expire', async (t) => {
  const { journal } = await journalIn(t);
  for (const id of [
    'old-copied',
    'old-not-copied',
    'old-copied-not-attached',
    'new-copied',
    'old-too-large',
  ]) {
    record(journal, id);
    journal.ticket(id, 1);
  }
  journal.completed('old-copied', 100, 1_000);
  journal.attached('old-copied', 1_100);
  journal.copied('old-copied', 'r/old-copied.wav', 1_200);
  journal.completed('old-not-copied', 100, 1_000);
  journal.attached('old-not-copied', 1_100);
  journal.completed('old-copied-not-attached', 100, 1_000);
  journal.copied('old-copied-not-attached', 'r/x.wav', 1_200);
  journal.completed('new-copied', 100, 50_000);
  journal.attached('new-copied', 50_100);
  journal.copied('new-copied', 'r/new.wav', 50_200);
  journal.completed('old-too-large', 100, 1_000);
  journal.attachFailed('old-too-large', 'too large', { giveUp: 'over the limit; kept' });
  journal.copied('old-too-large', 'r/big.wav', 1_200);

  assert.deepEqual(
    journal.expirable(10_000).map((e) => e.callId),
    ['old-copied', 'old-too-large'],
  );
  assert.equal(journal.heldForAttach(10_000), 1);
  // A copy found missing before deletion is copied again: it leaves the expirable set.
  journal.uncopied('old-copied');
  assert.deepEqual(
    journal.awaitingCopy().map((e) => e.callId),
    ['old-copied', 'old-not-copied'],
  );
  // expired() refuses an entry that is not copied.
  journal.expired('old-not-copied', 20_000);
  assert.equal(journal.get('old-not-copied')?.expiredAt, undefined);
});

test('attach retries wait for their time; a failed recording keeps its reason and is never copied', async (t) => {
  const { journal } = await journalIn(t);
  record(journal, 'a');
  journal.ticket('a', 7);
  journal.completed('a', 100, 1_000);
  journal.attachFailed('a', '503 Service Unavailable', { nextTryAt: 5_000 });
  assert.deepEqual(journal.awaitingAttach(4_999), []);
  assert.equal(journal.awaitingAttach(5_000)[0]?.attachTries, 1);

  record(journal, 'b', 2_000);
  journal.failed('b', 'the recording file never appeared');
  const b = journal.get('b')!;
  assert.equal(b.state, 'failed');
  assert.equal(b.problem, 'the recording file never appeared');
  assert.deepEqual(
    journal.awaitingCopy().map((e) => e.callId),
    ['a'],
  );
  assert.deepEqual(journal.awaitingCompletion(), []);
  assert.deepEqual(
    journal.troubles(10).map((e) => e.callId),
    ['b', 'a'],
  );
  assert.equal(journal.counts().failed, 1);
  assert.equal(journal.counts().recorded, 1);
});

test('copy runs: a run left "running" by a killed process is marked interrupted at the next start', async (t) => {
  const { file, journal } = await journalIn(t);
  const first = journal.runStarted('schedule', 1_000);
  journal.runFinished(first, {
    outcome: 'ok',
    copied: 2,
    skipped: 0,
    failed: 0,
    expired: 0,
    message: undefined,
    finishedAt: 1_500,
  });
  journal.runStarted('copy-now', 2_000);
  journal.close();
  const reopened = RecordingJournal.open(file);
  t.after(() => reopened.close());
  assert.equal(reopened.interruptedRuns(3_000), 1);
  const runs = reopened.runsSince(0);
  assert.deepEqual(
    runs.map((r) => [r.origin, r.outcome]),
    [
      ['schedule', 'ok'],
      ['copy-now', 'interrupted'],
    ],
  );
  assert.equal(reopened.lastRun()?.outcome, 'interrupted');
});

test('an unwritable state directory is a clear error naming the journal', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'cti-journal-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const blocker = path.join(dir, 'file');
  await import('node:fs/promises').then((fs) => fs.writeFile(blocker, 'x'));
  assert.throws(
    () => RecordingJournal.open(path.join(blocker, 'main.journal.sqlite')),
    /cannot open the recordings journal .*main\.journal\.sqlite/,
  );
});
