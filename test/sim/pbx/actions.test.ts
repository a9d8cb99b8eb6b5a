import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { type FakePbx, startFakePbx } from '../../../src/sim/pbx/fake-pbx.ts';
import { AmiTestClient } from './ami-test-client.ts';

describe('actions while calls are up', () => {
  let pbx: FakePbx;
  let c: AmiTestClient;
  beforeEach(async () => {
    pbx = await startFakePbx();
    c = await AmiTestClient.loggedIn(pbx.port);
  });
  afterEach(async () => {
    await c.close();
    await pbx.close();
  });

  /** A support call answered by 101 and held up long enough to query it. */
  const answeredCall = async () => {
    const call = pbx.placeCall({
      queue: 'support',
      callerNum: '+4930123456',
      callerName: 'Erika Mustermann',
      talkMs: 400,
    });
    await c.waitForEvent('BridgeEnter', (m) => m.get('Channel') === call.callerChannel);
    return call;
  };

  test('ActionID is echoed on responses and list events, never on ordinary events', async () => {
    const call = await answeredCall();
    const list = await c.listAction({ Action: 'CoreShowChannels', ActionID: 'csc-1' });
    assert.equal(list.response.get('ActionID'), 'csc-1');
    assert.equal(list.response.pairs[1]![0], 'ActionID');
    assert.ok(
      list.items.every((m) => m.pairs[1]![0] === 'ActionID'),
      'second line in CoreShowChannel',
    );
    const q = await c.listAction({ Action: 'QueueStatus', ActionID: 'qs-1' });
    assert.ok(q.items.length > 0);
    assert.ok(
      q.items.every((m) => m.pairs.at(-1)![0] === 'ActionID'),
      'last line in Queue* entries',
    );
    await call.done;
    await c.waitForEvent('Hangup', (m) => m.get('Channel') === call.callerChannel);
    const listEntries = new Set(['CoreShowChannel', 'QueueParams', 'QueueMember', 'QueueEntry']);
    const ordinary = c.events().filter((m) => !m.has('EventList') && !listEntries.has(m.name));
    assert.ok(ordinary.length > 50, `${ordinary.length} ordinary events`);
    assert.ok(ordinary.every((m) => !m.has('ActionID')));
  });

  test('a list without ActionID carries none anywhere', async () => {
    const from = c.messages.length;
    c.send({ Action: 'VoicemailUsersList' });
    await c.waitForEvent('VoicemailUserEntryComplete');
    const got = c.messages.slice(from);
    assert.equal(got.length, 6);
    assert.ok(got.every((m) => !m.has('ActionID')));
  });

  test('CoreShowChannels and Status list the four channels of a call up now', async () => {
    const call = await answeredCall();
    const { items, complete } = await c.listAction({ Action: 'CoreShowChannels' });
    assert.equal(complete.get('ListItems'), '4');
    assert.deepEqual(
      items.map((m) => m.get('Linkedid')),
      [call.linkedid, call.linkedid, call.linkedid, call.linkedid],
    );
    const names = items.map((m) => m.get('Channel'));
    assert.ok(names.includes(call.callerChannel) && names.includes(call.customerChannel));
    const caller = items.find((m) => m.get('Channel') === call.callerChannel)!;
    assert.equal(caller.get('Application'), 'Queue');
    assert.match(caller.get('Duration')!, /^\d\d:\d\d:\d\d$/);
    const agentLeg = items.find((m) => m.get('Channel') === call.agentChannel)!;
    assert.equal(agentLeg.get('BridgeId'), caller.get('BridgeId'));
    assert.notEqual(caller.get('BridgeId'), '');

    const status = await c.listAction({ Action: 'Status', Variables: 'CALLERID(num)' });
    assert.equal(status.response.get('Message'), 'Channel status will follow');
    assert.equal(status.items.length, 4);
    assert.equal(status.complete.get('Items'), '4');
    const one = await c.listAction({ Action: 'Status', Channel: call.callerChannel });
    assert.equal(one.items.length, 1);
    assert.equal(one.items[0]!.get('Privilege'), 'Call');
    assert.equal(status.items[0]!.get('Variable'), 'CALLERID(num)=+4930123456');
    const missing = await c.action({ Action: 'Status', Channel: 'Local/nope-00000099;1' });
    assert.equal(missing.get('Message'), 'No such channel');

    await call.done;
    const after = await c.listAction({ Action: 'CoreShowChannels' });
    assert.equal(after.complete.get('ListItems'), '0');
  });

  test('Getvar reads caller ID functions; errors as Asterisk words them', async () => {
    const call = await answeredCall();
    const get = async (Variable: string, Channel: string = call.callerChannel) =>
      (await c.action({ Action: 'Getvar', Channel, Variable })).get('Value');
    assert.equal(await get('CALLERID(num)'), '+4930123456');
    assert.equal(await get('CALLERID(name)'), 'Erika Mustermann');
    assert.equal(await get('CALLERID(num-pres)'), 'allowed_not_screened');
    assert.equal(await get('UNSET_VARIABLE'), '');
    const noChannel = await c.action({ Action: 'Getvar', Channel: 'Local/gone-00000042;2', Variable: 'X' });
    assert.deepEqual(
      noChannel.pairs.filter(([k]) => k !== 'ActionID'),
      [
        ['Response', 'Error'],
        ['Message', 'No such channel'],
      ],
    );
    const noVariable = await c.action({ Action: 'Getvar', Channel: call.callerChannel });
    assert.equal(noVariable.get('Message'), 'No variable specified');
    await call.done;
  });

  test('QueueStatus shows a waiting caller as QueueEntry; QueueSummary counts it', async () => {
    const call = pbx.placeCall({
      queue: 'support',
      callerNum: '+4930123456',
      script: [{ ring: '102', ms: 5000, outcome: 'noanswer' }],
      abandonAfterMs: 300,
    });
    await c.waitForEvent('AgentCalled');
    const status = await c.listAction({ Action: 'QueueStatus', Queue: 'support' });
    const entry = status.items.find((m) => m.name === 'QueueEntry')!;
    assert.deepEqual(
      entry.pairs.map(([k]) => k),
      [
        'Event',
        'Queue',
        'Position',
        'Channel',
        'Uniqueid',
        'CallerIDNum',
        'CallerIDName',
        'ConnectedLineNum',
        'ConnectedLineName',
        'Wait',
        'Priority',
        'ActionID',
      ],
    );
    assert.equal(entry.get('Channel'), call.callerChannel);
    assert.equal(entry.get('CallerIDName'), 'unknown');
    assert.equal(status.items.filter((m) => m.name === 'QueueParams').length, 1);
    const member = status.items.find((m) => m.name === 'QueueMember' && m.get('Name') === 'Ben Berger')!;
    assert.equal(member.get('Status'), '2');
    const summary = await c.listAction({ Action: 'QueueSummary', Queue: 'support' });
    assert.equal(summary.items[0]!.get('Callers'), '1');
    assert.equal(summary.items[0]!.get('Available'), '1');
    assert.deepEqual(await call.done, { outcome: 'abandoned' });
    const params = (await c.listAction({ Action: 'QueueStatus', Queue: 'support' })).items[0]!;
    assert.equal(params.get('Abandoned'), '1');
    assert.equal(params.get('Calls'), '0');
  });
});
