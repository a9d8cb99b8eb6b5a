import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { type FakePbx, startFakePbx } from '../../../src/sim/pbx/fake-pbx.ts';
import { WavRecorder } from '../../../src/sim/pbx/wav-writer.ts';
import { AmiTestClient } from './ami-test-client.ts';

/** Checks a finished 8 kHz 16-bit mono WAV and returns its PCM byte count. */
async function assertCompleteWav(file: string): Promise<number> {
  const wav = await readFile(file);
  assert.equal(wav.toString('ascii', 0, 4), 'RIFF');
  assert.equal(wav.toString('ascii', 8, 16), 'WAVEfmt ');
  assert.equal(wav.readUInt16LE(20), 1, 'PCM');
  assert.equal(wav.readUInt16LE(22), 1, 'mono');
  assert.equal(wav.readUInt32LE(24), 8000);
  assert.equal(wav.readUInt16LE(34), 16);
  assert.equal(wav.toString('ascii', 36, 40), 'data');
  assert.equal(wav.readUInt32LE(40), wav.length - 44, 'data size');
  assert.equal(wav.readUInt32LE(4), wav.length - 8, 'RIFF size');
  return wav.length - 44;
}

/** Polls an async condition (the recorder finishes its file in the background). */
async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(10);
  }
}

describe('MixMonitor', () => {
  let pbx: FakePbx;
  let c: AmiTestClient;
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'fake-pbx-mixmon-'));
    pbx = await startFakePbx({ recordingBlockMs: 20 });
    c = await AmiTestClient.loggedIn(pbx.port);
  });
  afterEach(async () => {
    await c.close();
    await pbx.close();
    await rm(dir, { recursive: true, force: true });
  });

  const recordedCall = async (talkMs: number) => {
    const call = pbx.placeCall({
      queue: 'sales',
      callerNum: '+12125550100',
      callerName: 'Acme Buyer',
      talkMs,
    });
    const connect = await c.waitForEvent('AgentConnect', (m) => m.get('Linkedid') === call.linkedid);
    const file = path.join(dir, 'monitor', `zd-${call.linkedid}.wav`);
    const reply = await c.action({ Action: 'MixMonitor', Channel: connect.get('Channel'), File: file });
    assert.equal(reply.get('Response'), 'Success');
    const start = await c.waitForEvent('MixMonitorStart');
    assert.equal(start.get('Channel'), call.callerChannel);
    assert.ok(!start.has('ActionID') && !start.has('File'));
    return { call, file };
  };

  test('the file grows while the call is up and is complete after hangup, with no MixMonitorStop', async () => {
    const { call, file } = await recordedCall(500);
    await delay(120);
    const early = await readFile(file);
    assert.equal(early.readUInt32LE(40), 0, 'sizes are placeholders while recording');
    await delay(150);
    const later = (await stat(file)).size;
    assert.ok(later > early.length, `grew from ${early.length} to ${later}`);
    await call.done;
    const pcm = await assertCompleteWav(file);
    assert.ok(pcm >= 0.3 * 16000 && pcm <= 0.8 * 16000, `${pcm} bytes for ~0.5 s`);
    await c.waitForEvent('Hangup', (m) => m.get('Channel') === call.callerChannel);
    await delay(30);
    assert.equal(c.events('MixMonitorStop').length, 0);
    assert.equal((await stat(file)).size, pcm + 44, 'no longer growing');
  });

  test('StopMixMonitor closes the file and emits MixMonitorStop', async () => {
    const { call, file } = await recordedCall(800);
    await delay(100);
    const reply = await c.action({ Action: 'StopMixMonitor', Channel: call.callerChannel });
    assert.deepEqual(
      reply.pairs.map(([k]) => k),
      ['Response', 'ActionID'],
    );
    const stop = await c.waitForEvent('MixMonitorStop');
    assert.equal(stop.get('Channel'), call.callerChannel);
    await until(async () => (await readFile(file)).readUInt32LE(40) > 0, 'final header');
    const size = await assertCompleteWav(file);
    await delay(100);
    assert.equal((await stat(file)).size, size + 44);
    const again = await c.action({ Action: 'StopMixMonitor', Channel: call.callerChannel });
    assert.equal(again.get('Message'), 'Could not stop monitoring channel');
    await call.done;
  });

  test('errors for a missing or unknown channel', async () => {
    const none = await c.action({ Action: 'MixMonitor', File: path.join(dir, 'x.wav') });
    assert.equal(none.get('Message'), 'No channel specified');
    const unknown = await c.action({
      Action: 'MixMonitor',
      Channel: 'Local/s@inbound-sales-000000ff;2',
      File: 'x.wav',
    });
    assert.deepEqual(
      unknown.pairs.filter(([k]) => k !== 'ActionID'),
      [
        ['Response', 'Error'],
        ['Message', 'No such channel'],
      ],
    );
    const stopUnknown = await c.action({ Action: 'StopMixMonitor', Channel: 'Local/nope;1' });
    assert.equal(stopUnknown.get('Message'), 'No such channel');
  });
});

test('WavRecorder writes real time audio and fixes the header on close, once', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'wav-writer-'));
  try {
    const file = path.join(dir, 'a', 'b.wav');
    const rec = await WavRecorder.open({ path: file, blockMs: 10 });
    await delay(200);
    await Promise.all([rec.close(), rec.close()]);
    const pcm = await assertCompleteWav(file);
    assert.equal(pcm, rec.dataBytes);
    assert.ok(pcm >= 0.15 * 16000 && pcm <= 0.4 * 16000, `${pcm} bytes for 0.2 s`);
    const wav = await readFile(file);
    let peak = 0;
    for (let i = 44; i < wav.length; i += 2) peak = Math.max(peak, Math.abs(wav.readInt16LE(i)));
    assert.ok(peak > 1000, 'a tone, not silence');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
