import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type TestContext, test } from 'node:test';
import { waitForCompleteFile, wavHeaderState } from '../../src/recordings/file-completion.ts';
import { WavRecorder } from '../../src/sim/pbx/wav-writer.ts';

const REAL_WAV = path.resolve(
  import.meta.dirname,
  '../../../shared/fixtures/recordings/zd-1795306004.26.wav',
);

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'cti-complete-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('the real MixMonitor WAV from the lab has a final header: complete at once', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'real.wav');
  await copyFile(REAL_WAV, file);
  assert.equal(await wavHeaderState(file, 127_724), 'final');
  const started = Date.now();
  const result = await waitForCompleteFile(file, { settleMs: 60_000, giveUpMs: 120_000 });
  assert.deepEqual(result, { kind: 'complete', size: 127_724 });
  assert.ok(Date.now() - started < 5_000, 'did not wait for the settle time');
});

test('a file still being written is complete only after it is closed (hangup)', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'growing.wav');
  const recorder = await WavRecorder.open({ path: file, blockMs: 20 });
  let closedAt = 0;
  setTimeout(() => {
    closedAt = Date.now();
    void recorder.close();
  }, 600);
  const result = await waitForCompleteFile(file, { settleMs: 5_000, giveUpMs: 10_000, pollMs: 20 });
  assert.equal(result.kind, 'complete');
  assert.ok(closedAt > 0 && Date.now() >= closedAt, 'complete only after the recorder closed the file');
  assert.equal(await wavHeaderState(file, (result as { size: number }).size), 'final');
});

test('a file whose size stays the same for the settle time is complete (no final header)', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'raw.wav');
  await writeFile(file, Buffer.alloc(10_000, 1));
  const result = await waitForCompleteFile(file, { settleMs: 200, giveUpMs: 5_000, pollMs: 20 });
  assert.deepEqual(result, { kind: 'complete', size: 10_000 });
});

test('missing, empty and never-ending files are reported, not waited for forever', async (t) => {
  const dir = await tempDir(t);
  assert.deepEqual(
    await waitForCompleteFile(path.join(dir, 'nothing.wav'), { settleMs: 100, giveUpMs: 300, pollMs: 20 }),
    { kind: 'missing' },
  );

  const headerOnly = path.join(dir, 'empty.wav');
  const empty = await WavRecorder.open({ path: headerOnly, blockMs: 60_000 });
  const emptyResult = await waitForCompleteFile(headerOnly, { settleMs: 100, giveUpMs: 2_000, pollMs: 20 });
  await empty.close();
  assert.deepEqual(emptyResult, { kind: 'empty', size: 44 });

  const endless = path.join(dir, 'endless.wav');
  const recorder = await WavRecorder.open({ path: endless, blockMs: 20 });
  t.after(() => recorder.close());
  const result = await waitForCompleteFile(endless, { settleMs: 200, giveUpMs: 500, pollMs: 20 });
  assert.equal(result.kind, 'growing');
});

test('an abort ends the watch at once', async (t) => {
  const dir = await tempDir(t);
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 50);
  const result = await waitForCompleteFile(path.join(dir, 'never.wav'), {
    settleMs: 1_000,
    giveUpMs: 60_000,
    pollMs: 20,
    signal: controller.signal,
  });
  assert.deepEqual(result, { kind: 'aborted' });
});
