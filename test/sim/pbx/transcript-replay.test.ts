import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { AmiMessage } from '../../../src/pbx/ami-codec.ts';
import type { CallSpec } from '../../../src/sim/pbx/call-script.ts';
import { type FakePbx, startFakePbx } from '../../../src/sim/pbx/fake-pbx.ts';
import {
  loadTranscript,
  receivedEvents,
  sentActions,
  type Transcript,
} from '../../support/ami-transcripts.ts';
import { AmiTestClient } from './ami-test-client.ts';
import { assertSameStream, parseRaw } from './transcript-compare.ts';

/**
 * The key acceptance test: for each recorded scenario the fake PBX, driven with the same caller,
 * queue and agent, sends the same events as the real Asterisk did (FullyBooted at login and the
 * lab's OriginateResponse left out).
 */

const NOT_COMPARED = ['FullyBooted', 'OriginateResponse'];

/** Caller, queue and member exactly as the lab's Originate and the transcript's AgentCalled had them. */
function scenario(t: Transcript): Pick<CallSpec, 'queue' | 'callerNum' | 'callerName'> & { member: string } {
  const originate = sentActions(t).find((l) => l.name === 'Originate')!.fields;
  const cid = /^"([^"]*)" <([^>]*)>$/.exec(String(originate.CallerID))!;
  const queue = /^Local\/s@inbound-(.+)$/.exec(String(originate.Channel))![1]!;
  const member = String(receivedEvents(t).find((l) => l.name === 'AgentCalled')!.fields.Interface);
  return { queue, callerName: cid[1]!, callerNum: cid[2]!, member };
}

const expectedEvents = (t: Transcript) => parseRaw(receivedEvents(t, NOT_COMPARED));

async function eventsAfter(client: AmiTestClient, from: number, count: number): Promise<AmiMessage[]> {
  const events = () =>
    client.messages.slice(from).filter((m) => m.kind === 'event' && m.name !== 'FullyBooted');
  await client.waitFor(() => events().length >= count, `${count} events`);
  await delay(30); // anything extra would show up as a mismatch
  return events();
}

/** The lab ran earlier support calls before b and c; one answered call puts the queue in the same state. */
async function warmUp(pbx: FakePbx, client: AmiTestClient): Promise<number> {
  const call = pbx.placeCall({ queue: 'support', callerNum: '+4930999999', talkMs: 20 });
  await call.done;
  await delay(30);
  return client.messages.length;
}

describe('transcript replay', () => {
  let pbx: FakePbx | undefined;
  let client: AmiTestClient | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await client?.close();
    await pbx?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
    client = pbx = dir = undefined;
  });

  test('a: known caller answered, caller hangs up', async () => {
    const t = loadTranscript('a');
    const { member, ...caller } = scenario(t);
    pbx = await startFakePbx();
    client = await AmiTestClient.loggedIn(pbx.port);
    const from = client.messages.length;
    const call = pbx.placeCall({
      ...caller,
      script: [{ ring: member, ms: 30, outcome: 'answer' }],
      talkMs: 50,
      hangup: 'caller',
      ordering: 'a',
    });
    assert.deepEqual(await call.done, { outcome: 'answered', agent: 'Anna Agent' });
    const expected = expectedEvents(t);
    assertSameStream(await eventsAfter(client, from, expected.length), expected);
  });

  test('b: withheld caller, agent hangs up; Getvar reads the presentation', async () => {
    const t = loadTranscript('b');
    const { member, ...caller } = scenario(t);
    pbx = await startFakePbx();
    client = await AmiTestClient.loggedIn(pbx.port);
    const from = await warmUp(pbx, client);
    const call = pbx.placeCall({
      ...caller,
      script: [{ ring: member, ms: 30, outcome: 'answer' }],
      talkMs: 200,
      hangup: 'agent',
      ordering: 'b',
    });
    const connect = await client.waitForEvent('AgentConnect', (m) => m.get('Linkedid') === call.linkedid);
    assert.equal(connect.get('Channel'), call.callerChannel);
    const getvars = sentActions(t).filter((l) => l.name === 'Getvar');
    assert.equal(getvars.length, 4);
    for (const g of getvars) {
      const reply = await client.action({
        Action: 'Getvar',
        Channel: call.callerChannel,
        Variable: g.fields.Variable,
      });
      const real = t.lines.find((l) => l.dir === 'in' && l.fields.ActionID === g.fields.ActionID)!;
      assert.deepEqual(
        reply.pairs.filter(([k]) => k !== 'ActionID'),
        parseRaw([real])[0]!.pairs.filter(([k]) => k !== 'ActionID'),
      );
    }
    await call.done;
    const expected = expectedEvents(t);
    assertSameStream(await eventsAfter(client, from, expected.length), expected);
  });

  test('c: caller abandons while the member rings', async () => {
    const t = loadTranscript('c');
    const { member, ...caller } = scenario(t);
    pbx = await startFakePbx();
    client = await AmiTestClient.loggedIn(pbx.port);
    const from = await warmUp(pbx, client);
    const call = pbx.placeCall({
      ...caller,
      script: [{ ring: member, ms: 5000, outcome: 'noanswer' }],
      abandonAfterMs: 60,
      ordering: 'c',
    });
    assert.deepEqual(await call.done, { outcome: 'abandoned' });
    const expected = expectedEvents(t);
    assertSameStream(await eventsAfter(client, from, expected.length), expected);
  });

  test('e: sales call recorded with MixMonitor on the AgentConnect channel', async () => {
    const t = loadTranscript('e');
    const { member, ...caller } = scenario(t);
    dir = await mkdtemp(path.join(tmpdir(), 'fake-pbx-e-'));
    pbx = await startFakePbx();
    client = await AmiTestClient.loggedIn(pbx.port);
    const from = client.messages.length;
    const call = pbx.placeCall({
      ...caller,
      script: [{ ring: member, ms: 30, outcome: 'answer' }],
      talkMs: 300,
      hangup: 'caller',
      ordering: 'e',
    });
    const connect = await client.waitForEvent('AgentConnect');
    const file = path.join(dir, `zd-${call.linkedid}.wav`);
    const reply = await client.action({
      Action: 'MixMonitor',
      Channel: connect.get('Channel'),
      File: file,
      Options: '',
    });
    assert.deepEqual(
      reply.pairs.map(([k]) => k),
      ['Response', 'ActionID'],
    );
    assert.equal(reply.get('Response'), 'Success');
    await call.done;
    const expected = expectedEvents(t);
    assertSameStream(await eventsAfter(client, from, expected.length), expected);
    const wav = await readFile(file);
    assert.equal(wav.toString('ascii', 0, 4), 'RIFF');
    assert.equal(wav.readUInt32LE(40), wav.length - 44);
  });
});
