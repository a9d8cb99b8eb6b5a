import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startFakePbx } from '../../../src/sim/pbx/fake-pbx.ts';
import { loadTranscript, receivedMessages, sentActions } from '../../support/ami-transcripts.ts';
import { AmiTestClient } from './ami-test-client.ts';
import { assertSameStream, parseRaw } from './transcript-compare.ts';

test('f: the start-up actions, sent byte for byte as recorded, get the recorded answers', async () => {
  const t = loadTranscript('f');
  const pbx = await startFakePbx();
  const client = await AmiTestClient.connect(pbx.port);
  try {
    const actions = sentActions(t);
    const logoff = actions.at(-1)!;
    assert.equal(logoff.name, 'Logoff');
    // Pipelined like the recording client did, Login first.
    for (const a of actions.slice(0, -1)) client.socket.write(a.raw);
    await client.waitFor(() => client.events('CoreShowChannelsComplete')[0], 'CoreShowChannelsComplete');
    client.socket.write(logoff.raw);
    await client.closed;

    const expected = parseRaw(receivedMessages(t));
    assert.equal(expected.length, 23);
    // Field names and order, ActionID positions, lab values; only clock-derived values may differ.
    assertSameStream(client.messages, expected);
    assert.equal(client.parser.banner, 'Asterisk Call Manager/11.0.0');
  } finally {
    await client.close();
    await pbx.close();
  }
});
