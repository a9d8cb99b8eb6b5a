import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { AmiMessage } from '../../../src/pbx/ami-codec.ts';
import { type FakePbxOptions, startFakePbx } from '../../../src/sim/pbx/fake-pbx.ts';
import { AmiTestClient } from './ami-test-client.ts';
import { assertSameStream } from './transcript-compare.ts';

/** Login, a call with a non-ASCII caller name, and a list action; everything the client read. */
async function session(options: FakePbxOptions): Promise<{ messages: AmiMessage[]; reads: number }> {
  const pbx = await startFakePbx({ seed: 3, ...options });
  const c = await AmiTestClient.loggedIn(pbx.port);
  try {
    const call = pbx.placeCall({
      queue: 'support',
      callerNum: '+4930123456',
      callerName: 'Jürgen Müller-Lüdenscheidt',
      talkMs: 20,
      ordering: 'a',
    });
    await call.done;
    await c.listAction({ Action: 'VoicemailUsersList', ActionID: 'vm' });
    await delay(30);
    return { messages: c.messages, reads: c.reads };
  } finally {
    await c.close();
    await pbx.close();
  }
}

test('split writes: messages cut at random bytes reassemble to the same stream', async () => {
  const plain = await session({});
  const split = await session({ splitWrites: { seed: 99, maxPieces: 8 } });
  assert.ok(plain.messages.length > 60);
  assertSameStream(split.messages, plain.messages, new Set(['Timestamp']));
  assert.ok(
    split.reads > split.messages.length,
    `${split.reads} reads for ${split.messages.length} messages`,
  );
  const names = split.messages.filter((m) => m.get('CallerIDName')?.includes('ü'));
  assert.ok(names.every((m) => m.get('CallerIDName') === 'Jürgen Müller-Lüdenscheidt'));
  assert.ok(names.length > 20);
});
